package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.transport.Portal;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A bound listening socket; closing it leaves accepted connections alone. */
final class TcpPortal implements Portal {

    private static final Logger LOG = LoggerFactory.getLogger(TcpPortal.class);

    private final TcpTransport transport;
    private final Channel serverChannel;
    private final InetSocketAddress address;

    TcpPortal(TcpTransport transport, Channel serverChannel) {
        this.transport = transport;
        this.serverChannel = serverChannel;
        this.address = (InetSocketAddress) serverChannel.localAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return address;
    }

    @Override
    public void close() {
        if (serverChannel.isOpen()) {
            boolean closed = serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
            if (!closed) {
                LOG.warn("Portal {} did not close within 5 s", address);
            } else {
                LOG.info("Portal {} closed", address);
            }
        }
        transport.forget(this);
    }

    @Override
    public String toString() {
        return "TcpPortal[" + address + "]";
    }
}
