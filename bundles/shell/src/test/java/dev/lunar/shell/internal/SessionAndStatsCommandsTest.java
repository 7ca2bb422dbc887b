package dev.lunar.shell.internal;

import static dev.lunar.shell.internal.IoRateTest.histogram;
import static dev.lunar.shell.internal.IoRateTest.io;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.BackendInfo;
import dev.lunar.api.LunStats;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.SessionStats;
import dev.lunar.api.TransportInfo;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionAndStatsCommandsTest {

    private static final String IQN = "iqn.2026-11.dev.lunar:db";

    private final FakeTargetService targets = new FakeTargetService();
    private final FakeLunService luns = new FakeLunService();

    SessionAndStatsCommandsTest() {
        targets.sessions.add(new SessionInfo(7, "iqn.i", "400001370000", IQN, 2, "tcp", "127.0.0.1:50000",
                Map.of("MaxBurstLength", "262144", "HeaderDigest", "CRC32C")));
        targets.sessions.add(new SessionInfo(8, "iqn.d", "400001370001", "", 1, "tcp", "127.0.0.1:50001", Map.of()));
    }

    @Test
    void listShowsSessionsAndVerboseTheirParameters() throws Exception {
        SessionListCommand list = new SessionListCommand();
        list.targets = targets;
        list.noFormat = true;
        list.verbose = true;

        String cells = Console.run(list).cells();

        assertTrue(cells.contains("7|iqn.i|400001370000|" + IQN + "|2|tcp|127.0.0.1:50000"), cells);
        assertTrue(cells.contains("8|iqn.d|400001370001|(discovery)|1|tcp"), cells);
        assertTrue(cells.contains("Session 7 parameters\nHeaderDigest|CRC32C\nMaxBurstLength|262144"), cells);
    }

    @Test
    void killOfAnUnknownSessionAndBeforeTheEngineCanKillAreSentences() {
        SessionKillCommand kill = new SessionKillCommand();
        kill.targets = targets;
        kill.tsih = 99;
        assertEquals("There is no session with TSIH 99; lunar:session-list shows the sessions logged in.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(kill)).getMessage());
        kill.tsih = 7;
        assertEquals("Ending a session is not available in this version.",
                assertThrows(IllegalStateException.class, () -> Console.run(kill)).getMessage());
    }

    @Test
    void killEndsTheSessionWithTheReason() throws Exception {
        targets.killSupported = true;
        SessionKillCommand kill = new SessionKillCommand();
        kill.targets = targets;
        kill.tsih = 7;
        kill.reason = "maintenance";

        assertEquals("Session 7 (iqn.i) ended.\n", Console.run(kill).out);
        assertEquals(List.of("7:maintenance"), targets.kills);
    }

    @Test
    void infoShowsParametersAndSaysWhenCountingIsMissing() throws Exception {
        SessionInfoCommand info = new SessionInfoCommand();
        info.targets = targets;
        info.tsih = 7;
        info.noFormat = true;

        String cells = Console.run(info).cells();

        assertTrue(cells.contains("MaxBurstLength|262144"), cells);
        assertTrue(cells.contains("Session I/O counting is not available in this version."), cells);
    }

    @Test
    void transportAndBackendListsWorkOnceTheServicesCanList() throws Exception {
        TransportListCommand transports = new TransportListCommand();
        transports.targets = targets;
        transports.noFormat = true;
        assertEquals("The transport listing is not available in this version.",
                assertThrows(IllegalStateException.class, () -> Console.run(transports)).getMessage());
        targets.transports = List.of(new TransportInfo("tcp", "tcp", "dev.lunar.transport-tcp", List.of("a", "b"), 3));
        assertTrue(Console.run(transports).cells().contains("tcp|tcp|dev.lunar.transport-tcp|a, b|3"));

        BackendListCommand backends = new BackendListCommand();
        backends.luns = luns;
        backends.noFormat = true;
        assertEquals("The backend listing is not available in this version.",
                assertThrows(IllegalStateException.class, () -> Console.run(backends)).getMessage());
        luns.backends = List.of(new BackendInfo("ramdisk", "dev.lunar.backend-ramdisk", List.of("db-0")));
        assertTrue(Console.run(backends).cells().contains("ramdisk|dev.lunar.backend-ramdisk|db-0"));
    }

    @Test
    void statsWithoutCountingSaysSoPerSectionOrFailsWhenAskedForOne() throws Exception {
        StatsCommand stats = new StatsCommand();
        stats.luns = luns;
        stats.targets = targets;
        stats.interval = 0;

        String out = Console.run(stats).out;
        assertTrue(out.contains("LUNs (since start)\nLUN I/O counting is not available in this version."), out);
        assertTrue(out.contains("Sessions (since start)\nSession I/O counting is not available in this version."), out);

        stats.lun = "db-0";
        assertEquals("LUN I/O counting is not available in this version.",
                assertThrows(IllegalStateException.class, () -> Console.run(stats)).getMessage());
        stats.interval = -1;
        assertEquals("--interval must be from 0 to 3600 seconds, not -1.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(stats)).getMessage());
    }

    @Test
    void statsTotalsAndFilters() throws Exception {
        luns.lunStats = () -> List.of(
                new LunStats("db-0", IQN, 0, io(10, 20, 40_960, 81_920, 0, histogram(100, 10), histogram(200, 20))),
                new LunStats("db-1", IQN, 1, io(0, 0, 0, 0, 0, histogram(), histogram())));
        targets.sessionStats = List.of(new SessionStats(7, "iqn.i", IQN,
                io(10, 20, 40_960, 81_920, 0, histogram(100, 10), histogram(200, 20))));
        StatsCommand stats = new StatsCommand();
        stats.luns = luns;
        stats.targets = targets;
        stats.interval = 0;
        stats.noFormat = true;
        stats.lun = "db-0";

        String cells = Console.run(stats).cells();

        assertTrue(cells.contains("db-0|" + IQN + "|10|20|0|40 KiB|80 KiB|0|100us/100us/100us|200us/200us/200us"), cells);
        assertTrue(!cells.contains("db-1") && !cells.contains("Sessions"), cells);

        stats.lun = "ghost";
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Console.run(stats)).getMessage()
                .startsWith("There is no LUN named 'ghost'"));
        stats.lun = null;
        stats.session = 7;
        assertTrue(Console.run(stats).cells().contains("7|iqn.i|10|20|0|40 KiB|80 KiB|0"));
    }

    @Test
    void statsOverAnIntervalPrintsRatesOfTheSecondSample() throws Exception {
        Deque<List<LunStats>> samples = new ArrayDeque<>(List.of(
                List.of(new LunStats("db-0", IQN, 0, io(0, 0, 0, 0, 0, histogram(), histogram()))),
                List.of(new LunStats("db-0", IQN, 0, io(0, 0, 0, 0, 0, histogram(), histogram()))),
                List.of(new LunStats("db-0", IQN, 0, io(0, 500, 0, 5_000_000, 0, histogram(), histogram(50, 500))))));
        luns.lunStats = samples::poll;
        StatsCommand stats = new StatsCommand();
        stats.luns = luns;
        stats.lun = "db-0";
        stats.noFormat = true;

        String cells = Console.run(stats).cells();

        // The rate depends on how long the sleep really took; the layout and the latency do not.
        assertTrue(cells.startsWith("LUNs (per second over 1 s)\n"), cells);
        assertTrue(cells.matches("(?s).*\\ndb-0\\|" + IQN + "\\|0\\.0\\|\\d+\\.\\d\\|0\\.0\\|\\d+\\.\\d\\|0\\.0\\|-\\|50us/50us/50us\\n.*"), cells);
    }
}
