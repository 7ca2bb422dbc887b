package dev.lunar.examples.vendortcp.internal;

import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.Pdu;

/**
 * Stands between the embedded engine and the iscsi bundle's listener for one connection: the
 * engine calls back with its own connection object, the listener always receives the one
 * {@link VendorConnection} it was given (or, after an adoption, the one {@code adopt} returns), so
 * it can keep identifying the connection by identity.
 *
 * <p>Every callback runs on the connection's I/O thread (the engine's contract) and is forwarded
 * on it without blocking; ownership of a PDU passes straight through.
 */
final class RelabellingListener implements ConnectionListener {

    private final ConnectionListener listener;
    private final String kind;
    /**
     * Set at accept time, or for an adopted connection by whichever comes first: the first
     * callback (on the I/O thread, possibly before {@code adopt} returns) or {@code adopt}'s return.
     */
    private volatile VendorConnection connection;

    /** For an accepted connection: the relabelled connection already exists. */
    RelabellingListener(ConnectionListener listener, VendorConnection connection) {
        this.listener = listener;
        this.kind = connection.transportKind();
        this.connection = connection;
    }

    /** For an adopted connection: the relabelled connection is made on first sight of the engine's. */
    RelabellingListener(ConnectionListener listener, String kind) {
        this.listener = listener;
        this.kind = kind;
    }

    /** The one relabelled connection for {@code engineConnection}; may be called from any thread. */
    VendorConnection relabel(Connection engineConnection) {
        VendorConnection c = connection;
        if (c == null) {
            synchronized (this) {
                c = connection;
                if (c == null) {
                    c = new VendorConnection(engineConnection, kind);
                    connection = c;
                }
            }
        }
        return c;
    }

    @Override
    public void pduReceived(Connection engineConnection, Pdu pdu) {
        listener.pduReceived(relabel(engineConnection), pdu);
    }

    @Override
    public void closed(Connection engineConnection, Throwable cause) {
        listener.closed(relabel(engineConnection), cause);
    }

    @Override
    public void writabilityChanged(Connection engineConnection, boolean writable) {
        listener.writabilityChanged(relabel(engineConnection), writable);
    }
}
