package dev.lunar.metrics.internal;

import dev.lunar.api.IoStatsRecorder;
import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
import dev.lunar.api.LunStats;
import dev.lunar.api.MoveReport;
import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.SessionStats;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TargetService;
import dev.lunar.api.TransportInfo;
import dev.lunar.api.BackendInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** In-memory TargetService and LunService with counters the test drives. */
final class FakeServices implements TargetService, LunService {

    static final String IQN = "iqn.2026-01.dev.lunar:web";

    final IoStatsRecorder lunIo = new IoStatsRecorder();
    final IoStatsRecorder sessionIo = new IoStatsRecorder();
    final List<Integer> sessions = new ArrayList<>(List.of(3));
    final List<String> kills = new ArrayList<>();

    @Override
    public List<TargetInfo> targets() {
        return List.of(new TargetInfo("web", IQN, "", "none", sessions.size()));
    }

    @Override
    public List<PortalInfo> portals() {
        return List.of();
    }

    @Override
    public List<SessionInfo> sessions() {
        return List.of();
    }

    @Override
    public synchronized List<SessionStats> sessionStats() {
        List<SessionStats> out = new ArrayList<>();
        for (int tsih : sessions) {
            out.add(new SessionStats(tsih, "iqn.2026-01.dev.lunar:host", IQN, sessionIo.snapshot()));
        }
        return out;
    }

    @Override
    public List<TransportInfo> transports() {
        return List.of(new TransportInfo("tcp", "tcp", "dev.lunar.transport-tcp 0.1.0", List.of("default"), 1));
    }

    @Override
    public synchronized Optional<CompletionStage<Void>> killSession(int tsih, String reason) {
        if (!sessions.remove(Integer.valueOf(tsih))) {
            return Optional.empty();
        }
        kills.add(tsih + ":" + reason);
        return Optional.of(CompletableFuture.completedFuture(null));
    }

    @Override
    public MoveReport moveConnections(String fromKind, String toKind, Optional<Integer> tsih) {
        return new MoveReport(List.of(fromKind + "->" + toKind + tsih.map(t -> " " + t).orElse("")), List.of());
    }

    @Override
    public List<LunInfo> luns() {
        return List.of();
    }

    @Override
    public List<LunStats> lunStats() {
        return List.of(new LunStats("web-0", IQN, 0, lunIo.snapshot()));
    }

    @Override
    public List<BackendInfo> backends() {
        return List.of();
    }
}
