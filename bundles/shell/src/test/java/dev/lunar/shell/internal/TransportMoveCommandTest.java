package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.MoveReport;
import dev.lunar.api.SessionInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransportMoveCommandTest {

    private final FakeTargetService targets = new FakeTargetService();

    TransportMoveCommandTest() {
        targets.sessions.add(new SessionInfo(7, "iqn.i", "400001370000", "iqn.t", 2, "tcp", "127.0.0.1:50000",
                Map.of()));
    }

    private TransportMoveCommand move(String from, String to, Integer session) {
        TransportMoveCommand c = new TransportMoveCommand();
        c.targets = targets;
        c.from = from;
        c.to = to;
        c.session = session;
        c.noFormat = true;
        return c;
    }

    @Test
    void printsWhatMovedAndWhatDidNot() throws Exception {
        targets.move = (from, to) -> new MoveReport(List.of("vendor-tcp-3", "vendor-tcp-4"),
                List.of("connection tcp-9 did not detach from transport tcp within 5 s; it is closed when the detach"
                        + " completes"));

        String cells = Console.run(move("tcp", "vendor-tcp", null)).cells();

        assertEquals(List.of("tcp->vendor-tcp"), targets.moves);
        assertTrue(cells.contains("moved to vendor-tcp|vendor-tcp-3\nmoved to vendor-tcp|vendor-tcp-4\n"), cells);
        assertTrue(cells.contains("not moved|connection tcp-9 did not detach"), cells);
    }

    @Test
    void aSessionNarrowsTheMoveAndMustExist() throws Exception {
        targets.move = (from, to) -> new MoveReport(List.of("vendor-tcp-1"), List.of());

        Console.run(move("tcp", "vendor-tcp", 7));
        assertEquals(List.of("tcp->vendor-tcp:7"), targets.moves);

        assertEquals("There is no session with TSIH 99; lunar:session-list shows the sessions logged in.",
                assertThrows(IllegalArgumentException.class, () -> Console.run(move("tcp", "vendor-tcp", 99)))
                        .getMessage());
        assertEquals(1, targets.moves.size(), "no move was attempted for an unknown session");
    }

    @Test
    void nothingToMoveIsSaid() throws Exception {
        targets.move = (from, to) -> new MoveReport(List.of(), List.of());

        assertEquals("No connection is carried by transport tcp; nothing moved.\n",
                Console.run(move("tcp", "vendor-tcp", null)).out);
    }

    @Test
    void theEnginesRefusalBecomesASentence() {
        targets.move = (from, to) -> {
            throw new IllegalArgumentException("no transport of kind '" + to + "' is running; known kinds: tcp (wire tcp)");
        };

        assertEquals("No transport of kind 'toe' is running; known kinds: tcp (wire tcp).",
                assertThrows(IllegalArgumentException.class, () -> Console.run(move("tcp", "toe", null))).getMessage());
    }

    @Test
    void anEngineThatCannotMoveNowSaysSoInASentence() {
        targets.move = (from, to) -> {
            throw new IllegalStateException("transport moves are unavailable: the connection hand-over component is"
                    + " not running");
        };

        assertEquals("Transport moves are unavailable: the connection hand-over component is not running.",
                assertThrows(IllegalStateException.class, () -> Console.run(move("tcp", "vendor-tcp", null)))
                        .getMessage());
    }

    @Test
    void withoutMovesOrEngineTheCommandSaysSo() {
        assertEquals("Moving connections between transports is not available in this version.",
                assertThrows(IllegalStateException.class, () -> Console.run(move("tcp", "vendor-tcp", null)))
                        .getMessage());
        TransportMoveCommand noEngine = move("tcp", "vendor-tcp", null);
        noEngine.targets = null;
        assertTrue(assertThrows(IllegalStateException.class, () -> Console.run(noEngine)).getMessage()
                .startsWith("The iSCSI engine (dev.lunar.api.TargetService) is not running"));
    }
}
