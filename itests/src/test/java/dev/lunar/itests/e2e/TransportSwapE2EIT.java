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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 "done when", transport part: a RAM-disk LUN under continuous QEMU I/O (a writing and a
 * reading {@code qemu-img bench}, queue depth 32 each) while the test updates the transport-tcp
 * bundle N times in a row with {@code bundle:update} (5 here; 20 in the {@code long} run). The
 * iscsi engine parks each TCP connection at a PDU boundary, the old transport detaches it, the
 * new one adopts it (DESIGN §3.5), so: both benches exit 0, no initiator logs in again, the very
 * same TCP connections (client ports, seen by {@code ss}) and sessions (TSIH, seen by
 * {@code lunar:session-list}) are there afterwards, and every byte the writer wrote reads back.
 * The stall of each swap (quiesce to resume, logged by the engine) is printed and written to
 * {@code target/transport-swap-stalls.txt}.
 */
class TransportSwapE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:tswap";
    private static final String LUN_NAME = "tswap-0";
    private static final int LUN_BYTES = 32 << 20;
    private static final String TRANSPORT_BUNDLE = "dev.lunar.transport-tcp";
    /** One swap costs a bundle stop and start (about a second); benches must outlive them all. */
    private static final Duration SECONDS_PER_UPDATE = Duration.ofSeconds(4);
    private static final Pattern SWAP = Pattern.compile(
            "Transport (\\S+) replaced: (\\d+) connection\\(s\\) moved in (\\d+) ms");

    @BeforeAll
    void addRamLun() {
        LunConfigs.addTarget(lunar, "tswap", IQN);
        LunConfigs.addLun(lunar, LUN_NAME, IQN, 0, "ramdisk", Map.of("size", Integer.toString(LUN_BYTES)));
        LunConfigs.awaitLun(lunar, io().url());
    }

    @Test
    void fiveTransportUpdatesUnderQueueDepth32ReadsAndWritesAreInvisible() throws Exception {
        swapUnderLoad(5, 0x5a);
    }

    @Test
    @Tag("long")
    void twentyTransportUpdatesUnderQueueDepth32ReadsAndWritesAreInvisible() throws Exception {
        swapUnderLoad(20, 0xa5);
    }

    private void swapUnderLoad(int updates, int pattern) throws Exception {
        String patternArg = "--pattern=0x" + Integer.toHexString(pattern);
        // Calibrate: requests per second of one writer here, so each bench outlives the updates.
        long start = System.nanoTime();
        io().benchOk("-w", patternArg, "-c", "8192");
        double perSecond = 8192 / Math.max(0.05, (System.nanoTime() - start) / 1e9);
        long seconds = SECONDS_PER_UPDATE.toSeconds() * updates + 10;
        // The full measured rate for the whole time: two benches sharing the machine each run
        // slower than that, so they outlive the updates (a bench that ended early would prove
        // nothing), and at least one pass over the LUN so the final read-back covers every block.
        long count = Math.max(LUN_BYTES / 4096, (long) (perSecond * seconds));
        int loginsBefore = io().logins();
        int swapsBefore = swaps().size();

        CompletableFuture<ToolResult> writer = CompletableFuture.supplyAsync(() -> io().bench(
                "-w", patternArg, "-c", Long.toString(count)));
        CompletableFuture<ToolResult> reader = CompletableFuture.supplyAsync(() -> io().bench(
                "-c", Long.toString(count)));
        io().awaitLogins(loginsBefore + 2);
        Thread.sleep(500);
        TreeSet<String> connectionsBefore = io().clientConnections();
        List<String> sessionsBefore = io().sessionLines();
        assertEquals(2, connectionsBefore.size(), "two bench connections expected: " + connectionsBefore);

        String id = io().bundleId(TRANSPORT_BUNDLE);
        for (int i = 0; i < updates; i++) {
            ToolResult update = lunar.shell("bundle:update " + id);
            assertTrue(update.succeeded(), update::describe);
            awaitSwaps(swapsBefore + i + 1);
            lunar.awaitIscsiPort();
        }
        boolean benchesOutlivedUpdates = !writer.isDone() && !reader.isDone();
        TreeSet<String> connectionsAfter = io().clientConnections();
        List<String> sessionsAfter = io().sessionLines();

        ToolResult w = writer.get();
        ToolResult r = reader.get();
        assertTrue(w.succeeded(), () -> "the writing bench saw an error across the transport updates\n"
                + w.describe() + lunar.diagnostics());
        assertTrue(r.succeeded(), () -> "the reading bench saw an error across the transport updates\n"
                + r.describe() + lunar.diagnostics());
        assertTrue(w.output().contains("Run completed"), w.output());
        assertTrue(benchesOutlivedUpdates, "a bench ended before the last update; it would prove nothing: "
                + "raise SECONDS_PER_UPDATE (count was " + count + ")");
        assertEquals(loginsBefore + 2, io().logins(), "an initiator logged in again during the updates (its session"
                + " was lost)\n" + lunar.diagnostics());
        assertEquals(connectionsBefore, connectionsAfter, "the initiators' TCP connections changed: the swap was"
                + " visible on the wire");
        assertEquals(sessionsBefore, sessionsAfter, "the session list (TSIH, initiator port) changed");

        List<long[]> swaps = swaps().subList(swapsBefore, swapsBefore + updates);
        List<Long> stalls = new ArrayList<>();
        StringBuilder report = new StringBuilder("transport-tcp updates under QD32 read+write (" + count
                + " requests per bench):\n");
        for (int i = 0; i < swaps.size(); i++) {
            long[] s = swaps.get(i);
            stalls.add(s[1]);
            report.append("  update ").append(i + 1).append(": ").append(s[0]).append(" connection(s) moved, ")
                    .append("longest quiesce-to-resume ").append(s[1]).append(" ms\n");
            assertEquals(2, s[0], "both bench connections should move in update " + (i + 1));
        }
        Collections.sort(stalls);
        report.append("  stall median ").append(stalls.get(stalls.size() / 2)).append(" ms, max ")
                .append(stalls.get(stalls.size() - 1)).append(" ms over ").append(updates).append(" updates\n");
        Files.writeString(Path.of("target/transport-swap-stalls.txt"), report, StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        System.out.print(report);

        // Every block the writer wrote (it wrapped around the whole LUN) reads back as its pattern.
        String verify = QemuTools.succeed("qemu-io", "-f", "raw", "-c",
                "read -P 0x" + Integer.toHexString(pattern) + " 0 " + LUN_BYTES, io().url());
        assertFalse(verify.contains("Pattern verification failed"), verify);
        assertTrue(verify.contains("read " + LUN_BYTES + "/" + LUN_BYTES + " bytes"), verify);
    }

    /** Completed swaps: {connections moved, longest stall in ms}. */
    private List<long[]> swaps() {
        return io().logged(SWAP, 2, 3);
    }

    private void awaitSwaps(int expected) throws InterruptedException {
        for (int i = 0; i < 600 && swaps().size() < expected; i++) {
            Thread.sleep(100);
        }
        assertEquals(expected, swaps().size(), "the connections were not adopted by the updated transport\n"
                + lunar.diagnostics());
    }

    private LiveIo io() {
        return new LiveIo(lunar, IQN);
    }
}
