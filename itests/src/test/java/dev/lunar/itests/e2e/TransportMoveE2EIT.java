package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.itests.e2e.conformance.LunConfigs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 "done when", move part: a RAM-disk LUN under continuous QEMU I/O (a writing and a
 * reading {@code qemu-img bench}, queue depth 32 each) on the default {@code tcp} portal while
 * the test moves every connection to the example vendor transport ({@code vendor-tcp}, deployed
 * into {@code deploy/}) and back with {@code lunar:transport-move}, several round trips. The
 * engine parks each connection at a PDU boundary, {@code tcp} detaches it and {@code vendor-tcp}
 * adopts it (or the reverse) with no bundle stopping (DESIGN.md §3.5), so: both benches exit 0,
 * no initiator logs in again, the same client TCP ports ({@code ss}) and sessions are there
 * afterwards, and every byte written reads back. The stall of each move (quiesce to resume, from
 * the engine's log) is printed and appended to {@code target/transport-move-stalls.txt}.
 */
class TransportMoveE2EIT extends LunarE2ETest {

    private static final String IQN = "iqn.2026-11.dev.lunar:tmove";
    private static final String LUN_NAME = "tmove-0";
    private static final int LUN_BYTES = 32 << 20;
    private static final String VENDOR = VendorTransportDeployment.KIND;
    /** A move is one shell command over ssh plus the move itself; benches must outlive them all. */
    private static final Duration SECONDS_PER_MOVE = Duration.ofSeconds(3);
    private static final Pattern MOVE = Pattern.compile(
            "Moved from transport (\\S+) to (\\S+): (\\d+) connection\\(s\\) moved in (\\d+) ms");

    @BeforeAll
    void addRamLunAndVendorTransport() {
        VendorTransportDeployment.jar();
        LunConfigs.addTarget(lunar, "tmove", IQN);
        LunConfigs.addLun(lunar, LUN_NAME, IQN, 0, "ramdisk", Map.of("size", Integer.toString(LUN_BYTES)));
        LunConfigs.awaitLun(lunar, io().url());
        VendorTransportDeployment.deploy(lunar);
        VendorTransportDeployment.awaitStatus(lunar, "bundle " + VendorTransportDeployment.SYMBOLIC_NAME + " Active",
                s -> s.bundleState(VendorTransportDeployment.SYMBOLIC_NAME).equals(Optional.of("Active")));
        awaitTransportBound(VENDOR);
    }

    @Test
    void threeRoundTripsToTheVendorTransportUnderQueueDepth32ReadsAndWritesAreInvisible() throws Exception {
        moveUnderLoad(3, 0x3c);
    }

    @Test
    @Tag("long")
    void tenRoundTripsToTheVendorTransportUnderQueueDepth32ReadsAndWritesAreInvisible() throws Exception {
        moveUnderLoad(10, 0xc3);
    }

    @Test
    void aMoveToAnUnknownKindIsRefusedWithASentence() {
        ToolResult refused = lunar.shell("lunar:transport-move --from tcp --to rdma-nowhere");
        String text = refused.output();
        assertTrue(text.contains("No transport of kind 'rdma-nowhere' is running; known kinds: "), refused::describe);
        assertTrue(text.contains("tcp (wire tcp)"), refused::describe);
        assertFalse(text.contains("Exception"), () -> "a refusal is a sentence, not a stack trace\n"
                + refused.describe());
    }

    private void moveUnderLoad(int roundTrips, int pattern) throws Exception {
        int moves = 2 * roundTrips;
        String patternArg = "--pattern=0x" + Integer.toHexString(pattern);
        long start = System.nanoTime();
        io().benchOk("-w", patternArg, "-c", "8192");
        double perSecond = 8192 / Math.max(0.05, (System.nanoTime() - start) / 1e9);
        long seconds = SECONDS_PER_MOVE.toSeconds() * moves + 10;
        long count = Math.max(LUN_BYTES / 4096, (long) (perSecond * seconds));
        int loginsBefore = io().logins();
        int movesBefore = movesLogged().size();

        CompletableFuture<ToolResult> writer = CompletableFuture.supplyAsync(() -> io().bench(
                "-w", patternArg, "-c", Long.toString(count)));
        CompletableFuture<ToolResult> reader = CompletableFuture.supplyAsync(() -> io().bench(
                "-c", Long.toString(count)));
        io().awaitLogins(loginsBefore + 2);
        Thread.sleep(500);
        TreeSet<String> connectionsBefore = io().clientConnections();
        List<String> sessionsBefore = io().sessionLines();
        assertEquals(2, connectionsBefore.size(), "two bench connections expected: " + connectionsBefore);

        for (int i = 0; i < moves; i++) {
            String from = i % 2 == 0 ? "tcp" : VENDOR;
            String to = i % 2 == 0 ? VENDOR : "tcp";
            ToolResult move = lunar.shell("lunar:transport-move --from " + from + " --to " + to + " --no-format");
            assertTrue(move.succeeded() && !move.output().contains("Error executing"), move::describe);
            assertEquals(2, countOf(move.output(), "moved to " + to), () -> "both bench connections should move "
                    + from + " -> " + to + "\n" + move.describe());
            assertFalse(move.output().contains("not moved"), move::describe);
            awaitMoves(movesBefore + i + 1);
            assertEquals(connectionsBefore, io().clientConnections(), "the initiators' TCP connections changed in move "
                    + (i + 1) + " (" + from + " -> " + to + ")");
        }
        boolean benchesOutlivedMoves = !writer.isDone() && !reader.isDone();
        TreeSet<String> connectionsAfter = io().clientConnections();
        List<String> sessionsAfter = io().sessionLines();

        ToolResult w = writer.get();
        ToolResult r = reader.get();
        assertTrue(w.succeeded(), () -> "the writing bench saw an error across the moves\n" + w.describe()
                + lunar.diagnostics());
        assertTrue(r.succeeded(), () -> "the reading bench saw an error across the moves\n" + r.describe()
                + lunar.diagnostics());
        assertTrue(w.output().contains("Run completed"), w.output());
        assertTrue(benchesOutlivedMoves, "a bench ended before the last move; it would prove nothing: raise"
                + " SECONDS_PER_MOVE (count was " + count + ")");
        assertEquals(loginsBefore + 2, io().logins(), "an initiator logged in again during the moves (its session was"
                + " lost)\n" + lunar.diagnostics());
        assertEquals(connectionsBefore, connectionsAfter, "the initiators' TCP connections changed");
        assertEquals(sessionsBefore, sessionsAfter, "the session list (TSIH, initiator port, transport) changed");

        List<long[]> logged = movesLogged().subList(movesBefore, movesBefore + moves);
        List<Long> stalls = new ArrayList<>();
        StringBuilder report = new StringBuilder("transport moves tcp <-> " + VENDOR + " under QD32 read+write ("
                + count + " requests per bench):\n");
        for (int i = 0; i < logged.size(); i++) {
            long[] m = logged.get(i);
            stalls.add(m[1]);
            report.append("  move ").append(i + 1).append(i % 2 == 0 ? " (tcp -> " + VENDOR + "): "
                    : " (" + VENDOR + " -> tcp): ").append(m[0]).append(" connection(s), longest quiesce-to-resume ")
                    .append(m[1]).append(" ms\n");
            assertEquals(2, m[0], "both bench connections should move in move " + (i + 1));
        }
        Collections.sort(stalls);
        report.append("  stall median ").append(stalls.get(stalls.size() / 2)).append(" ms, max ")
                .append(stalls.get(stalls.size() - 1)).append(" ms over ").append(moves).append(" moves\n");
        Files.writeString(Path.of("target/transport-move-stalls.txt"), report, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.print(report);

        String verify = QemuTools.succeed("qemu-io", "-f", "raw", "-c",
                "read -P 0x" + Integer.toHexString(pattern) + " 0 " + LUN_BYTES, io().url());
        assertFalse(verify.contains("Pattern verification failed"), verify);
        assertTrue(verify.contains("read " + LUN_BYTES + "/" + LUN_BYTES + " bytes"), verify);
    }

    private static int countOf(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private void awaitTransportBound(String kind) {
        for (int i = 0; i < 120; i++) {
            ToolResult list = lunar.shell("lunar:transport-list --no-format");
            if (list.succeeded() && list.output().lines().anyMatch(l -> l.trim().startsWith(kind + "\t")
                    || l.trim().startsWith(kind + " "))) {
                return;
            }
            sleep(500);
        }
        throw new AssertionError("transport " + kind + " not bound\n" + lunar.diagnostics());
    }

    /** Completed moves: {connections moved, longest stall in ms}. */
    private List<long[]> movesLogged() {
        return io().logged(MOVE, 3, 4);
    }

    private void awaitMoves(int expected) throws InterruptedException {
        for (int i = 0; i < 100 && movesLogged().size() < expected; i++) {
            Thread.sleep(100);
        }
        assertEquals(expected, movesLogged().size(), "the engine logged no completed move\n" + lunar.diagnostics());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private LiveIo io() {
        return new LiveIo(lunar, IQN);
    }
}
