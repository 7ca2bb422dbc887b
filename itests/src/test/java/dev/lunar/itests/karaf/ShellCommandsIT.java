package dev.lunar.itests.karaf;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetService;
import dev.lunar.itests.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.inject.Inject;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Drives every {@code lunar:} management command in our distribution the way an operator does
 * (a shell session, {@code --no-format} output) and checks the result twice: in what the command
 * printed and in what the api services then report. Bad arguments must fail with one sentence
 * ({@code Error executing command: ...} in a console), never a stack trace, and change nothing.
 * Every test uses its own object names, so the order of the tests does not matter.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellCommandsIT {

    private static final String DEFAULT_IQN = "iqn.2026-11.dev.lunar:default";
    private static final String INITIATOR = "iqn.2026-11.dev.lunar.itest:shell";

    /** Configuration changes reach the components asynchronously (Config Admin events). */
    private static final long SETTLE_SECONDS = 30;

    @Inject
    private SessionFactory sessionFactory;

    @Inject
    private ConfigurationService configs;

    @Inject
    private TargetService targets;

    @Inject
    private LunService luns;

    @Inject
    private ConfigurationAdmin configAdmin;

    @Configuration
    public Option[] config() {
        // Picked here, in the JVM that starts the container (FreePorts is not part of the probe);
        // the tests inside the container read them back from lunar.itest.ports.
        int[] ports = FreePorts.pick(6);
        return LunarContainer.options(ports,
                systemProperty("lunar.itest.ports").value(ports[3] + "," + ports[4] + "," + ports[5]));
    }

    /** The ports as the container sees them (the probe runs there, not in the JVM that picked them). */
    private static int port(int index) {
        return Integer.parseInt(System.getProperty("lunar.itest.ports").split(",")[index]);
    }

    /** Boot is over when the shell answers (Pax Exam's own feature install refreshes bundles). */
    @Before
    public void awaitShell() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try {
                run("lunar:target-list --no-format");
                return;
            } catch (Exception notYet) {
                Thread.sleep(500);
            }
        }
    }

    // ---------------------------------------------------------------- targets

    @Test
    public void targetCreateListInfoDelete() throws Exception {
        String iqn = "iqn.2026-11.dev.lunar:shell-t1";
        String out = run("lunar:target-create --iqn " + iqn + " --alias 'shell test' shell-t1");
        assertEquals("Target shell-t1 (" + iqn + ") created.", out.trim());
        ConfigObject stored = configs.get(ObjectKind.TARGET, "shell-t1").orElseThrow();
        assertEquals(iqn, stored.properties().get("iqn"));
        assertEquals("shell test", stored.properties().get("alias"));
        awaitTrue("target shell-t1 running", () -> targets.targets().stream().anyMatch(t -> t.iqn().equals(iqn)));

        String list = cells(run("lunar:target-list --no-format"));
        assertTrue(list, list.contains("shell-t1|" + iqn + "|shell test|none|0|0|0|active"));
        assertTrue(list, list.contains("default|" + DEFAULT_IQN + "|"));

        String info = cells(run("lunar:target-info --no-format " + iqn));
        assertTrue(info, info.startsWith("Target shell-t1\n"));
        assertTrue(info, info.contains("iqn|" + iqn));
        assertTrue(info, info.contains("Portals\n"));
        assertTrue(info, info.contains("default|127.0.0.1|" + port(0) + "|tcp|1|"));

        assertEquals("Target shell-t1 (" + iqn + ") deleted.", run("lunar:target-delete shell-t1").trim());
        assertFalse(configs.get(ObjectKind.TARGET, "shell-t1").isPresent());
        awaitTrue("target shell-t1 gone", () -> targets.targets().stream().noneMatch(t -> t.iqn().equals(iqn)));
    }

    @Test
    public void targetMistakesAreSentencesAndChangeNothing() throws Exception {
        int before = configs.list(ObjectKind.TARGET).size();

        assertFails("lunar:target-create --iqn not-an-iqn shell-bad", "iqn = not-an-iqn");
        assertFails("lunar:target-create --iqn iqn.2026-11.dev.lunar:x --auth kerberos shell-bad",
                "--auth must be none or chap, not 'kerberos'.");
        assertFails("lunar:target-create --iqn iqn.2026-11.dev.lunar:x --auth chap shell-bad",
                "--auth chap needs --chap-user");
        assertFails("lunar:target-create --iqn iqn.2026-11.dev.lunar:other default", "exists already");
        assertFails("lunar:target-info nowhere",
                "There is no target named or with the IQN 'nowhere'; lunar:target-list shows the configured targets.");
        assertFails("lunar:target-delete nowhere", "There is no target named or with the IQN 'nowhere'");
        assertFails("lunar:target-create", "is required");

        assertEquals(before, configs.list(ObjectKind.TARGET).size());
    }

    // ---------------------------------------------------------------- portals

    @Test
    public void portalAddListRemove() throws Exception {
        int port = port(1);
        String out = run("lunar:portal-add --address 127.0.0.1 --port " + port + " --transport tcp --tpgt 2 shell-p1");
        assertEquals("Portal shell-p1 added on 127.0.0.1:" + port + " (tcp).", out.trim());
        assertEquals(Map.of("address", "127.0.0.1", "port", Integer.toString(port), "transport", "tcp", "tpgt", "2"),
                configs.get(ObjectKind.PORTAL, "shell-p1").orElseThrow().properties());
        awaitTrue("portal shell-p1 listening", () -> portal("shell-p1").map(p -> p.state().equals("LISTENING"))
                .orElse(false));
        // Really listening: an initiator can connect.
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            assertTrue(socket.isConnected());
        }

        String list = cells(run("lunar:portal-list --no-format"));
        assertTrue(list, list.contains("shell-p1|127.0.0.1|" + port + "|tcp|2|LISTENING"));

        assertEquals("Portal shell-p1 removed.", run("lunar:portal-remove shell-p1").trim());
        assertFalse(configs.get(ObjectKind.PORTAL, "shell-p1").isPresent());
        awaitTrue("portal shell-p1 gone", () -> portal("shell-p1").isEmpty());
    }

    @Test
    public void portalMistakesAreSentences() throws Exception {
        assertFails("lunar:portal-add --port 70000 shell-p2", "--port must be from 0 to 65535, not 70000.");
        assertFails("lunar:portal-add --tpgt 0 shell-p2", "--tpgt must be from 1 to 65535, not 0.");
        assertFails("lunar:portal-add --port abc shell-p2", "abc");
        assertFails("lunar:portal-remove nowhere", "There is no portal named 'nowhere'; lunar:portal-list shows them.");
        assertFalse(configs.get(ObjectKind.PORTAL, "shell-p2").isPresent());
    }

    // ---------------------------------------------------------------- LUNs

    @Test
    public void lunCreateResizeMapUnmapDelete() throws Exception {
        run("lunar:target-create --iqn iqn.2026-11.dev.lunar:shell-t2 shell-t2");
        run("lunar:target-create --iqn iqn.2026-11.dev.lunar:shell-t3 shell-t3");
        String out = run("lunar:lun-create --target shell-t2 --lun 0 --backend ramdisk --size 64M"
                + " --block-size 4096 --write-cache false -o removable=true shell-l1");
        assertEquals("LUN shell-l1 created as LUN 0 of iqn.2026-11.dev.lunar:shell-t2 (ramdisk, 64 MiB).", out.trim());
        Map<String, String> p = configs.get(ObjectKind.LUN, "shell-l1").orElseThrow().properties();
        assertEquals("iqn.2026-11.dev.lunar:shell-t2", p.get("target"));
        assertEquals("4096", p.get("blockSize"));
        assertEquals("false", p.get("writeCache"));
        assertEquals("true", p.get("removable"));
        awaitTrue("LUN shell-l1 ready with 64 MiB", () -> lun("shell-l1")
                .map(l -> l.state().equals("READY") && l.sizeBytes() == 64L << 20 && l.blockSize() == 4096).orElse(false));

        String list = cells(run("lunar:lun-list --no-format"));
        assertTrue(list, list.contains("shell-l1|iqn.2026-11.dev.lunar:shell-t2|0|ramdisk|64 MiB|4096|READY"));

        assertEquals("LUN shell-l1 resized to 128 MiB (was 64 MiB).", run("lunar:lun-resize shell-l1 128MiB").trim());
        awaitTrue("LUN shell-l1 at 128 MiB", () -> lun("shell-l1").map(l -> l.sizeBytes() == 128L << 20).orElse(false));

        String info = cells(run("lunar:lun-info --no-format shell-l1"));
        assertTrue(info, info.startsWith("LUN shell-l1\n"));
        assertTrue(info, info.contains("size|128MiB"));
        assertTrue(info, info.contains("I/O since start\n"));

        run("lunar:lun-map --target iqn.2026-11.dev.lunar:shell-t3 --lun 5 shell-l1");
        p = configs.get(ObjectKind.LUN, "shell-l1").orElseThrow().properties();
        assertEquals("iqn.2026-11.dev.lunar:shell-t3", p.get("target"));
        assertEquals("5", p.get("lun"));
        awaitTrue("LUN shell-l1 moved to LUN 5 of shell-t3", () -> lun("shell-l1")
                .map(l -> l.target().equals("iqn.2026-11.dev.lunar:shell-t3") && l.lun() == 5).orElse(false));

        String unmapped = run("lunar:lun-unmap shell-l1");
        assertTrue(unmapped, unmapped.startsWith("LUN shell-l1 unmapped from iqn.2026-11.dev.lunar:shell-t3"));
        p = configs.get(ObjectKind.LUN, "shell-l1").orElseThrow().properties();
        assertNull(p.get("target"));
        assertEquals("ramdisk", p.get("backend"));
        assertTrue(cells(run("lunar:lun-list --no-format")).contains("shell-l1|(unmapped)|5|ramdisk"));

        assertEquals("LUN shell-l1 deleted.", run("lunar:lun-delete shell-l1").trim());
        assertFalse(configs.get(ObjectKind.LUN, "shell-l1").isPresent());
        awaitTrue("LUN shell-l1 gone", () -> lun("shell-l1").isEmpty());
        run("lunar:target-delete shell-t2");
        run("lunar:target-delete shell-t3");
    }

    @Test
    public void lunMistakesAreSentencesAndChangeNothing() throws Exception {
        assertFails("lunar:lun-create --target nowhere --lun 0 --backend ramdisk --size 1G shell-l2",
                "There is no target named or with the IQN 'nowhere'");
        assertFails("lunar:lun-create --target default --lun 1 --backend ramdisk --size lots shell-l2",
                "--size 'lots' is not a size; write a byte count such as 512, 4k, 1GiB or 10G (binary units: 1k = 1024).");
        assertFails("lunar:lun-create --target default --lun 1 --backend ramdisk --size 1G --block-size 1000 shell-l2",
                "--block-size must be 512, 1024, 2048 or 4096, not 1000.");
        assertFails("lunar:lun-create --target default --lun 1 --backend ramdisk --size 1G --thin maybe shell-l2",
                "--thin must be true or false, not 'maybe'.");
        assertFails("lunar:lun-create --target default --lun 1 --backend ramdisk --size 1G -o target=x shell-l2",
                "Set 'target' with --target, not with -o.");
        assertFails("lunar:lun-create --target default --lun 0 --backend ramdisk --size 1G shell-l2",
                "pick a free LUN number");
        assertFails("lunar:lun-create --target default --lun 1 --backend ramdisk shell-l2", "'size'");
        assertFails("lunar:lun-resize default-0 0", "Size must be more than 0 bytes, not '0'.");
        assertFails("lunar:lun-resize nowhere 1G", "There is no LUN named 'nowhere'; lunar:lun-list shows them.");
        assertFails("lunar:lun-map --target default --lun 1 nowhere", "There is no LUN named 'nowhere'");
        assertFails("lunar:lun-delete nowhere", "There is no LUN named 'nowhere'");
        assertFalse(configs.get(ObjectKind.LUN, "shell-l2").isPresent());
        assertEquals("1GiB", configs.get(ObjectKind.LUN, "default-0").orElseThrow().properties().get("size"));
    }

    // ---------------------------------------------------------------- ACLs and CHAP

    @Test
    public void aclAddListRemove() throws Exception {
        run("lunar:target-create --iqn iqn.2026-11.dev.lunar:shell-t4 shell-t4");
        String out = run("lunar:acl-add --target shell-t4 --initiator " + INITIATOR + " --luns 1,0 --read-only shell-a1");
        assertTrue(out, out.startsWith("ACL shell-a1: " + INITIATOR + " may log in to iqn.2026-11.dev.lunar:shell-t4"));
        Map<String, String> p = configs.get(ObjectKind.ACL, "shell-a1").orElseThrow().properties();
        assertEquals("iqn.2026-11.dev.lunar:shell-t4", p.get("target"));
        assertEquals(INITIATOR, p.get("initiator"));
        assertEquals("0,1", p.get("luns"));
        assertEquals("true", p.get("readOnly"));

        String list = cells(run("lunar:acl-list --target shell-t4 --no-format"));
        assertTrue(list, list.contains("shell-a1|iqn.2026-11.dev.lunar:shell-t4|" + INITIATOR + "|0,1|read-only"));
        String other = run("lunar:acl-list --target default --no-format");
        assertFalse(other, other.contains("shell-a1"));
        assertTrue(cells(run("lunar:target-info --no-format shell-t4")).contains("shell-a1|"));

        assertFails("lunar:acl-add --target shell-t4 --initiator " + INITIATOR + " --luns 0,x shell-a2",
                "'x' is not a number");
        assertFails("lunar:acl-remove nowhere", "There is no ACL named 'nowhere'; lunar:acl-list shows them.");

        String removed = run("lunar:acl-remove shell-a1");
        assertTrue(removed, removed.contains("has no ACL left: every initiator that authenticates may log in."));
        assertFalse(configs.get(ObjectKind.ACL, "shell-a1").isPresent());
        run("lunar:target-delete shell-t4");
    }

    @Test
    public void chapSetAndClearOnATargetAnAclAndDiscovery() throws Exception {
        String iqn = "iqn.2026-11.dev.lunar:shell-t5";
        run("lunar:target-create --iqn " + iqn + " shell-t5");
        run("lunar:acl-add --target shell-t5 --initiator " + INITIATOR + " shell-a3");

        String out = run("lunar:chap-set --target shell-t5 --user alice --secret alice-secret-12"
                + " --mutual-user shell-t5 --mutual-secret target-secret-12");
        assertEquals("Target shell-t5 now requires CHAP user alice (mutual: shell-t5).", out.trim());
        Map<String, String> p = configs.get(ObjectKind.TARGET, "shell-t5").orElseThrow().properties();
        assertEquals("chap", p.get("auth"));
        assertEquals("alice", p.get("chapUser"));
        assertEquals("shell-t5", p.get("mutualUser"));
        // Stored as typed (the document of lunar:export carries secrets), shown nowhere.
        assertTrue(configs.toJson(configs.export()).contains("alice-secret-12"));
        awaitTrue("target shell-t5 requires CHAP", () -> targets.targets().stream()
                .anyMatch(t -> t.iqn().equals(iqn) && t.auth().equals("chap")));

        String info = run("lunar:target-info --no-format shell-t5");
        assertFalse(info, info.contains("alice-secret-12"));
        assertFalse(info, info.contains("target-secret-12"));
        assertTrue(info, cells(info).contains("chapSecret|********"));

        run("lunar:chap-set --acl shell-a3 --user host --secret host-secret-123");
        assertEquals("host", configs.get(ObjectKind.ACL, "shell-a3").orElseThrow().properties().get("chapUser"));
        assertTrue(cells(run("lunar:acl-list --no-format")).contains("shell-a3|" + iqn + "|" + INITIATOR + "|all|read-write|host"));

        assertFails("lunar:chap-set --user u --secret some-secret-12",
                "Say whose CHAP credentials these are with exactly one of --target, --acl or --discovery.");
        assertFails("lunar:chap-set --target shell-t5 --acl shell-a3 --user u --secret some-secret-12",
                "exactly one of --target, --acl or --discovery");
        assertFails("lunar:chap-set --target shell-t5 --user u --secret same-secret-12 --mutual-user m"
                + " --mutual-secret same-secret-12", "The mutual secret must differ from the CHAP secret (RFC 7143 §9.2.1).");
        assertFails("lunar:chap-set --target nowhere --user u --secret some-secret-12", "There is no target named");

        run("lunar:chap-clear --acl shell-a3");
        assertNull(configs.get(ObjectKind.ACL, "shell-a3").orElseThrow().properties().get("chapUser"));
        assertTrue(run("lunar:chap-clear --target shell-t5").startsWith("Target shell-t5 no longer uses CHAP"));
        p = configs.get(ObjectKind.TARGET, "shell-t5").orElseThrow().properties();
        assertEquals("none", p.get("auth"));
        assertNull(p.get("chapUser"));
        assertNull(p.get("chapSecret"));
        assertNull(p.get("mutualUser"));

        assertEquals("Discovery sessions now authenticate with CHAP user disc.",
                run("lunar:chap-set --discovery --user disc --secret discovery-secret").trim());
        Dictionary<String, Object> engine = configAdmin.getConfiguration("dev.lunar.iscsi", null).getProperties();
        assertNotNull(engine);
        assertEquals("disc", engine.get("discoveryChapUser"));
        // Stored as a reference to an owner-only file that Config Admin resolves for the engine only.
        String stored = String.valueOf(engine.get("discoveryChapSecret"));
        assertTrue(stored, stored.startsWith("$[secret:lunar-secrets/dev.lunar.iscsi-discoveryChapSecret-"));
        assertEquals("discovery-secret", new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(
                System.getProperty("karaf.etc")).resolve(stored.substring("$[secret:".length(), stored.length() - 1))),
                java.nio.charset.StandardCharsets.UTF_8));
        assertFails("lunar:chap-set --discovery --user disc --secret discovery-secret --mutual-user m"
                + " --mutual-secret other-secret-1", "Mutual CHAP for discovery sessions is not available");
        assertEquals("Discovery sessions no longer use CHAP.", run("lunar:chap-clear --discovery").trim());
        engine = configAdmin.getConfiguration("dev.lunar.iscsi", null).getProperties();
        assertNull(engine.get("discoveryChapUser"));
        assertNull(engine.get("discoveryChapSecret"));

        run("lunar:acl-remove shell-a3");
        run("lunar:target-delete shell-t5");
    }

    // ---------------------------------------------------------------- sessions, stats, listings

    @Test
    public void sessionListInfoStatsAndKill() throws Exception {
        String iqn = "iqn.2026-11.dev.lunar:shell-t6";
        run("lunar:target-create --iqn " + iqn + " shell-t6");
        run("lunar:lun-create --target shell-t6 --lun 0 --backend ramdisk --size 16M shell-l6");
        awaitTrue("target shell-t6 running", () -> targets.targets().stream().anyMatch(t -> t.iqn().equals(iqn)));

        try (Socket initiator = login(iqn)) {
            SessionInfo session = targets.sessions().stream().filter(s -> s.target().equals(iqn)).findFirst()
                    .orElseThrow(() -> new AssertionError("no session on " + iqn + ": " + targets.sessions()));
            int tsih = session.tsih();

            String list = cells(run("lunar:session-list --no-format"));
            assertTrue(list, list.matches("(?s).*(^|\\n)\\s*" + tsih + "\\|" + INITIATOR.replace(".", "\\.")
                    + "\\|[0-9a-f]{12}\\|" + iqn.replace(".", "\\.") + "\\|1\\|tcp\\|/?127\\.0\\.0\\.1:\\d+\\n.*"));
            String verbose = run("lunar:session-list --verbose --no-format");
            assertTrue(verbose, verbose.contains("Session " + tsih + " parameters"));

            String info = cells(run("lunar:session-info --no-format " + tsih));
            assertTrue(info, info.contains("Negotiated parameters\n"));
            assertTrue(info, info.contains("HeaderDigest|None") || info.contains("MaxRecvDataSegmentLength|"));

            String stats = run("lunar:stats --session " + tsih + " --interval 0 --no-format");
            assertNoStackTrace(stats);
            assertTrue(stats, stats.startsWith("Sessions (since start)\n"));
            assertTrue(stats, cells(stats).contains(tsih + "|" + INITIATOR + "|0|0|"));

            assertFails("lunar:target-delete shell-t6", "in use");
            assertTrue(configs.get(ObjectKind.TARGET, "shell-t6").isPresent());

            Optional<String> killed = runOrFailure("lunar:session-kill --reason 'shell test' " + tsih);
            if (killed.isPresent()) {
                assertEquals("Ending a session is not available in this version.", killed.get());
            } else {
                awaitTrue("session " + tsih + " ended", () -> targets.sessions().stream().noneMatch(s -> s.tsih() == tsih));
            }
        }
        assertFails("lunar:session-info 65000", "There is no session with TSIH 65000; lunar:session-list shows the sessions logged in.");
        assertFails("lunar:session-kill 65000", "There is no session with TSIH 65000");
        assertFails("lunar:stats --session 65000 --interval 0", "65000");
        run("lunar:lun-delete --force shell-l6");
        run("lunar:target-delete --force shell-t6");
    }

    @Test
    public void statsSamplesTwiceOrPrintsTotals() throws Exception {
        String rates = run("lunar:stats --lun default-0 --no-format");
        assertNoStackTrace(rates);
        assertTrue(rates, rates.startsWith("LUNs (per second over 1 s)\n"));
        assertTrue(rates, cells(rates).contains("default-0|" + DEFAULT_IQN + "|0.0|0.0|0.0|0.0|0.0|-|-"));

        String totals = cells(run("lunar:stats --interval 0 --no-format"));
        assertTrue(totals, totals.contains("LUNs (since start)\n"));
        assertTrue(totals, totals.contains("Sessions (since start)\n"));
        assertTrue(totals, totals.contains("default-0|" + DEFAULT_IQN + "|"));

        assertFails("lunar:stats --interval -1", "--interval must be from 0 to 3600 seconds, not -1.");
        assertFails("lunar:stats --lun nowhere --interval 0", "There is no LUN named 'nowhere'");
    }

    @Test
    public void transportBackendListsAndStatus() throws Exception {
        String transports = cells(run("lunar:transport-list --no-format"));
        assertTrue(transports, transports.matches("(?s)(^|.*\\n)tcp\\|tcp\\|dev\\.lunar\\.transport-tcp[^|]*\\|[^\\n]*default[^\\n]*\\n.*"));

        String backends = cells(run("lunar:backend-list --no-format"));
        assertTrue(backends, backends.contains("ramdisk|dev.lunar.backend-ramdisk"));
        assertTrue(backends, backends.contains("default-0"));
        assertTrue(backends, backends.contains("file|dev.lunar.backend-file"));

        String status = cells(run("lunar:status --no-format"));
        assertTrue(status, status.startsWith("Lunar "));
        assertTrue(status, status.contains("Transports\n"));
        assertTrue(status, status.contains("Backends\n"));
        assertTrue(status, status.contains("default-0|" + DEFAULT_IQN + "|0|ramdisk|1073741824|512|READY"));
    }

    // ---------------------------------------------------------------- helpers

    /** Runs one command in a fresh shell session, as one ssh exec would, and returns its output. */
    private String run(String command) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Session session = sessionFactory.create(System.in, out, out);
            try {
                session.execute(command);
            } finally {
                session.close();
            }
        }
        String output = bytes.toString(StandardCharsets.UTF_8);
        assertNoStackTrace(output);
        return output;
    }

    /** The failure message, or empty when the command succeeded. */
    private Optional<String> runOrFailure(String command) {
        try {
            run(command);
            return Optional.empty();
        } catch (Exception e) {
            return Optional.of(String.valueOf(e.getMessage()));
        }
    }

    // ------------------------------------------ export, apply, import-lio, transport-move

    @Test
    public void exportApplyImportLioAndTransportMove() throws Exception {
        Path dir = Files.createTempDirectory("lunar-shell-it");
        Path exported = dir.resolve("lunar.json");
        String out = run("lunar:export " + exported);
        assertTrue(out, out.startsWith("Wrote ") && out.contains(exported.toString()));
        String json = Files.readString(exported);
        assertTrue(json, json.contains(DEFAULT_IQN));
        assertTrue(run("lunar:apply " + exported).contains("Nothing to change"));

        // A document with one more target: the dry run changes nothing, the apply creates it, a
        // second apply is a no-op, and applying the first export removes it again.
        List<ConfigObject> more = new ArrayList<>(configs.parseJson(json).objects());
        more.add(new ConfigObject(ObjectKind.TARGET, "shell-apply", Map.of("iqn", "iqn.2026-11.dev.lunar:shell-apply")));
        Path wanted = dir.resolve("more.json");
        Files.writeString(wanted, configs.toJson(new ConfigDocument(ConfigDocument.VERSION, more)));
        String dry = run("lunar:apply --dry-run " + wanted);
        assertTrue(dry, dry.contains("shell-apply"));
        assertFalse(configs.get(ObjectKind.TARGET, "shell-apply").isPresent());
        String applied = run("lunar:apply " + wanted);
        assertTrue(applied, applied.contains("shell-apply"));
        assertTrue(configs.get(ObjectKind.TARGET, "shell-apply").isPresent());
        assertTrue(run("lunar:apply " + wanted).contains("Nothing to change"));
        run("lunar:apply " + exported);
        assertFalse(configs.get(ObjectKind.TARGET, "shell-apply").isPresent());

        assertFails("lunar:apply " + dir.resolve("missing.json"), "there is no file");
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"version\": 1, \"targets\": [");
        assertFails("lunar:apply " + broken, "line ");
        assertFails("lunar:export " + dir, "is a directory");

        // LIO: converted and reported, nothing changed without --apply.
        Path lio = dir.resolve("saveconfig.json");
        Files.writeString(lio, "{\"storage_objects\": [{\"name\": \"scratch\", \"plugin\": \"ramdisk\","
                + " \"size\": 67108864, \"attributes\": {\"block_size\": 512}}],"
                + " \"targets\": [{\"fabric\": \"iscsi\", \"wwn\": \"iqn.2003-01.org.linux-iscsi.host:sn.shell\","
                + " \"tpgs\": [{\"tag\": 1, \"enable\": true, \"attributes\": {\"authentication\": 0,"
                + " \"generate_node_acls\": 1}, \"parameters\": {\"AuthMethod\": \"None\"},"
                + " \"portals\": [], \"luns\": [{\"index\": 0, \"storage_object\": \"/backstores/ramdisk/scratch\"}],"
                + " \"node_acls\": []}]}]}");
        int targetsBefore = configs.list(ObjectKind.TARGET).size();
        String converted = run("lunar:import-lio " + lio);
        assertTrue(converted, converted.contains("Converted ") && converted.contains("iqn.2003-01.org.linux-iscsi.host:sn.shell"));
        assertTrue(converted, converted.contains("Nothing was changed"));
        assertEquals(targetsBefore, configs.list(ObjectKind.TARGET).size());
        assertFails("lunar:import-lio " + broken, "not an LIO saveconfig.json");

        assertFails("lunar:transport-move --from tcp --to toe", "No transport of kind 'toe'");
        assertFails("lunar:transport-move --from tcp", "--to");
    }

    /**
     * The command must fail with a message containing {@code expected}: through a console Karaf
     * prints it as {@code Error executing command: <message>}, one line.
     */
    private void assertFails(String command, String expected) {
        try {
            String out = run(command);
            fail(command + " should have failed with '" + expected + "' but printed:\n" + out);
        } catch (Exception e) {
            String message = String.valueOf(e.getMessage());
            assertTrue(command + ": '" + message + "' does not contain '" + expected + "'", message.contains(expected));
            assertFalse(command + ": a sentence, not a trace: " + message, message.contains("\n\tat "));
            assertFalse(command + ": no internal exception text: " + message,
                    message.contains("NullPointerException") || message.contains("UnsupportedOperationException"));
        }
    }

    private static void assertNoStackTrace(String output) {
        assertFalse(output, output.contains("\tat ") || output.contains("Exception:"));
    }

    /** --no-format output with its padding removed: cells joined by {@code |}. */
    private static String cells(String output) {
        return output.replaceAll(" *\t *", "|");
    }

    private Optional<PortalInfo> portal(String name) {
        return targets.portals().stream().filter(p -> p.name().equals(name)).findFirst();
    }

    private Optional<LunInfo> lun(String name) {
        return luns.luns().stream().filter(l -> l.name().equals(name)).findFirst();
    }

    private static void awaitTrue(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETTLE_SECONDS);
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return;
            }
            Thread.sleep(100);
        }
        fail("not within " + SETTLE_SECONDS + " s: " + what);
    }

    /**
     * Logs in to {@code iqn} on the default loopback portal (no CHAP there) and keeps the
     * connection open: a session the shell can list, inspect and kill. One Login Request from the
     * operational stage straight to full feature phase (RFC 7143 §11.12, T=1, CSG=1, NSG=3).
     */
    private static Socket login(String iqn) throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port(0));
        socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(SETTLE_SECONDS));
        StringBuilder keys = new StringBuilder();
        for (String kv : new String[] {"InitiatorName=" + INITIATOR, "SessionType=Normal", "TargetName=" + iqn,
                "HeaderDigest=None", "DataDigest=None"}) {
            keys.append(kv).append('\0');
        }
        byte[] data = keys.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer pdu = ByteBuffer.allocate(48 + ((data.length + 3) & ~3));
        pdu.put(0, (byte) 0x43);                    // immediate, Login Request
        pdu.put(1, (byte) 0x87);                    // T, CSG operational, NSG full feature
        pdu.put(5, (byte) (data.length >>> 16));
        pdu.put(6, (byte) (data.length >>> 8));
        pdu.put(7, (byte) data.length);
        pdu.put(8, (byte) 0x80);                    // ISID type random
        pdu.putShort(12, (short) 0x5e11);
        pdu.putInt(16, 1);                          // ITT
        pdu.putInt(24, 1);                          // CmdSN
        pdu.position(48);
        pdu.put(data);
        socket.getOutputStream().write(pdu.array());
        socket.getOutputStream().flush();

        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] bhs = new byte[48];
        in.readFully(bhs);
        int length = ((bhs[5] & 0xff) << 16) | ((bhs[6] & 0xff) << 8) | (bhs[7] & 0xff);
        in.readFully(new byte[(length + 3) & ~3]);
        if ((bhs[0] & 0x3f) != 0x23 || bhs[36] != 0 || (bhs[1] & 0x80) == 0) {
            socket.close();
            throw new AssertionError("login to " + iqn + " refused: opcode " + (bhs[0] & 0x3f) + ", status class "
                    + bhs[36] + ", detail " + bhs[37]);
        }
        return socket;
    }
}
