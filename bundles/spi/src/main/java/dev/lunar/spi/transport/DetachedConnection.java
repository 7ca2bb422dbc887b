package dev.lunar.spi.transport;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A live connection between owners (DESIGN.md §3.5): the OS-level endpoint, the bytes read from
 * it that no PDU has consumed yet, and its framing settings. Expressed in JDK types only so that
 * any transport of the same {@link #wire()} can adopt it.
 */
@ConsumerType
public interface DetachedConnection {

    /** The wire this connection speaks, e.g. {@code "tcp"}; only a transport of the same wire adopts it. */
    String wire();

    ConnectionSettings settings();

    /** Bytes received but not yet framed into a PDU (read-only; may be empty). */
    ByteBuffer unread();

    /**
     * The endpoint as the given JDK type, if this connection can be expressed that way (for TCP:
     * {@code java.nio.channels.SocketChannel}, or {@code Integer} for a raw file descriptor).
     */
    <T> Optional<T> endpoint(Class<T> type);

    /** Closes the endpoint; for a detached connection nobody adopts. Idempotent. */
    void close();
}
