package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Declarative configuration end to end (issue 5): {@code lunar:apply} creates a target and a LUN
 * that initiators find, {@code lunar:export} reproduces them on a second, fresh Lunar, a second
 * apply changes nothing, a change to one target's LUN leaves another target's logged-in session
 * alone, and what the service created survives a restart, even with {@code data/} wiped.
 *
 * <p>The tests build on each other, in order, on this class's Lunar.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeclarativeConfigE2EIT extends LunarE2ETest {

    private static final String EXTRA = "iqn.2026-11.dev.lunar:extra";
    /** Config Admin delivers changes to components asynchronously: wait for what initiators see. */
    private static final Duration SETTLE = Duration.ofSeconds(60);

    @Test
    @Order(1)
    void applyCreatesATargetAndLunThatInitiatorsFind() throws IOException {
        Path before = lunar.home().resolve("before.json");
        assertShell(lunar, "lunar:export " + before);
        String document = Files.readString(before);
        assertTrue(document.contains("\"iqn\": \"" + DEFAULT_TARGET + "\""), document);

        Path desired = lunar.home().resolve("desired.json");
        Files.writeString(desired, withExtraTarget(document, "32MiB"));

        String dry = assertShell(lunar, "lunar:apply --dry-run " + desired);
        assertTrue(dry.contains("+ create target extra {iqn=" + EXTRA + "}"), dry);
        assertTrue(dry.contains("+ create lun extra-0 {backend=ramdisk, lun=0, size=32MiB, target=" + EXTRA + "}"), dry);
        assertTrue(dry.contains("Dry run: 2 changes planned, nothing was changed"), dry);
        assertFalse(Files.exists(lunar.home().resolve("etc/dev.lunar.target-extra.cfg")), "a dry run wrote a file");
        assertFalse(discover(lunar).contains(EXTRA), "a dry run created the target");

        String applied = assertShell(lunar, "lunar:apply " + desired);
        assertTrue(applied.contains("2 changes applied."), applied);
        assertFalse(applied.contains("update") || applied.contains("delete"), "only creations expected:\n" + applied);
        // Karaf's file installer keeps it from now on, as if the admin had written the file (and
        // rewrites it in place when it sees the configuration event, so read until it is whole).
        Path file = lunar.home().resolve("etc/dev.lunar.lun-extra-0.cfg");
        await(() -> readIfThere(file), text -> text.contains("size = 32MiB") && text.contains("target = " + EXTRA),
                file + " to hold the LUN");

        await(() -> discover(lunar), out -> out.contains(EXTRA), "iscsi-ls to list " + EXTRA);
        awaitLunBytes(lunar, 32L << 20);

        String again = assertShell(lunar, "lunar:apply " + desired);
        assertTrue(again.contains("Nothing to change"), again);
    }

    @Test
    @Order(2)
    void anExportRecreatesTheSameTargetsOnAFreshLunar() throws IOException {
        Path exported = lunar.home().resolve("exported.json");
        String said = assertShell(lunar, "lunar:export " + exported);
        assertTrue(said.contains("Wrote 5 objects to " + exported), said);

        try (LunarProcess second = LunarProcess.start()) {
            second.awaitIscsiPort();
            // The one thing that differs between the two runtimes is the port the test gave each.
            String document = Files.readString(exported).replace(
                    "\"port\": \"" + lunar.iscsiPort() + "\"", "\"port\": \"" + second.iscsiPort() + "\"");
            Path copy = second.home().resolve("from-first.json");
            Files.writeString(copy, document);

            String applied = assertShell(second, "lunar:apply " + copy);
            assertTrue(applied.contains("+ create target extra") && applied.contains("+ create lun extra-0")
                    && applied.contains("2 changes applied."), applied);
            await(() -> discover(second), out -> out.contains(EXTRA) && out.contains(DEFAULT_TARGET),
                    "iscsi-ls on the second Lunar to list both targets");
            awaitLunBytes(second, 32L << 20);

            String again = assertShell(second, "lunar:apply " + copy);
            assertTrue(again.contains("Nothing to change"), again);
            assertEquals(document, Files.readString(exportTo(second, "round-trip.json")),
                    "the second Lunar exports exactly the document it was given");
        }
    }

    @Test
    @Order(3)
    void changingOneTargetsLunLeavesAnotherTargetsSessionAlone() throws IOException {
        try (HeldSession session = HeldSession.login(lunar.iscsiPort(), DEFAULT_TARGET)) {
            int tsih = session.tsih();
            session.ping();

            Path bigger = lunar.home().resolve("bigger.json");
            Files.writeString(bigger, Files.readString(exportTo(lunar, "now.json"))
                    .replace("\"size\": \"32MiB\"", "\"size\": \"48MiB\""));
            String applied = assertShell(lunar, "lunar:apply " + bigger);
            assertTrue(applied.contains("~ update lun extra-0: size 32MiB -> 48MiB") && applied.contains("1 change applied."),
                    applied);
            awaitLunBytes(lunar, 48L << 20);

            // Same TCP connection, same session: it answers, so nothing ended or reinstated it.
            session.ping();
            assertEquals(tsih, session.tsih());
        }
    }

    @Test
    @Order(4)
    void objectsCreatedThroughTheServiceSurviveRestartsEvenWithoutData() throws IOException {
        lunar.restart();
        lunar.awaitIscsiPort();
        await(() -> discover(lunar), out -> out.contains(EXTRA), "iscsi-ls to list " + EXTRA + " after a restart");
        awaitLunBytes(lunar, 48L << 20);

        // A clean data/ (Karaf's cache and Config Admin's store gone): only etc/ is left to tell.
        lunar.close();
        deleteTree(lunar.home().resolve("data"));
        lunar.restart();
        lunar.awaitIscsiPort();
        await(() -> discover(lunar), out -> out.contains(EXTRA), "iscsi-ls to list " + EXTRA + " after a clean data/");
        awaitLunBytes(lunar, 48L << 20);
        String again = assertShell(lunar, "lunar:apply " + lunar.home().resolve("bigger.json"));
        assertTrue(again.contains("Nothing to change"), again);
    }

    /** The export with a target "extra" and its LUN 0 added at the front of their sections. */
    private static String withExtraTarget(String export, String size) {
        String target = "    {\"name\": \"extra\", \"properties\": {\"iqn\": \"" + EXTRA + "\"}},\n";
        String lun = "    {\"name\": \"extra-0\", \"properties\": {\"target\": \"" + EXTRA + "\", \"lun\": \"0\", "
                + "\"backend\": \"ramdisk\", \"size\": \"" + size + "\"}},\n";
        assertTrue(export.contains("\"targets\": [\n") && export.contains("\"luns\": [\n"), export);
        return export.replace("\"targets\": [\n", "\"targets\": [\n" + target).replace("\"luns\": [\n", "\"luns\": [\n" + lun);
    }

    private static String readIfThere(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "(no file)";
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static Path exportTo(LunarProcess process, String name) {
        Path file = process.home().resolve(name);
        assertShell(process, "lunar:export " + file);
        return file;
    }

    private static String assertShell(LunarProcess process, String command) {
        ToolResult result = process.shell(command);
        assertTrue(result.succeeded() && !result.output().contains("Error executing command"),
                () -> command + " failed:\n" + result.describe());
        return result.output();
    }

    private String discover(LunarProcess process) {
        Tools.require("iscsi-ls", "libiscsi-bin");
        return Tools.run(TOOL_TIMEOUT, "iscsi-ls", process.iscsiUrl("")).output();
    }

    /** Waits until qemu-img reports the extra target's LUN 0 with exactly {@code bytes}. */
    private static void awaitLunBytes(LunarProcess process, long bytes) {
        String url = process.iscsiUrl("/" + EXTRA + "/0");
        await(() -> QemuTools.run("qemu-img", "info", url).output(), out -> out.contains("(" + bytes + " bytes)"),
                "qemu-img info " + url + " to report " + bytes + " bytes");
    }

    private static void await(Supplier<String> probe, Predicate<String> done, String what) {
        Instant deadline = Instant.now().plus(SETTLE);
        String last = probe.get();
        while (!done.test(last)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("waited " + SETTLE + " for " + what + "; last output:\n" + last);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            last = probe.get();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * One normal iSCSI session on a raw socket (RFC 7143): a single login request that goes
     * straight to full feature phase, then immediate NOP-Outs, so that "still the same session"
     * is a fact the test observes on the wire rather than infers from a listing.
     */
    static final class HeldSession implements AutoCloseable {
        private static final int BHS = 48;
        private static final int NO_TASK = 0xffffffff;

        private final Socket socket;
        private final DataInputStream in;
        private final OutputStream out;
        private final int tsih;
        private int cmdSn;
        private int expStatSn;
        private int nextItt = 0x100;

        private HeldSession(Socket socket, int tsih, int cmdSn, int expStatSn) throws IOException {
            this.socket = socket;
            this.in = new DataInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
            this.tsih = tsih;
            this.cmdSn = cmdSn;
            this.expStatSn = expStatSn;
        }

        static HeldSession login(int port, String target) throws IOException {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout(60_000);
            ByteArrayOutputStream keys = new ByteArrayOutputStream();
            for (String kv : new String[] {"InitiatorName=iqn.2026-11.dev.lunar:declarative-e2e", "SessionType=Normal",
                    "TargetName=" + target, "HeaderDigest=None", "DataDigest=None"}) {
                keys.writeBytes(kv.getBytes(StandardCharsets.UTF_8));
                keys.write(0);
            }
            byte[] text = keys.toByteArray();
            ByteBuffer pdu = ByteBuffer.allocate(BHS + ((text.length + 3) & ~3));
            pdu.put(0, (byte) (0x40 | 0x03)); // immediate Login Request (§11.12)
            // T=1, CSG=1, NSG=3: no security stage (the default target on loopback needs no CHAP),
            // straight from operational negotiation to full feature phase in one round trip.
            pdu.put(1, (byte) (0x80 | (1 << 2) | 3));
            pdu.put(5, (byte) (text.length >>> 16));
            pdu.put(6, (byte) (text.length >>> 8));
            pdu.put(7, (byte) text.length);
            pdu.put(8, (byte) 0x80); // ISID type: random
            pdu.putShort(12, (short) 0x4445);
            pdu.putInt(16, 1); // ITT
            pdu.putInt(24, 1); // CmdSN
            pdu.put(BHS, text);
            socket.getOutputStream().write(pdu.array());
            DataInputStream in = new DataInputStream(socket.getInputStream());
            ByteBuffer response = read(in);
            assertEquals(0x23, response.get(0) & 0x3f, "Login Response expected");
            assertEquals(0, response.get(36), "login status class (0 = success), detail " + response.get(37));
            assertEquals(3, response.get(1) & 0x03, "the target went to full feature phase");
            int tsih = Short.toUnsignedInt(response.getShort(14));
            assertTrue(tsih != 0, "a session has a TSIH");
            return new HeldSession(socket, tsih, 1, response.getInt(24) + 1);
        }

        int tsih() {
            return tsih;
        }

        /** An immediate NOP-Out that wants its NOP-In; answers the target's own pings meanwhile. */
        void ping() throws IOException {
            int itt = nextItt++;
            out.write(nopOut(itt, NO_TASK));
            out.flush();
            while (true) {
                ByteBuffer pdu = read(in);
                int opcode = pdu.get(0) & 0x3f;
                if (opcode != 0x20) {
                    assertTrue(opcode == 0x32, "only NOP-In or an Async Message expected, got opcode 0x"
                            + Integer.toHexString(opcode));
                    assertFalse(pdu.get(36) == 1 || pdu.get(36) == 2 || pdu.get(36) == 3,
                            "the target asked to end the session or connection (AsyncEvent " + pdu.get(36) + ")");
                    continue;
                }
                if (pdu.getInt(16) == itt) {
                    expStatSn = pdu.getInt(24) + 1;
                    return;
                }
                if (pdu.getInt(16) == NO_TASK && pdu.getInt(20) != NO_TASK) {
                    out.write(nopOut(NO_TASK, pdu.getInt(20))); // RFC 7143 §11.18: answer the target's ping
                    out.flush();
                }
            }
        }

        private byte[] nopOut(int itt, int ttt) {
            ByteBuffer pdu = ByteBuffer.allocate(BHS);
            pdu.put(0, (byte) 0x40); // immediate NOP-Out: CmdSN does not advance
            pdu.put(1, (byte) 0x80);
            pdu.putInt(16, itt);
            pdu.putInt(20, ttt);
            pdu.putInt(24, cmdSn);
            pdu.putInt(28, expStatSn);
            return pdu.array();
        }

        private static ByteBuffer read(DataInputStream in) throws IOException {
            byte[] header = new byte[BHS];
            in.readFully(header);
            int ahs = (header[4] & 0xff) * 4;
            int data = ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
            in.skipNBytes(ahs + ((data + 3) & ~3));
            return ByteBuffer.wrap(header);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
