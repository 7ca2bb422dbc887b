package dev.lunar.transport.tcp.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lunar.spi.transport.Transport;
import dev.lunar.testkit.transport.TransportContractTest;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.BeforeAll;

/** The transport contract on native epoll (skipped where Netty's JNI library does not load). */
class TcpTransportEpollTest extends TransportContractTest {

    @BeforeAll
    static void requireEpoll() {
        assumeTrue(Epoll.isAvailable(), () -> "native epoll unavailable: " + Epoll.unavailabilityCause());
    }

    @Override
    protected Transport createTransport() {
        TcpTransport t = new TcpTransport(new TcpTransport.Options(2, true, 262144, 64L << 20));
        if (t.mode() != IoMode.EPOLL) {
            t.deactivate();
            throw new AssertionError("asked for epoll, got " + t.mode().name());
        }
        return t;
    }

    @Override
    protected void destroyTransport(Transport transport) {
        ((TcpTransport) transport).deactivate();
    }
}
