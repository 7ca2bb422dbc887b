package dev.lunar.examples.vendortcp.internal;

import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionHandler;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Portal;
import dev.lunar.spi.transport.Transport;
import dev.lunar.spi.transport.TransportLimits;
import dev.lunar.transport.tcp.internal.TcpTransportLifecycle;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example vendor transport: kind {@value #KIND}, wire {@value #WIRE}. What a vendor writes is
 * this class's shape: one DS component that registers {@link Transport} with the
 * {@link Transport#KIND} and {@link Transport#WIRE} service properties, built against the
 * {@code dev.lunar.spi.transport} and {@code dev.lunar.spi.buffer} packages only. A portal whose
 * {@code transport} key names the kind binds to it as soon as it is registered, and waits when it
 * goes away (the iscsi bundle's PortalComponent).
 *
 * <p>A real vendor implements {@code listen}, {@code adopt} and {@link Connection} on its own
 * hardware or library. This example instead runs a private copy of transport-tcp's engine (its
 * package is embedded in this bundle at build time) and relabels the engine's connections with
 * this kind, so the engine code is shared, not copied, and the example passes the same contract
 * tests as transport-tcp (STYLE.md rule 13).
 *
 * <p>Connections: accepted ones and adopted ones (a live move from {@code tcp}, DESIGN.md §3.5)
 * report {@value #KIND}; {@link Connection#detach()} yields the engine's {@code tcp}-wire detached
 * connection, which transport-tcp can adopt back.
 */
@Component(
        service = Transport.class,
        configurationPid = VendorTcpTransport.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = {Transport.KIND + "=" + VendorTcpTransport.KIND, Transport.WIRE + "=" + VendorTcpTransport.WIRE})
@Designate(ocd = VendorTcpTransport.Config.class)
public final class VendorTcpTransport implements Transport {

    static final String PID = "dev.lunar.examples.vendortcp";
    static final String KIND = "vendor-tcp";
    static final String WIRE = "tcp";

    private static final Logger LOG = LoggerFactory.getLogger(VendorTcpTransport.class);

    @ObjectClassDefinition(name = "Lunar example vendor transport (vendor-tcp)",
            description = "An example third-party transport: iSCSI over TCP on an embedded copy of the TCP engine")
    public @interface Config {
        @AttributeDefinition(description = "I/O threads (event loops) of this transport's own engine;"
                + " 0 = one per available core. Takes effect when the transport restarts.")
        int ioThreads() default 0;

        @AttributeDefinition(description = "Use native epoll when Netty's JNI library is installed."
                + " Takes effect when the transport restarts.")
        boolean nativeEpoll() default true;

        @AttributeDefinition(description = "Largest data segment received (offered to login as"
                + " MaxRecvDataSegmentLength), 512..16777215.")
        int maxRecvDataSegmentLength() default 262144;

        @AttributeDefinition(description = "Memory budget for task data buffers, in MiB."
                + " Takes effect when the transport restarts.")
        int bufferMemoryMiB() default 1024;
    }

    private final Transport engine;

    @Activate
    public VendorTcpTransport(Config config) {
        this(settingsOf(config));
    }

    VendorTcpTransport(TcpTransportLifecycle.Settings settings) {
        this.engine = TcpTransportLifecycle.activate(settings);
        LOG.info("Transport {} (wire {}) started on an embedded TCP engine", KIND, WIRE);
    }

    private static TcpTransportLifecycle.Settings settingsOf(Config c) {
        return new TcpTransportLifecycle.Settings(c.ioThreads(), c.nativeEpoll(), c.maxRecvDataSegmentLength(),
                c.bufferMemoryMiB());
    }

    /** Live settings change without touching connections (STYLE.md rule 8). */
    @Modified
    void modified(Config config) {
        TcpTransportLifecycle.modified(engine, settingsOf(config));
    }

    /**
     * Bounded and idempotent (the engine's deactivate). By the time DS calls this the service is
     * unregistered, so the iscsi bundle has already closed or detached this transport's
     * connections and its portals are WAITING.
     */
    @Deactivate
    void deactivate() {
        TcpTransportLifecycle.deactivate(engine);
        LOG.info("Transport {} stopped", KIND);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String wire() {
        return WIRE;
    }

    @Override
    public TransportLimits limits() {
        return engine.limits();
    }

    /** As {@link Transport#listen}: management thread, may block while binding. */
    @Override
    public Portal listen(InetSocketAddress address, ConnectionHandler handler) throws IOException {
        return engine.listen(address, engineConnection -> {
            // On the new connection's I/O thread, before any PDU: the handler sees only the relabelled connection.
            VendorConnection connection = new VendorConnection(engineConnection, KIND);
            ConnectionListener listener = handler.accepted(connection);
            return listener == null ? null : new RelabellingListener(listener, connection);
        });
    }

    /**
     * As {@link Transport#adopt}: any thread, may block briefly; reading resumes before this
     * returns, so the listener may already have been called (with the same relabelled connection
     * this returns).
     */
    @Override
    public Connection adopt(DetachedConnection detached, ConnectionListener listener) throws IOException {
        RelabellingListener relabelling = new RelabellingListener(listener, KIND);
        return relabelling.relabel(engine.adopt(detached, relabelling));
    }

    @Override
    public String toString() {
        return "VendorTcpTransport[" + KIND + "]";
    }
}
