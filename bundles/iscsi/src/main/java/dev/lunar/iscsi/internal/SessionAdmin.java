package dev.lunar.iscsi.internal;

import dev.lunar.api.SessionStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management side of live sessions for {@code TargetService}: their I/O counters, the
 * connections each transport carries, and ending a session on an admin's request. Runs on
 * management threads; it never blocks them and never blocks an I/O thread: work on a connection
 * is posted to that connection's I/O thread, waits are scheduled on the engine's timer.
 */
public final class SessionAdmin {

    private static final Logger LOG = LoggerFactory.getLogger(SessionAdmin.class);

    /**
     * Seconds an initiator gets to log out after a kill's Async Message (its Parameter3). A few
     * seconds: enough for an initiator to finish in-flight commands and send Logout, short enough
     * that an admin's kill takes effect promptly.
     */
    public static final int LOGOUT_GRACE_SECONDS = 5;
    /** Beyond Parameter3, how long the Logout may be on its way before the connection is cut. */
    static final long LOGOUT_SLACK_MILLIS = 500;

    private SessionAdmin() {
    }

    /** Counters of every normal session, by TSIH. Discovery sessions move no SCSI data. Any thread. */
    public static List<SessionStats> sessionStats(IscsiEngine engine) {
        List<SessionStats> out = new ArrayList<>();
        for (Session s : engine.sessionTable().all()) {
            var p = s.parameters();
            if (p.discovery()) {
                continue;
            }
            out.add(new SessionStats(s.tsih(), p.initiatorName(), p.targetName() == null ? "" : p.targetName(),
                    s.ioStats().snapshot()));
        }
        out.sort(Comparator.comparingInt(SessionStats::tsih));
        return out;
    }

    /**
     * Live connections per transport kind, counted from what each connection says it runs on now
     * (so a connection handed over to another transport counts there). Any thread.
     */
    public static Map<String, Integer> connectionsByTransport(IscsiEngine engine) {
        Map<String, Integer> out = new TreeMap<>();
        for (IscsiConnection c : engine.liveConnections()) {
            out.merge(c.transportConnection().transportKind(), 1, Integer::sum);
        }
        return out;
    }

    /**
     * Ends session {@code tsih}: asks the initiator to log out (Async Message, AsyncEvent 1,
     * RFC 7143 §11.9.1, with Parameter3 = {@code graceSeconds}, the time the initiator has to
     * send its Logout), and if the session is still there {@code graceSeconds} later (plus a
     * little slack for a Logout in flight), closes its connection, which ends the session as at
     * connection loss (ERL 0, §7.1.4.1). Returns at once.
     *
     * @param timer the engine's timer; only the deadline runs there, and it only posts the close
     *     to the connection's I/O thread
     * @return empty when no session has this TSIH; otherwise a stage that completes (on the I/O
     *     thread that closed the session) once the session is gone, however it ended
     */
    public static Optional<CompletionStage<Void>> killSession(IscsiEngine engine, int tsih, String reason,
            ScheduledExecutorService timer, int graceSeconds) {
        Session s = engine.sessionTable().byTsih(tsih);
        if (s == null) {
            return Optional.empty();
        }
        CompletableFuture<Void> ended = s.ended();
        IscsiConnection c = s.connection();
        String why = reason == null || reason.isBlank() ? "ended by an administrator" : reason;
        if (c == null && s.endRetained()) {
            LOG.info("Session {} ({}) was waiting to be continued; ended: {}", tsih, s.parameters().initiatorName(), why);
            return Optional.of(ended.copy());
        }
        if (c == null) {
            // Registered but not attached yet (login finishing): nothing to ask; it ends with its login.
            LOG.info("Session {} ({}) has no connection to ask to log out; it ends with its login: {}", tsih,
                    s.parameters().initiatorName(), why);
            return Optional.of(ended.copy());
        }
        LOG.info("Session {} ({}) asked to log out within {} s: {}", tsih, s.parameters().initiatorName(),
                graceSeconds, why);
        c.requestLogout(graceSeconds);
        try {
            timer.schedule(() -> {
                if (!ended.isDone()) {
                    LOG.warn("Session {} ({}) did not log out within {} s; closing its connection", tsih,
                            s.parameters().initiatorName(), graceSeconds);
                    c.closeFromOutside("session " + tsih + " killed: " + why);
                }
            }, graceSeconds * 1000L + LOGOUT_SLACK_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The engine is stopping: it closes every connection itself.
            c.closeFromOutside("session " + tsih + " killed: " + why);
        }
        // A copy, so a caller completing or cancelling its stage cannot fake the session's end.
        return Optional.of(ended.copy());
    }
}
