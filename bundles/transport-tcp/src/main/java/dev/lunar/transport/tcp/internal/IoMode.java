package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.transport.DetachedConnection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * The two socket implementations the TCP transport runs on: native epoll (Linux, when Netty's JNI
 * fragment is installed) and JDK NIO everywhere else. Each knows how to express a live socket as a
 * JDK-typed endpoint and how to take one back (DESIGN.md §3.5): epoll as the file descriptor
 * ({@code Integer}), NIO as the {@link SocketChannel}.
 */
abstract class IoMode {

    static final IoMode NIO = new Nio();
    static final IoMode EPOLL = new Native();

    /** Epoll when asked for and available, else NIO. */
    static IoMode select(boolean preferNative) {
        return preferNative && Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** Why native epoll is not available, or {@code null} when it is. */
    static Throwable nativeUnavailabilityCause() {
        return Epoll.unavailabilityCause();
    }

    abstract String name();

    abstract IoHandlerFactory ioHandlerFactory();

    abstract ChannelFactory<? extends ServerChannel> serverChannelFactory();

    /** Describes the (deregistered, still open) socket of {@code channel} as an endpoint object. */
    abstract Object endpoint(Channel channel);

    /**
     * What closes a detached endpoint nobody adopted, prepared now. A detached connection may
     * outlive the bundle revision that detached it ({@code bundle:update}); preparing the closer while the
     * revision is live means closing it after the update needs no class loading from a revision
     * that is gone (where that would fail, the socket would leak).
     */
    abstract java.io.Closeable endpointCloser(Object endpoint);

    /**
     * A new, unregistered channel over the endpoint of {@code detached}.
     *
     * @throws IOException when the endpoint is not expressed in a type this mode can adopt
     */
    abstract Channel adopt(DetachedConnection detached) throws IOException;

    private static final class Nio extends IoMode {
        @Override
        String name() {
            return "nio";
        }

        @Override
        IoHandlerFactory ioHandlerFactory() {
            return NioIoHandler.newFactory();
        }

        @Override
        ChannelFactory<? extends ServerChannel> serverChannelFactory() {
            return DetachableNioChannels.Server::new;
        }

        @Override
        Object endpoint(Channel channel) {
            return ((DetachableNioChannels.Socket) channel).socketChannel();
        }

        @Override
        java.io.Closeable endpointCloser(Object endpoint) {
            return (SocketChannel) endpoint;
        }

        @Override
        Channel adopt(DetachedConnection detached) throws IOException {
            Optional<SocketChannel> socket = detached.endpoint(SocketChannel.class);
            if (socket.isEmpty()) {
                throw new IOException("the NIO TCP transport adopts only a java.nio.channels.SocketChannel endpoint"
                        + " (a native file descriptor needs the epoll mode)");
            }
            if (!socket.get().isOpen() || !socket.get().isConnected()) {
                throw new IOException("the detached socket is no longer connected");
            }
            return new DetachableNioChannels.Socket(null, socket.get());
        }
    }

    private static final class Native extends IoMode {
        @Override
        String name() {
            return "epoll";
        }

        @Override
        IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }

        @Override
        ChannelFactory<? extends ServerChannel> serverChannelFactory() {
            return EpollServerSocketChannel::new;
        }

        @Override
        Object endpoint(Channel channel) {
            return ((EpollSocketChannel) channel).fd().intValue();
        }

        @Override
        java.io.Closeable endpointCloser(Object endpoint) {
            // A FileDescriptor does not close its descriptor when collected: holding one is safe.
            FileDescriptor fd = new FileDescriptor((Integer) endpoint);
            return fd::close;
        }

        @Override
        Channel adopt(DetachedConnection detached) throws IOException {
            Optional<Integer> fd = detached.endpoint(Integer.class);
            if (fd.isEmpty()) {
                throw new IOException("the epoll TCP transport adopts only a file descriptor (Integer) endpoint"
                        + " (a java.nio SocketChannel needs the NIO mode)");
            }
            return new EpollSocketChannel(fd.get());
        }
    }
}
