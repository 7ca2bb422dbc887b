package dev.lunar.spi.transport;

import dev.lunar.spi.buffer.BufferAllocator;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * One transport connection, carrying whole PDUs. Implemented by transports; used by the iscsi
 * bundle, which owns the session the connection belongs to.
 *
 * <p>Threading: every connection has one I/O thread. PDUs arrive on it, callbacks run on it, and
 * {@link #executor()} runs tasks on it in order. All methods may be called from any thread unless
 * said otherwise, and none blocks.
 */
@ConsumerType
public interface Connection {

    /** A short identifier unique within this JVM, for logs and the shell. */
    String id();

    /** The kind of the transport currently carrying this connection (e.g. {@code "tcp"}). */
    String transportKind();

    InetSocketAddress localAddress();

    InetSocketAddress remoteAddress();

    /**
     * Queues a PDU for sending; it goes out in queue order on the next {@link #flush()} (or when
     * the transport's buffer fills). Takes ownership of {@code pdu}. {@code done} (may be
     * {@code null}) runs exactly once, on the I/O thread, when the bytes have left or the send
     * failed; the PDU's data is released by then.
     */
    void send(Pdu pdu, SendCallback done);

    /** Pushes queued PDUs to the wire. */
    void flush();

    /** Sends and flushes. */
    default void sendAndFlush(Pdu pdu, SendCallback done) {
        send(pdu, done);
        flush();
    }

    /** Applies negotiated settings; takes effect at the next PDU boundary in each direction. */
    void configure(ConnectionSettings settings);

    ConnectionSettings settings();

    /** Allocates task data buffers suited to this connection (registered memory for RDMA). */
    BufferAllocator allocator();

    /** Runs tasks on this connection's I/O thread, in submission order. */
    Executor executor();

    /** Whether the caller is on this connection's I/O thread. */
    boolean inIoThread();

    /**
     * Stops or resumes reading from the wire: flow control towards an initiator that sends
     * faster than the session can absorb. Reading starts enabled.
     */
    void setReading(boolean reading);

    /**
     * Closes the connection. PDUs already queued are flushed first when {@code graceful};
     * {@link ConnectionListener#closed} follows. Idempotent.
     */
    void close(boolean graceful);

    /**
     * Quiesces the connection at a PDU boundary and hands it over (DESIGN.md §3.5): stops reading
     * after the current PDU, waits until every queued send has completed, then releases the
     * endpoint without closing it. After completion this object is dead and no listener call
     * follows. Completes exceptionally when the transport cannot detach (then the connection is
     * unchanged).
     */
    CompletionStage<DetachedConnection> detach();
}
