package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.FreePorts;
import dev.lunar.itests.e2e.VendorTransportDeployment.Status;
import dev.lunar.itests.e2e.conformance.LunConfigs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot deploy (issue 5, DESIGN.md §1 and §3.5): the example vendor transport
 * (examples/vendor-transport, kind {@code vendor-tcp}) dropped into a running distribution's
 * {@code deploy/} serves a portal configured for it; taken away, the portal waits; dropped in
 * again, the portal listens again and the initiator that was using it carries on. Meanwhile a session on the default {@code tcp} portal keeps doing verified I/O and
 * nothing else in the distribution restarts.
 *
 * <p>The jar comes from the system property {@value VendorTransportDeployment#JAR_PROPERTY} (set by
 * itests/pom.xml).
 */
class HotDeployE2EIT extends LunarE2ETest {

    private static final String KIND = VendorTransportDeployment.KIND;
    private static final String BUNDLE = VendorTransportDeployment.SYMBOLIC_NAME;
    private static final String PORTAL = "vendor";
    private static final String HELD_IQN = "iqn.2026-11.dev.lunar:hotdeploy-held";
    private static final String VENDOR_IQN = "iqn.2026-11.dev.lunar:hotdeploy-vendor";
    private static final int LUN_BYTES = 8 << 20;
    private static final int IMAGE_BYTES = 2 << 20;
    private static final int BLOCK = 64 << 10;

    private final List<QemuIoSession> sessions = new ArrayList<>();
    private int vendorPort;

    @BeforeAll
    void addTargetsAndFindTheJar() {
        VendorTransportDeployment.jar();
        vendorPort = FreePorts.pick(1)[0];
        LunConfigs.addTarget(lunar, "hotdeploy-held", HELD_IQN);
        LunConfigs.addLun(lunar, "hotdeploy-held-0", HELD_IQN, 0, "ramdisk",
                Map.of("size", Integer.toString(LUN_BYTES)));
        LunConfigs.addTarget(lunar, "hotdeploy-vendor", VENDOR_IQN);
        LunConfigs.addLun(lunar, "hotdeploy-vendor-0", VENDOR_IQN, 0, "ramdisk",
                Map.of("size", Integer.toString(LUN_BYTES)));
        // LUN 1 of the vendor target is for the session held on the vendor portal across its removal.
        LunConfigs.addLun(lunar, "hotdeploy-vendor-1", VENDOR_IQN, 1, "ramdisk",
                Map.of("size", Integer.toString(LUN_BYTES)));
        LunConfigs.awaitLun(lunar, lunar.iscsiUrl("/" + HELD_IQN + "/0"));
        LunConfigs.awaitLun(lunar, lunar.iscsiUrl("/" + VENDOR_IQN + "/0"));
        LunConfigs.awaitLun(lunar, lunar.iscsiUrl("/" + VENDOR_IQN + "/1"));
    }

    @Test
    void vendorTransportComesAndGoesWhileTheTcpSessionCarriesOn(@TempDir Path dir) throws IOException {
        byte[] image = new byte[IMAGE_BYTES];
        new Random(0x56454e44L).nextBytes(image);
        Path source = dir.resolve("source.raw");
        Files.write(source, image);

        try (QemuIoSession held = QemuIoSession.open(lunar.iscsiUrl("/" + HELD_IQN + "/0"), lunar)) {
            held.write(0x11, 0);

            // Dropped in: the bundle starts, a portal configured for its kind listens through it.
            VendorTransportDeployment.deploy(lunar);
            VendorTransportDeployment.awaitStatus(lunar, "bundle " + BUNDLE + " Active",
                    s -> s.bundleState(BUNDLE).equals(Optional.of("Active")));
            VendorTransportDeployment.addPortal(lunar, PORTAL, vendorPort);
            Status listening = VendorTransportDeployment.awaitListening(lunar, PORTAL);
            assertEquals(List.of(PORTAL, "127.0.0.1", Integer.toString(vendorPort), KIND),
                    listening.portal(PORTAL).orElseThrow().subList(0, 4), "lunar:status portal row");

            // Used by real initiators: discovery, INQUIRY, and a data round trip with qemu-img.
            String targets = assertSucceeded(runIscsiTool("iscsi-ls", "-s", vendorUrl("")));
            assertTrue(targets.contains("Target:" + VENDOR_IQN), targets);
            String inquiry = assertSucceeded(runIscsiTool("iscsi-inq", vendorUrl("/" + VENDOR_IQN + "/0")));
            assertTrue(inquiry.contains("Peripheral Device Type:DIRECT_ACCESS"), inquiry);
            QemuTools.succeed("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", "-t", "none", source.toString(),
                    vendorUrl("/" + VENDOR_IQN + "/0"));
            Path back = dir.resolve("back.raw");
            QemuTools.succeed("qemu-img", "convert", "-f", "raw", "-O", "raw", vendorUrl("/" + VENDOR_IQN + "/0"),
                    back.toString());
            assertArrayEquals(image, Arrays.copyOf(Files.readAllBytes(back), IMAGE_BYTES),
                    "bytes read back through vendor-tcp differ from those written through it");
            String vendorLogin = "logged in to " + Pattern.quote(VENDOR_IQN) + " via vendor-tcp-\\d+ \\(vendor-tcp\\)";
            assertTrue(countLog(vendorLogin) > 0,
                    "no login through the vendor transport was logged with its kind and connection id\n"
                            + lunar.diagnostics());
            held.verify(0x11, 0);
            held.write(0x22, BLOCK);
            QemuIoSession onVendor = QemuIoSession.open(vendorUrl("/" + VENDOR_IQN + "/1"), lunar);
            sessions.add(onVendor);
            onVendor.write(0x44, 0);

            // Taken away: the portal stays configured and waits; the tcp portal and its session go on.
            VendorTransportDeployment.undeploy(lunar);
            Status waiting = VendorTransportDeployment.awaitStatus(lunar, "portal " + PORTAL + " WAITING, bundle gone",
                    s -> s.bundleState(BUNDLE).isEmpty() && s.portalState(PORTAL).equals(Optional.of("WAITING")));
            assertEquals("no transport of kind " + KIND, waiting.portal(PORTAL).orElseThrow().get(5));
            assertEquals(Optional.of("LISTENING"), waiting.portalState("default"), "the tcp portal");
            awaitRefused(vendorPort);
            held.verify(0x11, 0);
            held.verify(0x22, BLOCK);
            held.write(0x33, 2 * BLOCK);
            String viaTcp = assertSucceeded(runIscsiTool("iscsi-ls", "-s", lunar.iscsiUrl("")));
            assertTrue(viaTcp.contains("Target:" + HELD_IQN), viaTcp);

            // Dropped in again: the same portal listens again, and the LUN (which never depended
            // on the transport) still holds what was written through the first instance.
            VendorTransportDeployment.deploy(lunar);
            VendorTransportDeployment.awaitListening(lunar, PORTAL);
            QemuTools.succeed("qemu-img", "compare", "-f", "raw", "-F", "raw", source.toString(),
                    vendorUrl("/" + VENDOR_IQN + "/0"));
            held.verify(0x11, 0);
            held.verify(0x22, BLOCK);
            held.verify(0x33, 2 * BLOCK);
            // The initiator whose connection the vendor transport carried works again once a
            // transport of that kind is back, with its data intact. How (its connection closed and
            // libiscsi reconnecting, or the engine keeping the connection detached and handing it
            // to the returning transport) is issue 6's business, not asserted here.
            onVendor.verify(0x44, 0);

            // The held session logged in once and never lost its connection: nothing it depends
            // on restarted (checked before qemu-io quits, which ends the session).
            assertHeldSessionNeverReconnected();
        }
        assertEquals(1, countLog("Portal default listening on"), "the default portal was never re-bound");
        assertEquals(0, countLog("dev\\.lunar\\.transport-tcp - \\S+ +\\| TCP transport stopped"),
                "transport-tcp was restarted");
        assertEquals(2, countLog("Transport " + KIND + " \\(wire tcp\\) started"), "one start per drop-in");
        assertEquals(1, countLog("Transport " + KIND + " stopped"), "one stop, for the removal");
    }

    @AfterEach
    void quitSessions() {
        sessions.forEach(QemuIoSession::close);
        sessions.clear();
    }

    private String vendorUrl(String suffix) {
        return "iscsi://127.0.0.1:" + vendorPort + suffix;
    }

    /** Waits until nothing accepts connections on {@code port} (a closed listener may linger a moment). */
    private void awaitRefused(int port) {
        Instant deadline = Instant.now().plus(VendorTransportDeployment.CHANGE_TIMEOUT);
        while (LunarProcess.portOpen(port)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("port " + port + " still accepts connections after its transport left\n"
                        + lunar.diagnostics());
            }
            sleep(200);
        }
    }

    private void assertHeldSessionNeverReconnected() {
        // Only qemu-io logs in to this target as QEMU's initiator; the probes (iscsi-ls,
        // iscsi-readcapacity16) use libiscsi's own names.
        Pattern login = Pattern.compile("Session (\\d+) \\(" + Pattern.quote(QemuIoSession.INITIATOR)
                + ", ISID \\w+\\) logged in to " + Pattern.quote(HELD_IQN) + " via (\\S+) \\((\\S+)\\)");
        List<Matcher> logins = new ArrayList<>();
        for (String line : logLines()) {
            Matcher m = login.matcher(line);
            if (m.find()) {
                logins.add(m);
            }
        }
        assertEquals(1, logins.size(), () -> "the held session logged in " + logins.size() + " times\n"
                + lunar.diagnostics());
        assertEquals("tcp", logins.get(0).group(3), "the held session's transport kind");
        String tsih = logins.get(0).group(1);
        assertEquals(0, countLog("Session " + tsih + " \\([^)]*\\) lost its connection"),
                "the held session (TSIH " + tsih + ") lost its connection");
    }

    private long countLog(String regex) {
        Pattern p = Pattern.compile(regex);
        return logLines().stream().filter(line -> p.matcher(line).find()).count();
    }

    private List<String> logLines() {
        try {
            return Files.readAllLines(lunar.home().resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * One iSCSI session held open for the whole test: qemu-io (QEMU's iSCSI driver, like
     * qemu-img) reading commands from a pipe, one at a time. qemu-io flushes its output with each
     * prompt, so the prompt after a command marks the command's end. Writes and reads are
     * {@value #BLOCK} bytes of one pattern byte; {@code read -P} has qemu-io compare every byte.
     */
    private static final class QemuIoSession implements AutoCloseable {

        /** The initiator name QEMU's iSCSI driver uses when none is configured. */
        static final String INITIATOR = "iqn.2008-11.org.linux-kvm";
        private static final String PROMPT = "qemu-io> ";
        private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

        private final Process process;
        private final OutputStream commands;
        private final StringBuffer output = new StringBuffer();
        private final LunarProcess lunar;

        private QemuIoSession(Process process, LunarProcess lunar) {
            this.process = process;
            this.commands = process.getOutputStream();
            this.lunar = lunar;
            Thread reader = new Thread(() -> {
                byte[] buffer = new byte[4096];
                try (InputStream in = process.getInputStream()) {
                    for (int n; (n = in.read(buffer)) > 0;) {
                        output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException ended) {
                    // the process went away; whoever waits sees it is not alive
                }
            }, "qemu-io output");
            reader.setDaemon(true);
            reader.start();
        }

        static QemuIoSession open(String url, LunarProcess lunar) {
            Tools.require("qemu-io", "qemu-utils");
            Process process;
            try {
                process = new ProcessBuilder("qemu-io", "-f", "raw", url).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start qemu-io", e);
            }
            QemuIoSession session = new QemuIoSession(process, lunar);
            session.awaitPrompt(0, "open " + url);
            return session;
        }

        void write(int pattern, long offset) {
            String out = run("write -P 0x" + Integer.toHexString(pattern) + " " + offset + " " + BLOCK);
            assertTrue(out.contains("wrote " + BLOCK + "/" + BLOCK + " bytes at offset " + offset), out);
        }

        void verify(int pattern, long offset) {
            String out = run("read -P 0x" + Integer.toHexString(pattern) + " " + offset + " " + BLOCK);
            assertFalse(out.contains("Pattern verification failed"), out);
            assertTrue(out.contains("read " + BLOCK + "/" + BLOCK + " bytes at offset " + offset), out);
        }

        private String run(String command) {
            int from = output.length();
            try {
                commands.write((command + "\n").getBytes(StandardCharsets.UTF_8));
                commands.flush();
            } catch (IOException e) {
                throw new AssertionError("qemu-io no longer takes commands (" + e.getMessage() + "); it printed:\n"
                        + output, e);
            }
            return awaitPrompt(from, command);
        }

        /** Output after {@code from} up to the next prompt; fails when qemu-io exits or stalls. */
        private String awaitPrompt(int from, String what) {
            Instant deadline = Instant.now().plus(COMMAND_TIMEOUT);
            while (true) {
                String since = output.substring(Math.min(from, output.length()));
                if (since.endsWith(PROMPT)) {
                    return since;
                }
                if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                    throw new AssertionError("qemu-io did not finish '" + what + "' (alive: " + process.isAlive()
                            + "); it printed:\n" + output + "\n" + lunar.diagnostics());
                }
                sleep(20);
            }
        }

        /** Quits (a clean iSCSI logout); kills qemu-io if it does not end. */
        @Override
        public void close() {
            try {
                commands.write("quit\n".getBytes(StandardCharsets.UTF_8));
                commands.close();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException e) {
                process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
