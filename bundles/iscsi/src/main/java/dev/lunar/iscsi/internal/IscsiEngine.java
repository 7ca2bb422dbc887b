package dev.lunar.iscsi.internal;

import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetInfo;
import dev.lunar.iscsi.internal.login.TargetConfig;
import dev.lunar.spi.scsi.DeviceServer;
import dev.lunar.spi.transport.ConnectionHandler;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iSCSI target engine without OSGi: targets, portals, sessions and the SCSI core it serves.
 * The Declarative Services components are thin adapters that feed configuration and services in;
 * unit tests drive it directly with in-memory connections.
 *
 * <p>Thread safety: configuration methods may be called from any thread; per-connection work runs
 * on each connection's I/O thread.
 */
public final class IscsiEngine {

    private static final Logger LOG = LoggerFactory.getLogger(IscsiEngine.class);

    private volatile EngineSettings settings;
    private final SecureRandom random;
    private final LongSupplier clock;
    private final SessionTable sessions;
    /** Targets by configuration name. */
    private final Map<String, TargetConfig> targets = new ConcurrentHashMap<>();
    private final Set<PortalBinding> portals = ConcurrentHashMap.newKeySet();
    private final Set<IscsiConnection> connections = ConcurrentHashMap.newKeySet();
    private volatile DeviceServer deviceServer;

    public IscsiEngine(EngineSettings settings, SecureRandom random) {
        this(settings, random, System::nanoTime);
    }

    /** @param clock monotonic nanoseconds (tests pass a manual clock) */
    public IscsiEngine(EngineSettings settings, SecureRandom random, LongSupplier clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.random = Objects.requireNonNull(random, "random");
        this.clock = clock;
        this.sessions = new SessionTable(settings.maxSessions());
    }

    public EngineSettings settings() {
        return settings;
    }

    /** New settings apply to logins and pings from now on; sessions keep what they negotiated. */
    public void updateSettings(EngineSettings updated) {
        this.settings = Objects.requireNonNull(updated, "settings");
    }

    SecureRandom random() {
        return random;
    }

    long nanoTime() {
        return clock.getAsLong();
    }

    SessionTable sessionTable() {
        return sessions;
    }

    // ---------------------------------------------------------------- SCSI core

    public DeviceServer deviceServer() {
        return deviceServer;
    }

    /**
     * Binds or unbinds (null) the SCSI core. Sessions stay; their next command reopens a nexus on
     * the new core, or gets BUSY while there is none (DESIGN.md §3.5).
     */
    public void setDeviceServer(DeviceServer server) {
        this.deviceServer = server;
    }

    // ---------------------------------------------------------------- targets

    /** Adds or replaces the target configured under {@code name}. Sessions of an unchanged IQN stay. */
    public void putTarget(String name, TargetConfig target) {
        TargetConfig old = targets.put(name, target);
        if (old != null && !old.iqn().equals(target.iqn())) {
            endSessionsOf(old.iqn(), "target renamed to " + target.iqn());
        }
    }

    /** Removes a target; its sessions are closed (the initiator recovers by logging in again). */
    public void removeTarget(String name) {
        TargetConfig old = targets.remove(name);
        if (old != null && target(old.iqn()) == null) {
            endSessionsOf(old.iqn(), "target removed");
        }
    }

    private void endSessionsOf(String iqn, String why) {
        for (Session s : sessions.all()) {
            if (!iqn.equals(s.parameters().targetName()) || s.parameters().discovery()) {
                continue;
            }
            IscsiConnection c = s.connection();
            if (c != null) {
                c.closeFromOutside(why);
            } else {
                s.endRetained();
            }
        }
    }

    /**
     * Sends a SCSI asynchronous event to every session logged in to {@code targetIqn} (RFC 7143
     * §11.9.1 event 0). Any thread. Nothing in the SCSI port SPI raises these yet.
     */
    public void scsiAsyncEvent(String targetIqn, long lun, java.nio.ByteBuffer sense) {
        for (Session s : sessions.all()) {
            IscsiConnection c = s.connection();
            if (c != null && targetIqn.equals(s.parameters().targetName())) {
                c.sendScsiAsyncEvent(lun, sense);
            }
        }
    }

    TargetConfig target(String iqn) {
        for (TargetConfig t : targets.values()) {
            if (t.iqn().equals(iqn)) {
                return t;
            }
        }
        return null;
    }

    List<TargetConfig> targets() {
        List<TargetConfig> list = new ArrayList<>(targets.values());
        list.sort(Comparator.comparing(TargetConfig::iqn));
        return list;
    }

    // ---------------------------------------------------------------- portals and connections

    /** The handler a transport gets for {@code portal}'s accepted connections. */
    public ConnectionHandler handler(PortalBinding portal) {
        portals.add(portal);
        return connection -> {
            IscsiConnection c = new IscsiConnection(this, connection, portal);
            portal.connections.add(c);
            connections.add(c);
            LOG.debug("Connection {} accepted on portal {} from {}", connection.id(), portal.name(),
                    connection.remoteAddress());
            return c;
        };
    }

    /** Forgets a portal (it stopped listening); its connections are closed by the caller if needed. */
    public void removePortal(PortalBinding portal) {
        portals.remove(portal);
    }

    void connectionClosed(IscsiConnection c) {
        connections.remove(c);
    }

    /** Session reinstatement (RFC 7143 §6.3.5): the old session of the same nexus ends. */
    void reinstated(Session old) {
        LOG.info("Session {} ({}, ISID {}) reinstated by a new login", old.tsih(), old.parameters().initiatorName(),
                old.isidHex());
        old.retireNexus();
        IscsiConnection c = old.connection();
        if (c != null) {
            c.closeFromOutside("session reinstated");
        } else {
            old.endRetained();
        }
    }

    /** TargetAddress values for SendTargets: every portal, a wildcard one as the address the initiator used. */
    List<String> targetAddresses(InetSocketAddress local) {
        List<String> out = new ArrayList<>();
        for (PortalBinding p : portals) {
            InetSocketAddress a = p.address();
            if (a == null) {
                continue;
            }
            InetAddress host = a.getAddress();
            if (host == null || host.isAnyLocalAddress()) {
                host = local == null ? null : local.getAddress();
            }
            if (host == null) {
                continue;
            }
            String h = host.getHostAddress();
            if (host instanceof Inet6Address) {
                int zone = h.indexOf('%');
                h = "[" + (zone >= 0 ? h.substring(0, zone) : h) + "]";
            }
            out.add(h + ":" + a.getPort() + "," + p.portalGroupTag());
        }
        out.sort(null);
        return out;
    }

    /** Pings idle connections and closes dead ones (RFC 7143 §11.19); call periodically from any thread. */
    public void sweepIdle() {
        for (IscsiConnection c : connections) {
            c.runOnIo(() -> c.checkIdle(nanoTime()), null);
        }
        long now = nanoTime();
        for (Session s : sessions.all()) {
            s.expireIfDue(now);
        }
    }

    /** Closes every connection (engine shutdown). */
    public void closeAll(String why) {
        for (IscsiConnection c : connections) {
            c.closeFromOutside(why);
        }
    }

    public int connectionCount() {
        return connections.size();
    }

    /** A snapshot of the live connections (the hand-over picks those of one transport). */
    List<IscsiConnection> liveConnections() {
        return new ArrayList<>(connections);
    }

    // ---------------------------------------------------------------- management view

    public List<TargetInfo> targetInfos() {
        List<TargetInfo> out = new ArrayList<>();
        List<Session> all = sessions.all();
        targets.forEach((name, t) -> {
            int n = (int) all.stream().filter(s -> t.iqn().equals(s.parameters().targetName())
                    && !s.parameters().discovery()).count();
            out.add(new TargetInfo(name, t.iqn(), t.alias() == null ? "" : t.alias(),
                    t.auth().chapRequired() ? "chap" : "none", n));
        });
        out.sort(Comparator.comparing(TargetInfo::iqn));
        return out;
    }

    public List<SessionInfo> sessionInfos() {
        List<SessionInfo> out = new ArrayList<>();
        for (Session s : sessions.all()) {
            IscsiConnection c = s.connection();
            var p = s.parameters();
            out.add(new SessionInfo(s.tsih(), p.initiatorName(), s.isidHex(),
                    p.discovery() || p.targetName() == null ? "" : p.targetName(), c == null ? 0 : 1,
                    c == null ? "" : c.transportConnection().transportKind(),
                    c == null ? "" : hostAndPort(c.transportConnection().remoteAddress()), p.asMap()));
        }
        out.sort(Comparator.comparingInt(SessionInfo::tsih));
        return out;
    }

    /** {@code 127.0.0.1:51234} or {@code [::1]:51234}: InetSocketAddress.toString() adds a "/" and maybe a host name. */
    static String hostAndPort(java.net.InetSocketAddress a) {
        if (a == null) {
            return "";
        }
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
