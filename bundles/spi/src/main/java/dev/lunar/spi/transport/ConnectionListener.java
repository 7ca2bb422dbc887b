package dev.lunar.spi.transport;

import org.osgi.annotation.versioning.ProviderType;

/** Receives what arrives on one connection. Implemented by the iscsi bundle. */
@ProviderType
public interface ConnectionListener {

    /**
     * A whole PDU arrived. Called on the connection's I/O thread, in wire order; must not block;
     * takes ownership of {@code pdu}.
     */
    void pduReceived(Connection connection, Pdu pdu);

    /**
     * The connection is gone: closed by the peer, by {@link Connection#close()}, or because of a
     * framing error or a header digest error (then {@code cause} says which). Called exactly once,
     * on the I/O thread; no PDU follows it. Not called for a connection that was detached.
     */
    void closed(Connection connection, Throwable cause);

    /**
     * The transport's send queue crossed its high (false) or low (true) water mark. A listener
     * that produces data (Data-In, R2T) should pause while the connection is not writable, so a
     * slow initiator never makes the target buffer without bound. Called on the I/O thread; must
     * not block. The default ignores it.
     */
    default void writabilityChanged(Connection connection, boolean writable) {
    }
}
