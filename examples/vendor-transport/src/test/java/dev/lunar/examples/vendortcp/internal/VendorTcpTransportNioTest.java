package dev.lunar.examples.vendortcp.internal;

import dev.lunar.spi.transport.Transport;
import dev.lunar.testkit.transport.TransportContractTest;
import dev.lunar.transport.tcp.internal.TcpTransportLifecycle;

/** The shared transport contract (STYLE.md rule 13) for vendor-tcp on JDK NIO. */
class VendorTcpTransportNioTest extends TransportContractTest {

    @Override
    protected Transport createTransport() {
        return new VendorTcpTransport(new TcpTransportLifecycle.Settings(1, false, 262144, 64));
    }

    @Override
    protected void destroyTransport(Transport transport) {
        ((VendorTcpTransport) transport).deactivate();
    }
}
