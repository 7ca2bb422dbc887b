package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.e2e.conformance.LunConfigs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Access control entries ({@code etc/dev.lunar.acl-NAME.cfg}) with real initiators: libiscsi's
 * tools and QEMU's iSCSI driver, each told which initiator name to use. One configuration file
 * is read by two bundles (iscsi: who may log in; scsi: which LUNs, read-only), so every test here
 * also shows that fileinstall's configuration reaches both.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AclE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:acl";
    private static final String HOST = "iqn.2026-11.dev.lunar.test:host";
    private static final String READER = "iqn.2026-11.dev.lunar.test:reader";
    private static final String STRANGER = "iqn.2026-11.dev.lunar.test:stranger";
    private static final int LUN_BYTES = 4 << 20;
    /** fileinstall polls etc/ about every second; SCR then updates the components. */
    private static final int ATTEMPTS = 60;

    @BeforeAll
    void configure() throws InterruptedException {
        LunConfigs.addTarget(lunar, "acl", IQN);
        for (int lun = 0; lun < 3; lun++) {
            LunConfigs.addLun(lunar, "acl-" + lun, IQN, lun, "ramdisk", Map.of("size", Integer.toString(LUN_BYTES)));
        }
        for (int lun = 0; lun < 3; lun++) {
            LunConfigs.awaitLun(lunar, url(lun));
        }
        writeAcl("acl-host", Map.of("target", IQN, "initiator", HOST, "luns", "0,2"));
        writeAcl("acl-reader", Map.of("target", IQN, "initiator", READER, "luns", "1", "readOnly", "true"));
        // Both halves are in place once the stranger is refused (iscsi) and the host sees LUN 2
        // but not LUN 1 (scsi).
        await(() -> inquiry(STRANGER, 0), r -> !r.succeeded());
        await(() -> readCapacity(HOST, 1), r -> !r.succeeded());
        await(() -> readCapacity(HOST, 2), ToolResult::succeeded);
    }

    @Test
    @Order(1)
    void anUnlistedInitiatorIsRefusedWithAuthorizationFailure() {
        int before = count("refused with status 0x0202");
        ToolResult r = inquiry(STRANGER, 0);

        assertFalse(r.succeeded(), r::describe);
        assertEquals(before + 1, count("refused with status 0x0202"),
                "the target answers class 2 detail 2 (RFC 7143 §11.13.5)");
    }

    @Test
    @Order(2)
    void discoveryHidesTheTargetFromAnUnlistedInitiator() {
        String stranger = assertSucceeded(runIscsiTool("iscsi-ls", "-i", STRANGER, portal()));
        assertFalse(stranger.contains(IQN), () -> "a stranger was shown " + IQN + ":\n" + stranger);
        assertTrue(stranger.contains(DEFAULT_TARGET), () -> "the open default target is still listed:\n" + stranger);

        String host = assertSucceeded(runIscsiTool("iscsi-ls", "-i", HOST, portal()));
        assertTrue(host.contains(IQN), () -> "the listed host does not see " + IQN + ":\n" + host);
    }

    @Test
    @Order(3)
    void aListedInitiatorSeesOnlyItsLuns() {
        String listing = assertSucceeded(runIscsiTool("iscsi-ls", "-s", "-i", HOST, portal()));
        assertEquals(List.of(0, 2), lunsOf(listing, IQN), () -> "REPORT LUNS for the host:\n" + listing);

        assertSucceeded(readCapacity(HOST, 0));
        assertFalse(readCapacity(HOST, 1).succeeded(), "LUN 1 is masked: LOGICAL UNIT NOT SUPPORTED");
        assertSucceeded(readCapacity(HOST, 2));

        String reader = assertSucceeded(runIscsiTool("iscsi-ls", "-s", "-i", READER, portal()));
        assertEquals(List.of(1), lunsOf(reader, IQN), () -> "REPORT LUNS for the reader:\n" + reader);
    }

    @Test
    @Order(4)
    void aReadOnlyInitiatorCannotWriteButReads() {
        // QEMU reads MODE SENSE first and, seeing WP=1 for this nexus, refuses to open the LUN
        // read-write at all (block/iscsi.c: "LUN is write protected").
        ToolResult write = qemuIo(READER, 1, "write -P 0x5a 0 4k");
        assertFalse(write.succeeded(), write::describe);
        assertTrue(write.output().contains("write protected"), write::describe);
        String read = QemuTools.succeed("qemu-io", "-r", "--image-opts", imageOpts(READER, 1), "-c", "read 0 4k");
        assertTrue(read.contains("read 4096/4096 bytes"), read);

        ToolResult hostWrite = qemuIo(HOST, 0, "write -P 0x5a 0 4k");
        assertTrue(hostWrite.succeeded() && hostWrite.output().contains("wrote 4096/4096 bytes"),
                hostWrite::describe);
    }

    @Test
    @Order(5)
    void aChangedLunListAppliesWithoutRestart() throws InterruptedException {
        writeAcl("acl-host", Map.of("target", IQN, "initiator", HOST, "luns", "0,1,2"));
        await(() -> readCapacity(HOST, 1), ToolResult::succeeded);

        String listing = assertSucceeded(runIscsiTool("iscsi-ls", "-s", "-i", HOST, portal()));
        assertEquals(List.of(0, 1, 2), lunsOf(listing, IQN), listing);
    }

    @Test
    @Order(6)
    void afterARestartTheStoredAclsApplyFromTheFirstLogin() throws InterruptedException {
        lunar.restart();
        lunar.awaitIscsiPort();
        await(() -> readCapacity(HOST, 2), ToolResult::succeeded);

        assertFalse(inquiry(STRANGER, 0).succeeded(), "the stranger is still refused");
        assertSucceeded(readCapacity(READER, 1));
        assertFalse(readCapacity(READER, 0).succeeded(), "the reader still sees only LUN 1");
        // Both bundles loaded the stored entries themselves instead of waiting for Config Admin to
        // deliver each one (a reconnecting initiator could otherwise slip in unrestricted).
        assertEquals(1, count("Loaded 2 stored ACL configuration(s) before the first login"));
        assertEquals(1, count("Loaded 2 stored ACL configuration(s) into the SCSI targets"));
    }

    @Test
    @Order(7)
    void removingEveryAclOpensTheTargetAgain() throws InterruptedException {
        LunConfigs.remove(lunar, "dev.lunar.acl-acl-host.cfg");
        LunConfigs.remove(lunar, "dev.lunar.acl-acl-reader.cfg");
        await(() -> inquiry(STRANGER, 0), ToolResult::succeeded);
        assertSucceeded(readCapacity(STRANGER, 1));
    }

    // ------------------------------------------------------------------ helpers

    private String portal() {
        return "iscsi://127.0.0.1:" + lunar.iscsiPort();
    }

    private String url(int lun) {
        return lunar.iscsiUrl("/" + IQN + "/" + lun);
    }

    private ToolResult inquiry(String initiator, int lun) {
        return runIscsiTool("iscsi-inq", "-i", initiator, url(lun));
    }

    private ToolResult readCapacity(String initiator, int lun) {
        return runIscsiTool("iscsi-readcapacity16", "-i", initiator, url(lun));
    }

    /** QEMU's iSCSI driver options: the initiator name is one of them. */
    private String imageOpts(String initiator, int lun) {
        return "driver=iscsi,transport=tcp,portal=127.0.0.1:" + lunar.iscsiPort() + ",target=" + IQN + ",lun=" + lun
                + ",initiator-name=" + initiator;
    }

    private ToolResult qemuIo(String initiator, int lun, String command) {
        return QemuTools.run("qemu-io", "--image-opts", imageOpts(initiator, lun), "-c", command);
    }

    /** LUN numbers iscsi-ls -s prints under {@code iqn} ("Lun:2 Type:DIRECT_ACCESS ..."). */
    private static List<Integer> lunsOf(String listing, String iqn) {
        List<Integer> luns = new ArrayList<>();
        boolean inTarget = false;
        for (String line : listing.split("\n")) {
            if (line.startsWith("Target:")) {
                inTarget = line.contains(iqn);
                continue;
            }
            Matcher m = Pattern.compile("Lun:(\\d+)").matcher(line);
            if (inTarget && m.find()) {
                luns.add(Integer.parseInt(m.group(1)));
            }
        }
        return luns;
    }

    private interface ToolRun {
        ToolResult run();
    }

    private void await(ToolRun run, Predicate<ToolResult> done) throws InterruptedException {
        ToolResult last = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            last = run.run();
            if (done.test(last)) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("ACL configuration not applied after " + ATTEMPTS + " attempts; last run: "
                + last.describe() + "\n" + lunar.diagnostics());
    }

    /** Writes etc/dev.lunar.acl-NAME.cfg aside and moves it in, so fileinstall never reads half a file. */
    private void writeAcl(String name, Map<String, String> keys) {
        StringBuilder text = new StringBuilder("# written by AclE2EIT\n");
        new LinkedHashMap<>(keys).forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
        Path target = lunar.home().resolve("etc").resolve("dev.lunar.acl-" + name + ".cfg");
        Path partial = lunar.home().resolve("dev.lunar.acl-" + name + ".cfg.partial");
        try {
            Files.writeString(partial, text, StandardCharsets.UTF_8);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int count(String text) {
        try {
            String log = Files.readString(lunar.home().resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
            return log.split(Pattern.quote(text), -1).length - 1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
