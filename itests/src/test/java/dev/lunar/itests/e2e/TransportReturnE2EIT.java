package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.e2e.conformance.LunConfigs;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 "done when", transport removed without a successor (DESIGN.md §3.5): an initiator holds
 * a persistent reservation (SPC-4 §5.13: REGISTER, then RESERVE Exclusive Access) through the
 * default {@code tcp} portal; the test stops the transport-tcp bundle. Its connection is parked for
 * {@code transportGraceSeconds} (5 s here) and then closed cleanly (FIN). Some time later (10 s
 * here, 30 s in the {@code long} run, past DefaultTime2Retain) the bundle starts again; the
 * initiator logs in with the same initiator name and ISID (so the same I_T nexus, RFC 7143 §4.4.3
 * session reinstatement) and finds its reservation: READ RESERVATION reports the same key and
 * type, its READ succeeds, and another ISID's READ meets RESERVATION CONFLICT.
 *
 * <p>The initiator is raw PDUs on a socket (no Debian tool sends PERSISTENT RESERVE ad hoc); it
 * logs in straight to full feature phase, as MetricsE2EIT's does.
 */
class TransportReturnE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:treturn";
    private static final String INITIATOR = "iqn.2026-11.dev.lunar:treturn-initiator";
    private static final String TRANSPORT_BUNDLE = "dev.lunar.transport-tcp";
    private static final int GRACE_SECONDS = 5;
    private static final long KEY = 0x4c554e4152000006L;
    /** SPC-4 Table 173: Exclusive Access. */
    private static final int TYPE_EXCLUSIVE_ACCESS = 3;
    private static final int GOOD = 0x00;
    private static final int RESERVATION_CONFLICT = 0x18;
    private static final Pattern PARKED = Pattern.compile(
            "Transport tcp gone: (\\d+) connection\\(s\\) parked, waiting up to (\\d+) s");

    @BeforeAll
    void addLunAndShortGrace() throws IOException {
        LunConfigs.addTarget(lunar, "treturn", IQN);
        LunConfigs.addLun(lunar, "treturn-0", IQN, 0, "ramdisk", Map.of("size", Integer.toString(4 << 20)));
        LunConfigs.awaitLun(lunar, lunar.iscsiUrl("/" + IQN + "/0"));
        lunar.setProperty("etc/dev.lunar.iscsi.cfg", "transportGraceSeconds", Integer.toString(GRACE_SECONDS));
        // fileinstall polls etc/ every second; Config Admin then calls the engine's @Modified.
        for (int i = 0; i < 120; i++) {
            ToolResult config = lunar.shell("config:property-list --pid dev.lunar.iscsi");
            if (config.succeeded() && config.output().matches("(?s).*transportGraceSeconds\\s*=\\s*"
                    + GRACE_SECONDS + "\\b.*")) {
                sleep(1000);
                return;
            }
            sleep(500);
        }
        throw new AssertionError("transportGraceSeconds = " + GRACE_SECONDS + " not applied\n" + lunar.diagnostics());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Test
    void aTransportBackTenSecondsLaterFindsTheReservationKept() throws Exception {
        removeAndReturn(Duration.ofSeconds(10), 0x1234);
    }

    @Test
    @Tag("long")
    void aTransportBackThirtySecondsLaterFindsTheReservationKept() throws Exception {
        removeAndReturn(Duration.ofSeconds(30), 0x1235);
    }

    private void removeAndReturn(Duration away, int isid) throws Exception {
        try (RawInitiator holder = RawInitiator.login(lunar.iscsiPort(), isid)) {
            holder.clearUnitAttentions();
            assertEquals(GOOD, holder.persistentReserveOut(0x00, 0, 0, KEY).status(), "REGISTER");
            assertEquals(GOOD, holder.persistentReserveOut(0x01, TYPE_EXCLUSIVE_ACCESS, KEY, 0).status(), "RESERVE");
            assertReservation(holder);

            int parkedBefore = parkedLines();
            String id = bundleId(TRANSPORT_BUNDLE);
            long stopped = System.nanoTime();
            assertSucceeded(lunar.shell("bundle:stop " + id));
            awaitParked(parkedBefore + 1);
            assertEquals(GRACE_SECONDS, lastParkedGrace(), "the engine should use transportGraceSeconds from etc/");
            // The grace ends: the engine closes the parked socket. Cleanly: a FIN, not a reset.
            assertTrue(holder.awaitClosedByTarget(Duration.ofSeconds(GRACE_SECONDS + 20)),
                    "the target should close the parked connection with a FIN after the grace time\n"
                            + lunar.diagnostics());
            long closedAfter = (System.nanoTime() - stopped) / 1_000_000;
            assertTrue(closedAfter >= GRACE_SECONDS * 1000L - 500, "closed after " + closedAfter
                    + " ms, before the grace time ended");
            long rest = away.toMillis() - (System.nanoTime() - stopped) / 1_000_000;
            if (rest > 0) {
                Thread.sleep(rest);
            }
            assertSucceeded(lunar.shell("bundle:start " + id));
            lunar.awaitIscsiPort();
        }

        // Same initiator name and ISID: the same I_T nexus (reinstatement if the session is still
        // retained, a new session on the same nexus after Time2Retain).
        try (RawInitiator back = RawInitiator.login(lunar.iscsiPort(), isid)) {
            back.clearUnitAttentions();
            assertReservation(back);
            assertEquals(GOOD, back.read10().status(), "the reservation holder reads");
            try (RawInitiator other = RawInitiator.login(lunar.iscsiPort(), isid + 0x100)) {
                other.clearUnitAttentions();
                assertEquals(RESERVATION_CONFLICT, other.read10().status(),
                        "another I_T nexus reads through an Exclusive Access reservation");
            }
            // Leave the LUN as found for the other test: RELEASE, then unregister (key 0).
            assertEquals(GOOD, back.persistentReserveOut(0x02, TYPE_EXCLUSIVE_ACCESS, KEY, 0).status(), "RELEASE");
            assertEquals(GOOD, back.persistentReserveOut(0x00, 0, KEY, 0).status(), "unregister");
        }
    }

    private static void assertReservation(RawInitiator initiator) throws IOException {
        Reply r = initiator.readReservation();
        assertEquals(GOOD, r.status(), "READ RESERVATION");
        ByteBuffer data = ByteBuffer.wrap(r.data());
        assertEquals(16, data.getInt(4), "ADDITIONAL LENGTH: one reservation");
        assertEquals(KEY, data.getLong(8), "reservation key");
        assertEquals(TYPE_EXCLUSIVE_ACCESS, data.get(21) & 0x0f, "reservation type");
    }

    private String bundleId(String symbolicName) {
        ToolResult list = lunar.shell("bundle:list -s -t 0 --no-format");
        assertTrue(list.succeeded(), list::describe);
        for (String line : list.output().split("\n")) {
            if (line.contains(symbolicName)) {
                return line.trim().split("\\s*\\|\\s*|\\s+")[0];
            }
        }
        throw new AssertionError("no bundle " + symbolicName + " in\n" + list.output());
    }

    private String log() {
        try {
            return Files.readString(lunar.home().resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int parkedLines() {
        Matcher m = PARKED.matcher(log());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private int lastParkedGrace() {
        Matcher m = PARKED.matcher(log());
        int grace = -1;
        while (m.find()) {
            grace = Integer.parseInt(m.group(2));
        }
        return grace;
    }

    private void awaitParked(int expected) throws InterruptedException {
        for (int i = 0; i < 200 && parkedLines() < expected; i++) {
            Thread.sleep(100);
        }
        assertEquals(expected, parkedLines(), "the engine should park the connection when transport-tcp stops\n"
                + lunar.diagnostics());
    }

    /** A SCSI command's outcome: status byte and the Data-In bytes. */
    record Reply(int status, byte[] data) {
    }

    /**
     * The smallest initiator that can hold a reservation: login straight to full feature phase,
     * then one SCSI command at a time (immediate data, or Data-Out on R2T), answering NOP-Ins.
     */
    static final class RawInitiator implements AutoCloseable {

        private final Socket socket;
        private final DataInputStream in;
        private int cmdSn;
        private int expStatSn;
        private int itt = 0x100;

        private RawInitiator(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new DataInputStream(socket.getInputStream());
        }

        static RawInitiator login(int port, int isid) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            s.setSoTimeout(30_000);
            RawInitiator r = new RawInitiator(s);
            StringBuilder keys = new StringBuilder();
            for (String kv : new String[] {"InitiatorName=" + INITIATOR, "SessionType=Normal", "TargetName=" + IQN,
                    "HeaderDigest=None", "DataDigest=None", "ImmediateData=Yes", "InitialR2T=No"}) {
                keys.append(kv).append('\0');
            }
            byte[] text = keys.toString().getBytes(StandardCharsets.UTF_8);
            ByteBuffer pdu = ByteBuffer.allocate(48 + pad(text.length));
            pdu.put(0, (byte) 0x43);                     // immediate Login Request
            pdu.put(1, (byte) (0x80 | (1 << 2) | 3));    // T=1, CSG=1 (operational), NSG=3 (full feature)
            pdu.put(7, (byte) text.length);
            pdu.put(8, (byte) 0x80);                     // ISID type random, then the test's qualifier
            pdu.putShort(12, (short) isid);
            pdu.putInt(16, 1);                           // ITT
            pdu.putInt(24, 1);                           // CmdSN
            pdu.put(48, text);
            s.getOutputStream().write(pdu.array());
            byte[][] response = r.readPdu();
            assertEquals(0x23, response[0][0] & 0x3f, "Login Response");
            assertEquals(0, response[0][36], "login succeeded (status class 0), detail " + response[0][37]);
            r.expStatSn = ByteBuffer.wrap(response[0]).getInt(24) + 1;
            r.cmdSn = ByteBuffer.wrap(response[0]).getInt(28);
            return r;
        }

        /** TEST UNIT READY until GOOD: the first commands after a nexus loss report unit attentions. */
        void clearUnitAttentions() throws IOException {
            int status = -1;
            for (int i = 0; i < 8 && status != GOOD; i++) {
                status = command(new byte[] {0x00, 0, 0, 0, 0, 0}, null, 0).status();
            }
            assertEquals(GOOD, status, "TEST UNIT READY stays not GOOD");
        }

        /** PERSISTENT RESERVE OUT (SPC-4 §6.16) with the basic 24-byte parameter list. */
        Reply persistentReserveOut(int serviceAction, int type, long key, long serviceActionKey) throws IOException {
            ByteBuffer parameters = ByteBuffer.allocate(24);
            parameters.putLong(0, key);
            parameters.putLong(8, serviceActionKey);
            byte[] cdb = new byte[10];
            cdb[0] = 0x5f;
            cdb[1] = (byte) serviceAction;
            cdb[2] = (byte) type;                        // scope 0 (LU_SCOPE)
            cdb[8] = 24;
            return command(cdb, parameters.array(), 0);
        }

        /** PERSISTENT RESERVE IN, READ RESERVATION (SPC-4 §6.15.4). */
        Reply readReservation() throws IOException {
            return command(new byte[] {0x5e, 0x01, 0, 0, 0, 0, 0, 0, 64, 0}, null, 64);
        }

        /** READ(10) of block 0, one block (512 or 4096 bytes: ask for 4096). */
        Reply read10() throws IOException {
            return command(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0}, null, 4096);
        }

        private Reply command(byte[] cdb, byte[] dataOut, int expectedIn) throws IOException {
            int task = itt++;
            int out = dataOut == null ? 0 : dataOut.length;
            ByteBuffer pdu = ByteBuffer.allocate(48 + pad(out));
            pdu.put(0, (byte) 0x01);
            pdu.put(1, (byte) (0x80 | (expectedIn > 0 ? 0x40 : 0) | (out > 0 ? 0x20 : 0) | 0x01)); // F, R, W, SIMPLE
            pdu.put(5, (byte) (out >> 16));
            pdu.put(6, (byte) (out >> 8));
            pdu.put(7, (byte) out);
            pdu.putInt(16, task);
            pdu.putInt(20, Math.max(out, expectedIn));
            pdu.putInt(24, cmdSn++);
            pdu.putInt(28, expStatSn);
            pdu.put(32, cdb);
            if (out > 0) {
                pdu.put(48, dataOut);
            }
            socket.getOutputStream().write(pdu.array());
            ByteArrayOutputStream dataIn = new ByteArrayOutputStream();
            while (true) {
                byte[][] reply = readPdu();
                ByteBuffer bhs = ByteBuffer.wrap(reply[0]);
                int opcode = reply[0][0] & 0x3f;
                if (opcode == 0x20) {                    // NOP-In: answer a ping (RFC 7143 §11.19)
                    if (bhs.getInt(20) != -1) {
                        nopOut(bhs);
                    }
                    continue;
                }
                if (opcode == 0x32) {                    // Async Message: not for this test
                    continue;
                }
                if (opcode == 0x31) {                    // R2T (InitialR2T=Yes or ImmediateData=No)
                    sendDataOut(task, bhs.getInt(20), dataOut);
                    continue;
                }
                if (bhs.getInt(16) != task) {
                    continue;
                }
                if (opcode == 0x25) {                    // Data-In
                    dataIn.write(reply[1]);
                    if ((reply[0][1] & 0x01) != 0) {     // S: the status is in this PDU
                        expStatSn = bhs.getInt(24) + 1;
                        return new Reply(reply[0][3] & 0xff, dataIn.toByteArray());
                    }
                    continue;
                }
                assertEquals(0x21, opcode, "SCSI Response expected, got opcode 0x" + Integer.toHexString(opcode));
                expStatSn = bhs.getInt(24) + 1;
                return new Reply(reply[0][3] & 0xff, dataIn.toByteArray());
            }
        }

        private void sendDataOut(int task, int ttt, byte[] data) throws IOException {
            ByteBuffer pdu = ByteBuffer.allocate(48 + pad(data.length));
            pdu.put(0, (byte) 0x05);
            pdu.put(1, (byte) 0x80);
            pdu.put(5, (byte) (data.length >> 16));
            pdu.put(6, (byte) (data.length >> 8));
            pdu.put(7, (byte) data.length);
            pdu.putInt(16, task);
            pdu.putInt(20, ttt);
            pdu.putInt(28, expStatSn);
            pdu.put(48, data);
            socket.getOutputStream().write(pdu.array());
        }

        private void nopOut(ByteBuffer nopIn) throws IOException {
            ByteBuffer pdu = ByteBuffer.allocate(48);
            pdu.put(0, (byte) 0x40);                     // immediate NOP-Out
            pdu.put(1, (byte) 0x80);
            pdu.putLong(8, nopIn.getLong(8));
            pdu.putInt(16, -1);
            pdu.putInt(20, nopIn.getInt(20));
            pdu.putInt(24, cmdSn);
            pdu.putInt(28, expStatSn);
            socket.getOutputStream().write(pdu.array());
        }

        /** BHS and data segment of the next PDU (AHS dropped). */
        private byte[][] readPdu() throws IOException {
            byte[] bhs = new byte[48];
            in.readFully(bhs);
            int data = ((bhs[5] & 0xff) << 16) | ((bhs[6] & 0xff) << 8) | (bhs[7] & 0xff);
            in.readFully(new byte[(bhs[4] & 0xff) * 4]);
            byte[] segment = new byte[data];
            in.readFully(segment);
            in.readFully(new byte[pad(data) - data]);
            return new byte[][] {bhs, segment};
        }

        /** Reads until end of stream: true when the target closed with a FIN within {@code limit}. */
        boolean awaitClosedByTarget(Duration limit) throws IOException {
            socket.setSoTimeout((int) limit.toMillis());
            try {
                while (in.read() >= 0) {
                    // a late PDU: drop it
                }
                return true;
            } catch (SocketException reset) {
                return false;
            } catch (java.net.SocketTimeoutException stillOpen) {
                return false;
            }
        }

        private static int pad(int length) {
            return (length + 3) & ~3;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
