package dev.lunar.examples.vendortcp.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lunar.spi.transport.Transport;
import dev.lunar.testkit.transport.TransportContractTest;
import dev.lunar.transport.tcp.internal.TcpTransportLifecycle;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The shared transport contract for vendor-tcp on native epoll, the mode it runs in on Lunar's
 * Linux distribution (skipped where Netty's JNI library does not load).
 */
class VendorTcpTransportEpollTest extends TransportContractTest {

    @BeforeAll
    static void requireEpoll() {
        assumeTrue(Epoll.isAvailable(), () -> "native epoll unavailable: " + Epoll.unavailabilityCause());
    }

    @Override
    protected Transport createTransport() {
        return new VendorTcpTransport(new TcpTransportLifecycle.Settings(2, true, 262144, 64));
    }

    @Override
    protected void destroyTransport(Transport transport) {
        ((VendorTcpTransport) transport).deactivate();
    }
}
