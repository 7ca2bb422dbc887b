package dev.lunar.examples.vendortcp.internal;

import dev.lunar.spi.buffer.BufferAllocator;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.SendCallback;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A connection of the embedded TCP engine as the iscsi bundle sees it: the engine's connection in
 * every respect except {@link #transportKind()}, which names this transport (without it sessions
 * on a {@code vendor-tcp} portal would be listed, and moved, as {@code tcp}), and {@link #id()}.
 *
 * <p>Threading, blocking and ownership are the engine connection's, unchanged: every call is
 * forwarded as is. This forwards the methods of {@code dev.lunar.spi.transport} 1.0; a default
 * method the SPI gains later must be forwarded here too, or it silently runs its default.
 */
final class VendorConnection implements Connection {

    /** Prefixed to the engine's connection ids: see {@link #id()}. */
    static final String ID_PREFIX = "vendor-";

    private final Connection engineConnection;
    private final String kind;
    private final String id;

    VendorConnection(Connection engineConnection, String kind) {
        this.engineConnection = engineConnection;
        this.kind = kind;
        this.id = ID_PREFIX + engineConnection.id();
    }

    /** The engine's own connection object (tests). */
    Connection engineConnection() {
        return engineConnection;
    }

    /**
     * The engine's id ({@code tcp-N}) prefixed with {@value #ID_PREFIX}: the engine counts its ids
     * per copy of its code, and transport-tcp's own copy hands out the same {@code tcp-N} values,
     * so without the prefix two live connections in one JVM could share an id. The engine's log
     * lines name the unprefixed id.
     */
    @Override
    public String id() {
        return id;
    }

    @Override
    public String transportKind() {
        return kind;
    }

    @Override
    public InetSocketAddress localAddress() {
        return engineConnection.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return engineConnection.remoteAddress();
    }

    @Override
    public void send(Pdu pdu, SendCallback done) {
        engineConnection.send(pdu, done);
    }

    @Override
    public void flush() {
        engineConnection.flush();
    }

    @Override
    public void sendAndFlush(Pdu pdu, SendCallback done) {
        engineConnection.sendAndFlush(pdu, done);
    }

    @Override
    public void configure(ConnectionSettings settings) {
        engineConnection.configure(settings);
    }

    @Override
    public ConnectionSettings settings() {
        return engineConnection.settings();
    }

    @Override
    public BufferAllocator allocator() {
        return engineConnection.allocator();
    }

    @Override
    public Executor executor() {
        return engineConnection.executor();
    }

    @Override
    public boolean inIoThread() {
        return engineConnection.inIoThread();
    }

    @Override
    public void setReading(boolean reading) {
        engineConnection.setReading(reading);
    }

    @Override
    public void close(boolean graceful) {
        engineConnection.close(graceful);
    }

    /** The detached connection is the engine's: wire {@code tcp}, adoptable by any TCP-wire transport. */
    @Override
    public CompletionStage<DetachedConnection> detach() {
        return engineConnection.detach();
    }

    @Override
    public String toString() {
        return id + " (" + kind + ", " + engineConnection.remoteAddress() + ")";
    }
}
