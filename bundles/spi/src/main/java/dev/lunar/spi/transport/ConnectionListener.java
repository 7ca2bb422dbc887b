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
}
