package dev.lunar.shell.internal;

import dev.lunar.api.MoveReport;
import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.SessionStats;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TargetService;
import dev.lunar.api.TransportInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Run-time answers set by the test. A list left null stands for a method this version does not
 * implement (it throws {@link UnsupportedOperationException}, as the engine did before 1.1 landed).
 */
final class FakeTargetService implements TargetService {

    List<TargetInfo> targets = new ArrayList<>();
    List<PortalInfo> portals = new ArrayList<>();
    List<SessionInfo> sessions = new ArrayList<>();
    List<SessionStats> sessionStats;
    List<TransportInfo> transports;
    boolean killSupported;
    final List<String> kills = new ArrayList<>();
    /** The engine's answer to a move (may throw its refusal); null: moves not implemented. */
    java.util.function.BiFunction<String, String, MoveReport> move;
    final List<String> moves = new ArrayList<>();

    @Override
    public List<TargetInfo> targets() {
        return targets;
    }

    @Override
    public List<PortalInfo> portals() {
        return portals;
    }

    @Override
    public List<SessionInfo> sessions() {
        return sessions;
    }

    @Override
    public List<SessionStats> sessionStats() {
        if (sessionStats == null) {
            throw new UnsupportedOperationException("session statistics are not counted yet");
        }
        return sessionStats;
    }

    @Override
    public List<TransportInfo> transports() {
        if (transports == null) {
            throw new UnsupportedOperationException("transport listing is not available yet");
        }
        return transports;
    }

    @Override
    public Optional<CompletionStage<Void>> killSession(int tsih, String reason) {
        if (!killSupported) {
            throw new UnsupportedOperationException("session kill is not available yet");
        }
        boolean known = sessions.removeIf(s -> s.tsih() == tsih);
        if (!known) {
            return Optional.empty();
        }
        kills.add(tsih + ":" + reason);
        return Optional.of(CompletableFuture.completedFuture(null));
    }

    @Override
    public MoveReport moveConnections(String fromKind, String toKind, Optional<Integer> tsih) {
        if (move == null) {
            throw new UnsupportedOperationException("transport moves are not available yet");
        }
        moves.add(fromKind + "->" + toKind + tsih.map(t -> ":" + t).orElse(""));
        return move.apply(fromKind, toKind);
    }
}
