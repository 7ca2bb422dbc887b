package dev.lunar.transport.tcp.internal;

import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * NIO channels that expose the JDK {@link SocketChannel} underneath, which Netty keeps
 * protected: a detached connection hands that object to the next owner (DESIGN.md §3.5).
 */
final class DetachableNioChannels {

    private DetachableNioChannels() {
    }

    /** Accepts connections as {@link Socket}s instead of plain {@code NioSocketChannel}s. */
    static final class Server extends NioServerSocketChannel {
        @Override
        protected int doReadMessages(List<Object> buf) throws Exception {
            SocketChannel accepted = javaChannel().accept();
            if (accepted == null) {
                return 0;
            }
            try {
                buf.add(new Socket(this, accepted));
                return 1;
            } catch (RuntimeException e) {
                accepted.close();
                throw e;
            }
        }
    }

    /** A NIO socket channel whose JDK channel can be handed over after deregistration. */
    static final class Socket extends NioSocketChannel {
        Socket(Channel parent, SocketChannel socket) {
            super(parent, socket);
        }

        /** The JDK channel; still open after {@code deregister()}. */
        SocketChannel socketChannel() {
            return javaChannel();
        }
    }
}
