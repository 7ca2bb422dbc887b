package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.transport.Transport;
import dev.lunar.testkit.transport.TransportContractTest;

/** The transport contract on JDK NIO. */
class TcpTransportNioTest extends TransportContractTest {

    @Override
    protected Transport createTransport() {
        return new TcpTransport(new TcpTransport.Options(1, false, 262144, 64L << 20));
    }

    @Override
    protected void destroyTransport(Transport transport) {
        ((TcpTransport) transport).deactivate();
    }
}
