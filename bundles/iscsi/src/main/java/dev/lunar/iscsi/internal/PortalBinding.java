package dev.lunar.iscsi.internal;

import dev.lunar.spi.transport.TransportLimits;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One listening portal as the engine sees it: where it listens, which portal group it belongs to,
 * what its transport can do, and the connections accepted through it (closed when the transport
 * goes away).
 */
public final class PortalBinding {

    private final String name;
    private final int portalGroupTag;
    private final TransportLimits limits;
    private volatile InetSocketAddress address;
    final Set<IscsiConnection> connections = ConcurrentHashMap.newKeySet();

    public PortalBinding(String name, InetSocketAddress address, int portalGroupTag, TransportLimits limits) {
        this.name = name;
        this.address = address;
        this.portalGroupTag = portalGroupTag;
        this.limits = limits;
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** Records the bound address once the transport listens (the real port when 0 was asked). */
    public void boundTo(InetSocketAddress bound) {
        this.address = bound;
    }

    public int portalGroupTag() {
        return portalGroupTag;
    }

    public TransportLimits limits() {
        return limits;
    }

    /** Number of live connections accepted through this portal. */
    public int connectionCount() {
        return connections.size();
    }

    /** Closes every connection accepted through this portal (its transport went away). */
    public void closeConnections(String why) {
        for (IscsiConnection c : connections) {
            c.closeFromOutside(why);
        }
    }
}
