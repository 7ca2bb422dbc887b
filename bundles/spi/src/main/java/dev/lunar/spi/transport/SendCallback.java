package dev.lunar.spi.transport;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Learns when a sent PDU has really left: for a copying send, when the bytes were written to the
 * socket; for a zero-copy send, when the kernel or NIC reports that it no longer reads the memory.
 * Runs exactly once per send, on the connection's I/O thread; must not block.
 */
@ProviderType
@FunctionalInterface
public interface SendCallback {

    /** @param failure {@code null} on success, otherwise why the PDU was not sent */
    void sent(Throwable failure);
}
