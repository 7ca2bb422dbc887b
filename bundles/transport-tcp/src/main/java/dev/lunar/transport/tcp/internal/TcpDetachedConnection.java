package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.DetachedConnection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A TCP socket between owners: the epoll descriptor or the NIO channel, plus unread bytes. */
final class TcpDetachedConnection implements DetachedConnection {

    private static final Logger LOG = LoggerFactory.getLogger(TcpDetachedConnection.class);

    private final String id;
    private final IoMode mode;
    private final Object endpoint;
    private final ConnectionSettings settings;
    private final ByteBuffer unread;
    /** Prepared while this bundle revision is live (see IoMode#endpointCloser). */
    private final java.io.Closeable closer;
    /** Set once the endpoint has a new owner (adopted) or is closed; then close() must not touch it. */
    private final AtomicBoolean released = new AtomicBoolean();

    TcpDetachedConnection(String id, IoMode mode, Object endpoint, ConnectionSettings settings, ByteBuffer unread) {
        this.id = id;
        this.mode = mode;
        this.endpoint = endpoint;
        this.settings = settings;
        this.unread = unread.asReadOnlyBuffer();
        this.closer = mode.endpointCloser(endpoint);
    }

    @Override
    public String wire() {
        return TcpTransport.WIRE_TCP;
    }

    @Override
    public ConnectionSettings settings() {
        return settings;
    }

    @Override
    public ByteBuffer unread() {
        return unread.duplicate();
    }

    /**
     * The endpoint as {@code type}; or, for {@code Runnable.class}, the {@link #ADOPTED_HOOK
     * adopted hook}. Any thread; does not block.
     */
    @Override
    public <T> Optional<T> endpoint(Class<T> type) {
        if (type == ADOPTED_HOOK) {
            return Optional.of(type.cast(adoptedHook));
        }
        return type.isInstance(endpoint) ? Optional.of(type.cast(endpoint)) : Optional.empty();
    }

    /**
     * The JDK type under which {@link #endpoint(Class)} hands an adopter a hook to run once it
     * owns the endpoint; from then {@link #close()} leaves the endpoint alone. A JDK type because
     * the adopter may be another bundle, or another revision of this one after
     * {@code bundle:update}, whose {@code TcpDetachedConnection} is a different class: an
     * {@code instanceof} test would fail there and a later close() would cut the live socket.
     */
    static final Class<Runnable> ADOPTED_HOOK = Runnable.class;

    private final Runnable adoptedHook = this::markAdopted;

    /** Marks the endpoint as owned by an adopter; a later {@link #close()} leaves it alone. */
    boolean markAdopted() {
        return released.compareAndSet(false, true);
    }

    /**
     * Marks {@code detached} adopted through its hook, whichever class loader made it: any
     * {@code DetachedConnection} that offers a {@code Runnable} endpoint gets it run once.
     */
    static void markAdopted(DetachedConnection detached) {
        detached.endpoint(ADOPTED_HOOK).ifPresent(Runnable::run);
    }

    @Override
    public void close() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        try {
            closer.close();
            LOG.info("Detached connection {} closed without an adopter", id);
        } catch (IOException e) {
            LOG.warn("Closing detached connection {} failed: {}", id, e.toString());
        }
    }

    @Override
    public String toString() {
        return "TcpDetachedConnection[" + id + ", " + mode.name() + ", unread=" + unread.remaining() + "]";
    }
}
