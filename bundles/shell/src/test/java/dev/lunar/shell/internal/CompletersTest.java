package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.api.BackendInfo;
import dev.lunar.api.LunInfo;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TransportInfo;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.karaf.shell.api.console.CommandLine;
import org.junit.jupiter.api.Test;

class CompletersTest {

    @Test
    void targetsCompleteByNameAndIqnFromConfigurationOrElseFromWhatRuns() {
        TargetCompleter completer = new TargetCompleter();
        completer.configs = new FakeConfigurationService()
                .with(ObjectKind.TARGET, "db", Map.of("iqn", "iqn.2026-11.dev.lunar:db"));
        assertEquals(List.of("db", "iqn.2026-11.dev.lunar:db"), List.copyOf(completer.candidates()));

        completer.configs = null;
        FakeTargetService targets = new FakeTargetService();
        targets.targets.add(new TargetInfo("web", "iqn.2026-11.dev.lunar:web", "", "none", 0));
        completer.targets = targets;
        assertEquals(List.of("iqn.2026-11.dev.lunar:web", "web"), List.copyOf(completer.candidates()));
    }

    @Test
    void kindsFallBackToWhatIsInUseWhereThisVersionCannotListThem() {
        FakeLunService luns = new FakeLunService();
        luns.luns.add(new LunInfo("a", "iqn.t", 0, "file", 0, 0, "WAITING", ""));
        BackendKindCompleter backends = new BackendKindCompleter();
        backends.luns = luns;
        assertEquals(List.of("file"), List.copyOf(backends.candidates()));
        luns.backends = List.of(new BackendInfo("ramdisk", "b", List.of()), new BackendInfo("zvol", "c", List.of()));
        assertEquals(List.of("ramdisk", "zvol"), List.copyOf(backends.candidates()));

        FakeTargetService targets = new FakeTargetService();
        targets.portals.add(new PortalInfo("p", "127.0.0.1", 3260, "tcp", "LISTENING", ""));
        TransportKindCompleter transports = new TransportKindCompleter();
        transports.targets = targets;
        assertEquals(List.of("tcp"), List.copyOf(transports.candidates()));
        targets.transports = List.of(new TransportInfo("toe", "tcp", "b", List.of(), 0));
        assertEquals(List.of("toe"), List.copyOf(transports.candidates()));
    }

    @Test
    void sessionsCompleteByTsihAndAMissingServiceCompletesNothing() {
        FakeTargetService targets = new FakeTargetService();
        targets.sessions.add(new SessionInfo(12, "iqn.i", "400001370000", "iqn.t", 1, "tcp", "x", Map.of()));
        SessionCompleter sessions = new SessionCompleter();
        sessions.targets = targets;
        List<String> out = new ArrayList<>();
        sessions.complete(null, commandLine("1"), out);
        assertEquals(List.of("12 "), out);

        LunNameCompleter luns = new LunNameCompleter();
        out.clear();
        luns.complete(null, commandLine(""), out);
        assertEquals(List.of(), out);
    }

    /** The cursor at the end of {@code typed}, the word being completed. */
    private static CommandLine commandLine(String typed) {
        return (CommandLine) Proxy.newProxyInstance(CompletersTest.class.getClassLoader(),
                new Class<?>[] {CommandLine.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getCursorArgument" -> typed;
                    case "getArgumentPosition" -> typed.length();
                    case "getCursorArgumentIndex" -> 1;
                    case "getArguments" -> new String[] {"lunar:session-info", typed};
                    case "getBuffer" -> "lunar:session-info " + typed;
                    case "getBufferPosition" -> ("lunar:session-info " + typed).length();
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
