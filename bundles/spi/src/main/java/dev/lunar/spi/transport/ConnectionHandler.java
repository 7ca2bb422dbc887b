package dev.lunar.spi.transport;

import org.osgi.annotation.versioning.ProviderType;

/** Takes connections accepted on a portal. Implemented by the iscsi bundle. */
@ProviderType
@FunctionalInterface
public interface ConnectionHandler {

    /**
     * A connection was accepted. Called on the new connection's I/O thread before any PDU is
     * delivered; must not block. The settings are {@link ConnectionSettings#LOGIN} until the
     * listener changes them.
     *
     * @return who receives the connection's PDUs
     */
    ConnectionListener accepted(Connection connection);
}
