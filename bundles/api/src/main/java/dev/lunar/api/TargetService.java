package dev.lunar.api;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The iSCSI side of Lunar at run time: targets, portals, transports and sessions. Provided by the
 * iscsi bundle. Reads never block; management calls may block briefly and never run on an I/O
 * thread.
 */
@ProviderType
public interface TargetService {

    List<TargetInfo> targets();

    List<PortalInfo> portals();

    List<SessionInfo> sessions();

    /** I/O counters per logged-in normal session (discovery sessions have none). */
    List<SessionStats> sessionStats();

    /** Transport kinds bound now, with their portals and connection counts. */
    List<TransportInfo> transports();

    /**
     * Ends a session: asks the initiator to log out (Async Message, RFC 7143 §11.9.1, code 1),
     * then closes its connections if it has not done so within {@code Time2Wait}-independent
     * grace of a few seconds. The stage completes when the session is gone.
     *
     * @return empty when there is no session with that TSIH
     */
    Optional<CompletionStage<Void>> killSession(int tsih, String reason);

    /**
     * Moves live connections from one transport kind to another of the same wire without the
     * initiator noticing (quiesce at a PDU boundary, detach, adopt; DESIGN.md §3.5).
     *
     * @param tsih only that session's connections, or every connection of {@code fromKind} when empty
     * @throws IllegalArgumentException when a kind is unknown, the kinds are equal, or their wires
     *     differ (the sentence says which)
     */
    MoveReport moveConnections(String fromKind, String toKind, Optional<Integer> tsih);
}
