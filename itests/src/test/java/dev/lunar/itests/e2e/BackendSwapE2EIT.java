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
    private static final Duration BENCH_TARGET = Duration.ofSeconds(60);
    private static final Pattern HOLD = Pattern.compile("\\(" + Pattern.quote(LUN_NAME)
            + "\\) of \\S+: backend back after (\\d+) ms; resuming (\\d+) held");

    @BeforeAll
    void addFileLun() {
        LunConfigs.addTarget(lunar, "swap", IQN);
        LunConfigs.addLun(lunar, LUN_NAME, IQN, 0, "file",
                Map.of("path", lunar.home().resolve("swap.img").toString(), "size", Integer.toString(LUN_BYTES)));
        LunConfigs.awaitLun(lunar, url());
    }

    @Test
    void fiveBackendUpdatesUnderQueueDepth32ReadsAndWritesLoseNothing() throws Exception {
        // Calibrate: requests per second of one writer here, so each bench outlives the updates.
        long start = System.nanoTime();
        bench("-w", "--pattern=0x5a", "-c", "4096");
        double perSecond = 4096 / Math.max(0.05, (System.nanoTime() - start) / 1e9);
        // Two benches share the machine; a count for BENCH_TARGET at half the measured rate, and at
        // least one pass over the whole LUN so the final read-back covers every block.
        long count = Math.max(LUN_BYTES / 4096, (long) (perSecond / 2 * BENCH_TARGET.toSeconds()));
        int loginsBefore = logins();
        int holdsBefore = holds().size();

        CompletableFuture<ToolResult> writer = CompletableFuture.supplyAsync(() -> benchResult(
                "-w", "--pattern=0x5a", "-c", Long.toString(count)));
        CompletableFuture<ToolResult> reader = CompletableFuture.supplyAsync(() -> benchResult(
                "-c", Long.toString(count)));
        awaitLogins(loginsBefore + 2);

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
        assertEquals(loginsBefore + 2, logins(), "an initiator logged in again during the updates (its session"
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
        String verify = QemuTools.succeed("qemu-io", "-f", "raw", "-c", "read -P 0x5a 0 " + LUN_BYTES, url());
        assertFalse(verify.contains("Pattern verification failed"), verify);
        assertTrue(verify.contains("read " + LUN_BYTES + "/" + LUN_BYTES + " bytes"), verify);
    }

    private String backendBundleId() {
        ToolResult list = lunar.shell("bundle:list -s -t 0 --no-format");
        assertTrue(list.succeeded(), list::describe);
        for (String line : list.output().split("\n")) {
            if (line.contains(BACKEND_BUNDLE)) {
                return line.trim().split("\\s*\\|\\s*|\\s+")[0];
            }
        }
        throw new AssertionError("no bundle " + BACKEND_BUNDLE + " in\n" + list.output());
    }

    private void bench(String... arguments) {
        ToolResult r = benchResult(arguments);
        assertTrue(r.succeeded(), r::describe);
    }

    private ToolResult benchResult(String... arguments) {
        List<String> argv = new ArrayList<>(List.of("qemu-img", "bench", "-f", "raw", "-t", "none", "-d", "32",
                "-s", "4k"));
        argv.addAll(List.of(arguments));
        argv.add(url());
        Tools.require("qemu-img", "qemu-utils");
        return Tools.run(Duration.ofMinutes(5), Map.of(), argv);
    }

    private String log() {
        try {
            return Files.readString(lunar.home().resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Logins to the swap target so far (the iscsi bundle logs one INFO line per login). */
    private int logins() {
        Matcher m = Pattern.compile("logged in to " + Pattern.quote(IQN)).matcher(log());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** Completed holds of the swap LUN: {milliseconds, commands held}. */
    private List<long[]> holds() {
        Matcher m = HOLD.matcher(log());
        List<long[]> out = new ArrayList<>();
        while (m.find()) {
            out.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
        }
        return out;
    }

    private void awaitLogins(int expected) throws InterruptedException {
        for (int i = 0; i < 600 && logins() < expected; i++) {
            Thread.sleep(100);
        }
        assertEquals(expected, logins(), "both benches should be logged in\n" + lunar.diagnostics());
    }

    private void awaitHolds(int expected) throws InterruptedException {
        for (int i = 0; i < 600 && holds().size() < expected; i++) {
            Thread.sleep(100);
        }
        assertEquals(expected, holds().size(), "the LUN did not come back on the updated backend\n"
                + lunar.diagnostics());
    }

    private String url() {
        return lunar.iscsiUrl("/" + IQN + "/0");
    }
}
