package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.e2e.conformance.LunConfigs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 "done when", backend part: a file LUN under continuous QEMU I/O (a writing and a
 * reading {@code qemu-img bench}, queue depth 32 each) while the test updates the backend-file
 * bundle five times in a row with {@code bundle:update}. The LUN holds the commands that arrive
 * while no file backend is bound and runs them on the new one (DESIGN §3.5), so: both benches
 * exit 0 (no I/O error), no initiator logs in again, and every byte the writer wrote is there
 * afterwards. The hold of each update is read from Lunar's log and printed.
 */
class BackendSwapE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:swap";
    private static final String LUN_NAME = "swap-0";
    private static final int LUN_BYTES = 32 << 20;
    private static final int UPDATES = 5;
    private static final String BACKEND_BUNDLE = "dev.lunar.backend-file";
    /** How long each bench should keep running: the five updates take a few seconds each. */
    private static final Duration BENCH_TARGET = Duration.ofSeconds(30);
    private static final Pattern HOLD = Pattern.compile("\\(" + Pattern.quote(LUN_NAME)
            + "\\) of \\S+: backend back after (\\d+) ms; resuming (\\d+) held");

    private double writesPerSecond;

    @BeforeAll
    void addFileLun() {
        LunConfigs.addTarget(lunar, "swap", IQN);
        LunConfigs.addLun(lunar, LUN_NAME, IQN, 0, "file",
                Map.of("path", lunar.home().resolve("swap.img").toString(), "size", Integer.toString(LUN_BYTES)));
        LunConfigs.awaitLun(lunar, io().url());
        // Calibrate: requests per second of one writer here, so each bench outlives the updates.
        long start = System.nanoTime();
        io().benchOk("-w", "--pattern=0x5a", "-c", "4096");
        writesPerSecond = 4096 / Math.max(0.05, (System.nanoTime() - start) / 1e9);
    }

    /** A request count that keeps {@code benches} concurrent benches busy for about {@code time}. */
    private long countFor(Duration time, int benches) {
        // At least one pass over the whole LUN, so the read-back afterwards covers every block.
        return Math.max(LUN_BYTES / 4096, (long) (writesPerSecond / benches * time.toSeconds()));
    }

    @Test
    void fiveBackendUpdatesUnderQueueDepth32ReadsAndWritesLoseNothing() throws Exception {
        long count = countFor(BENCH_TARGET, 2);
        int loginsBefore = io().logins();
        int holdsBefore = holds().size();

        CompletableFuture<ToolResult> writer = CompletableFuture.supplyAsync(() -> io().bench(
                "-w", "--pattern=0x5a", "-c", Long.toString(count)));
        CompletableFuture<ToolResult> reader = CompletableFuture.supplyAsync(() -> io().bench(
                "-c", Long.toString(count)));
        io().awaitLogins(loginsBefore + 2);

        String id = backendBundleId();
        List<String> updates = new ArrayList<>();
        for (int i = 0; i < UPDATES; i++) {
            ToolResult update = lunar.shell("bundle:update " + id);
            assertTrue(update.succeeded(), update::describe);
            awaitHolds(holdsBefore + i + 1);
            updates.add("update " + (i + 1) + ": " + update.output().trim());
        }
        boolean benchesOutlivedUpdates = !writer.isDone() && !reader.isDone();

        ToolResult w = writer.get();
        ToolResult r = reader.get();
        assertTrue(w.succeeded(), () -> "the writing bench saw an error across the backend updates\n" + w.describe()
                + lunar.diagnostics());
        assertTrue(r.succeeded(), () -> "the reading bench saw an error across the backend updates\n" + r.describe()
                + lunar.diagnostics());
        assertTrue(w.output().contains("Run completed"), w.output());
        assertTrue(benchesOutlivedUpdates, "a bench ended before the last update; it would prove nothing: "
                + "raise BENCH_TARGET (count was " + count + ")");
        assertEquals(loginsBefore + 2, io().logins(), "an initiator logged in again during the updates (its session"
                + " was lost)\n" + lunar.diagnostics());

        List<long[]> holds = holds().subList(holdsBefore, holdsBefore + UPDATES);
        long longest = 0;
        StringBuilder report = new StringBuilder("Backend-file updates under QD32 read+write (" + count
                + " requests per bench):\n");
        for (int i = 0; i < holds.size(); i++) {
            long[] h = holds.get(i);
            longest = Math.max(longest, h[0]);
            report.append("  update ").append(i + 1).append(": I/O held ").append(h[0]).append(" ms, ")
                    .append(h[1]).append(" command(s) held\n");
        }
        report.append("  longest hold: ").append(longest).append(" ms\n");
        Files.writeString(Path.of("target/backend-swap-holds.txt"), report, StandardCharsets.UTF_8);
        System.out.print(report);

        // Every block the writer wrote (it wrapped around the whole LUN) reads back as its pattern.
        String verify = QemuTools.succeed("qemu-io", "-f", "raw", "-c", "read -P 0x5a 0 " + LUN_BYTES, io().url());
        assertFalse(verify.contains("Pattern verification failed"), verify);
        assertTrue(verify.contains("read " + LUN_BYTES + "/" + LUN_BYTES + " bytes"), verify);
    }

    @Test
    void restartsOfTheBackendUnderAWriterLoseNothing() throws Exception {
        int loginsBefore = io().logins();
        int holdsBefore = holds().size();
        long count = countFor(Duration.ofSeconds(20), 1);
        CompletableFuture<ToolResult> writer = CompletableFuture.supplyAsync(() -> io().bench(
                "-w", "--pattern=0xa5", "-c", Long.toString(count)));
        io().awaitLogins(loginsBefore + 1);
        String id = backendBundleId();
        for (int i = 0; i < 2; i++) {
            ToolResult restart = lunar.shell("bundle:restart " + id);
            assertTrue(restart.succeeded(), restart::describe);
            awaitHolds(holdsBefore + i + 1);
        }
        boolean outlived = !writer.isDone();
        ToolResult w = writer.get();
        assertTrue(w.succeeded(), () -> "the writer saw an error across bundle:restart\n" + w.describe()
                + lunar.diagnostics());
        assertTrue(outlived, "the writer ended before the second restart; raise its count");
        assertEquals(loginsBefore + 1, io().logins(), "the writer logged in again\n" + lunar.diagnostics());
        long written = Math.min(count * 4096, LUN_BYTES);
        String verify = QemuTools.succeed("qemu-io", "-f", "raw", "-c", "read -P 0xa5 0 " + written, io().url());
        assertFalse(verify.contains("Pattern verification failed"), verify);
    }

    @Test
    void aNewSizeInTheConfigurationFileResizesTheLunLive() throws Exception {
        String iqn = IQN + "-resize";
        String resizeUrl = lunar.iscsiUrl("/" + iqn + "/0");
        Path image = lunar.home().resolve("resize.img");
        LunConfigs.addTarget(lunar, "swap-resize", iqn);
        LunConfigs.addLun(lunar, "swap-resize-0", iqn, 0, "file",
                Map.of("path", image.toString(), "size", Integer.toString(8 << 20)));
        LunConfigs.awaitLun(lunar, resizeUrl);
        QemuTools.succeed("qemu-io", "-f", "raw", "-c", "write -P 0x3c 0 1M", resizeUrl);

        LunConfigs.addLun(lunar, "swap-resize-0", iqn, 0, "file",
                Map.of("path", image.toString(), "size", Integer.toString(24 << 20)));
        long size = 0;
        for (int i = 0; i < 300 && size != 24 << 20; i++) {
            ToolResult rc = Tools.run(Duration.ofSeconds(15), "iscsi-readcapacity16", resizeUrl);
            Matcher m = Pattern.compile("Total size:\\s*(\\d+)").matcher(rc.output());
            size = m.find() ? Long.parseLong(m.group(1)) : 0;
            if (size != 24 << 20) {
                Thread.sleep(100);
            }
        }
        assertEquals(24 << 20, size, "READ CAPACITY(16) after the size change\n" + lunar.diagnostics());
        assertEquals(24 << 20, Files.size(image), "the file grew with the LUN");
        String verify = QemuTools.succeed("qemu-io", "-f", "raw", "-c", "read -P 0x3c 0 1M", resizeUrl);
        assertFalse(verify.contains("Pattern verification failed"), "data kept across the resize: " + verify);
        assertTrue(io().log().contains("LUN 0 (swap-resize-0) of " + iqn + " resized from 16384 to 49152 blocks"),
                "resized in place, not reopened\n" + lunar.diagnostics());
    }

    @Test
    void aRamDiskUpdateKeepsTheLunAndItsIdentityButNotItsData() throws Exception {
        String iqn = IQN + "-ram";
        String ramUrl = lunar.iscsiUrl("/" + iqn + "/0");
        LunConfigs.addTarget(lunar, "swap-ram", iqn);
        LunConfigs.addLun(lunar, "swap-ram-0", iqn, 0, "ramdisk", Map.of("size", Integer.toString(4 << 20)));
        LunConfigs.awaitLun(lunar, ramUrl);
        QemuTools.succeed("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 64k", ramUrl);
        String identity = assertSucceeded(runIscsiTool("iscsi-inq", "-e", "1", "-c", "0x83", ramUrl));
        Pattern back = Pattern.compile("\\(swap-ram-0\\) of \\S+: backend back after");
        long before = back.matcher(io().log()).results().count();

        ToolResult update = lunar.shell("bundle:update " + io().bundleId("dev.lunar.backend-ramdisk"));
        assertTrue(update.succeeded(), update::describe);
        for (int i = 0; i < 600 && back.matcher(io().log()).results().count() == before; i++) {
            Thread.sleep(100);
        }
        assertTrue(io().log().contains("(swap-ram-0) of " + iqn + ": reopened on backend 'ramdisk', whose devices start"
                + " empty"), "the LUN came back on the new RAM disk backend and said its data is gone\n"
                + lunar.diagnostics());
        assertEquals(identity, assertSucceeded(runIscsiTool("iscsi-inq", "-e", "1", "-c", "0x83", ramUrl)),
                "same device identification VPD page after the update");
        // Documented: a RAM disk's memory dies with its bundle; the blocks read as zeros now.
        String blank = QemuTools.succeed("qemu-io", "-f", "raw", "-c", "read -P 0 0 64k", ramUrl);
        assertFalse(blank.contains("Pattern verification failed"), blank);
    }

    private String backendBundleId() {
        return io().bundleId(BACKEND_BUNDLE);
    }

    /** Completed holds of the swap LUN: {milliseconds, commands held}. */
    private List<long[]> holds() {
        return io().logged(HOLD, 1, 2);
    }

    private void awaitHolds(int expected) throws InterruptedException {
        for (int i = 0; i < 600 && holds().size() < expected; i++) {
            Thread.sleep(100);
        }
        assertEquals(expected, holds().size(), "the LUN did not come back on the updated backend\n"
                + lunar.diagnostics());
    }

    private LiveIo io() {
        return new LiveIo(lunar, IQN);
    }
}
