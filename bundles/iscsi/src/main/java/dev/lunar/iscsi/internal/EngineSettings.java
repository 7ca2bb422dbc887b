package dev.lunar.iscsi.internal;

import dev.lunar.iscsi.internal.login.AuthConfig;
import dev.lunar.iscsi.internal.login.NegotiationDefaults;

/**
 * Engine-wide tunables.
 *
 * @param queueDepth task slots per session: the CmdSN window never admits more (DESIGN.md §3.4)
 * @param maxSessions sessions the engine accepts at once; more logins get "out of resources"
 * @param nopIntervalMillis idle time after which the target pings the initiator with a NOP-In
 *     (RFC 7143 §11.19); 0 disables pings
 * @param nopTimeoutMillis how long a ping may go unanswered before the connection is closed
 * @param maxTextBytes largest Text Request text accumulated across C-bit continuations
 * @param negotiation the target's preferred operational values
 * @param discoveryAuth authentication policy of discovery sessions
 * @param maxSolicitedBytes Data-Out bytes a session may have solicited by R2T and not yet
 *     received; more R2Ts wait (DESIGN.md §3.4: memory follows what is free, never the
 *     initiator's claim). Never below one MaxBurstLength, so every task can progress.
 * @param maxSessionBytes data a session may hold in the engine at once: Data-Out received and not
 *     yet taken by the SCSI core, Data-In waiting for a writable connection or queued in the
 *     transport and not yet sent. While it is exceeded MaxCmdSN stops advancing (DESIGN.md §3.4),
 *     so the initiator runs out of CmdSNs instead of the target running out of memory.
 */
public record EngineSettings(int queueDepth, int maxSessions, long nopIntervalMillis, long nopTimeoutMillis,
        int maxTextBytes, NegotiationDefaults negotiation, AuthConfig discoveryAuth, long maxSolicitedBytes,
        long maxSessionBytes) {

    public EngineSettings {
        if (queueDepth < 1 || queueDepth > 65536) {
            throw new IllegalArgumentException("queueDepth " + queueDepth + " outside 1..65536");
        }
        if (maxSessions < 1 || maxSessions > 65535) {
            throw new IllegalArgumentException("maxSessions " + maxSessions + " outside 1..65535");
        }
        if (maxSessionBytes < 1) {
            throw new IllegalArgumentException("maxSessionBytes " + maxSessionBytes + " must be positive");
        }
    }

    /** Product defaults: 128 slots per session, pings after 10 s idle, 30 s to answer. */
    public static EngineSettings standard() {
        return new EngineSettings(128, 4096, 10_000, 30_000, 64 * 1024, NegotiationDefaults.standard(),
                AuthConfig.none(), 32L << 20, 64L << 20);
    }

    public EngineSettings withQueueDepth(int depth) {
        return new EngineSettings(depth, maxSessions, nopIntervalMillis, nopTimeoutMillis, maxTextBytes,
                negotiation, discoveryAuth, maxSolicitedBytes, maxSessionBytes);
    }

    public EngineSettings withMaxSolicitedBytes(long bytes) {
        return new EngineSettings(queueDepth, maxSessions, nopIntervalMillis, nopTimeoutMillis, maxTextBytes,
                negotiation, discoveryAuth, bytes, maxSessionBytes);
    }

    public EngineSettings withNegotiation(NegotiationDefaults defaults) {
        return new EngineSettings(queueDepth, maxSessions, nopIntervalMillis, nopTimeoutMillis, maxTextBytes,
                defaults, discoveryAuth, maxSolicitedBytes, maxSessionBytes);
    }

    public EngineSettings withMaxSessionBytes(long bytes) {
        return new EngineSettings(queueDepth, maxSessions, nopIntervalMillis, nopTimeoutMillis, maxTextBytes,
                negotiation, discoveryAuth, maxSolicitedBytes, bytes);
    }
}
