package dev.lunar.spi.transport;

import java.net.InetSocketAddress;
import org.osgi.annotation.versioning.ConsumerType;

/** A listening endpoint opened by {@link Transport#listen}; implemented by transports. */
@ConsumerType
public interface Portal extends AutoCloseable {

    /** The bound address (with the real port when 0 was asked for). */
    InetSocketAddress localAddress();

    /** Stops accepting; connections already accepted stay up. Idempotent; may block briefly. */
    @Override
    void close();
}
