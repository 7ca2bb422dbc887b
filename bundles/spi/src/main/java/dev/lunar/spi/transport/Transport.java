package dev.lunar.spi.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A way to carry iSCSI PDUs: TCP, TCP offload, RDMA. Registered as an OSGi service with the
 * {@link #KIND} and {@link #WIRE} properties; the iscsi bundle binds portals to transports by kind.
 * Modelled on FreeBSD ICL: everything above this interface is the same for every transport.
 */
@ConsumerType
public interface Transport {

    /** Service property: the transport kind portals refer to, e.g. {@code "tcp"}. */
    String KIND = "lunar.transport.kind";

    /** Service property: the wire protocol, {@code "tcp"} or {@code "rdma"}; moves need equal wires. */
    String WIRE = "lunar.transport.wire";

    String kind();

    String wire();

    TransportLimits limits();

    /**
     * Starts listening. Called from a management thread, never an I/O thread; may block while
     * binding.
     *
     * @throws IOException with a message naming the address when it cannot be bound
     */
    Portal listen(InetSocketAddress address, ConnectionHandler handler) throws IOException;

    /**
     * Takes over a connection detached from a transport of the same wire, with its unread bytes;
     * reading resumes before this returns. Called from any thread; may block briefly.
     *
     * @throws IOException when the endpoint cannot be adopted (then it is closed)
     */
    Connection adopt(DetachedConnection detached, ConnectionListener listener) throws IOException;
}
