package dev.lunar.iscsi.internal;

import dev.lunar.spi.transport.Transport;
import dev.lunar.spi.transport.TransportLimits;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One listening portal as the engine sees it: where it listens, which portal group it belongs to,
 * what its transport can do, and the connections accepted through it. When the transport goes
 * away, those connections are handed over (ConnectionHandover), not closed.
 */
public final class PortalBinding {

    private final String name;
    private final int portalGroupTag;
    private final TransportLimits limits;
    /** The transport service listening for this portal; null when unknown (tests). */
    private final Transport transport;
    private volatile InetSocketAddress address;
    final Set<IscsiConnection> connections = ConcurrentHashMap.newKeySet();

    public PortalBinding(String name, InetSocketAddress address, int portalGroupTag, TransportLimits limits) {
        this(name, address, portalGroupTag, limits, null);
    }

    /** @param transport the transport service that listens for this portal and carries its connections */
    public PortalBinding(String name, InetSocketAddress address, int portalGroupTag, TransportLimits limits,
            Transport transport) {
        this.name = name;
        this.address = address;
        this.portalGroupTag = portalGroupTag;
        this.limits = limits;
        this.transport = transport;
    }

    /** The transport service that accepted this portal's connections (null when unknown). */
    public Transport transport() {
        return transport;
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

    /**
     * Takes over the connections of the binding this portal had before it re-listened (its
     * transport was replaced, or its address changed): they stay the portal's, so removing the
     * portal closes them too.
     */
    public void inheritConnections(PortalBinding previous) {
        if (previous == null || previous == this) {
            return;
        }
        for (IscsiConnection c : previous.connections) {
            c.portalMoved(this);
            connections.add(c);
            previous.connections.remove(c);
            if (c.phase() == IscsiConnection.Phase.CLOSED) {
                // Closed while moving: it removed itself from one of the two sets only.
                connections.remove(c);
            }
        }
    }

    /** Closes every connection accepted through this portal (its transport went away). */
    public void closeConnections(String why) {
        for (IscsiConnection c : connections) {
            c.closeFromOutside(why);
        }
    }
}
