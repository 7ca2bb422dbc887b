package dev.lunar.iscsi.internal.login;

import dev.lunar.spi.transport.TransportLimits;
import java.util.List;

/**
 * What the login negotiator asks of the session layer and configuration. Implemented by the session
 * layer, one instance per connection (or shared; the negotiator keeps no reference beyond the
 * connection's login). Called on the connection's login thread; implementations must not block on
 * I/O and must be safe against concurrent configuration changes (return a consistent snapshot).
 */
public interface LoginContext {

    /** The target named {@code iqn}, or null when no such target is configured. */
    TargetConfig target(String iqn);

    /** Every configured target, in a stable order (used by SendTargets=All). */
    List<TargetConfig> targets();

    /** Limits of the transport carrying this connection; our declarations never exceed them. */
    TransportLimits transportLimits();

    /** This connection arrived on a loopback portal (security by default, DESIGN §3.7). */
    boolean portalIsLoopback();

    /** Target portal group tag of the portal this connection arrived on (RFC 7143 §13.9). */
    int portalGroupTag();

    /**
     * TargetAddress values for {@code iqn} as SendTargets reports them, {@code "host:port,tpgt"}
     * (IPv6 hosts in brackets), e.g. {@code "127.0.0.1:3260,1"}.
     */
    List<String> targetAddresses(String iqn);

    /** Authentication policy for discovery sessions; never null. */
    AuthConfig discoveryAuth();

    /**
     * Whether this login may start or join a session: the session layer looks ISID/TSIH up in its
     * table. Called once per login, after the first request named the initiator and target
     * ({@code targetIqn} null for discovery).
     */
    SessionCheck checkSession(String initiatorName, long isid, int tsih, String targetIqn);

    /** The target's preferred values for operational keys. */
    NegotiationDefaults defaults();
}
