package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.buffer.BufferAllocator;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionHandler;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Portal;
import dev.lunar.spi.transport.Transport;
import dev.lunar.spi.transport.TransportLimits;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * iSCSI over TCP on Netty 4.2: native epoll where available, JDK NIO otherwise. One event loop
 * group serves portals and connections; each connection lives on one event loop (its I/O thread)
 * for its whole life, so its state needs no locks.
 */
@Component(
        service = Transport.class,
        configurationPid = TcpTransport.PID,
        configurationPolicy = ConfigurationPolicy.OPTIONAL,
        property = {Transport.KIND + "=" + TcpTransport.KIND_TCP, Transport.WIRE + "=" + TcpTransport.WIRE_TCP})
@Designate(ocd = TcpTransport.Config.class)
public final class TcpTransport implements Transport {

    static final String PID = "dev.lunar.transport.tcp";
    static final String KIND_TCP = "tcp";
    static final String WIRE_TCP = "tcp";
    /** RFC 7143 §13.12/§13.13: 2^24 - 1, the largest DataSegmentLength and burst. */
    static final int MAX_RFC_LENGTH = (1 << 24) - 1;

    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);

    @ObjectClassDefinition(name = "Lunar TCP transport",
            description = "iSCSI over TCP (Netty; native epoll on Linux, NIO elsewhere)")
    public @interface Config {
        @AttributeDefinition(description = "I/O threads (event loops); 0 = one per available core."
                + " Takes effect when the transport restarts.")
        int ioThreads() default 0;

        @AttributeDefinition(description = "Use native epoll when Netty's JNI library is installed."
                + " Takes effect when the transport restarts.")
        boolean nativeEpoll() default true;

        @AttributeDefinition(description = "Largest data segment this transport receives (offered to login"
                + " negotiation as MaxRecvDataSegmentLength), 512..16777215.")
        int maxRecvDataSegmentLength() default 262144;

        @AttributeDefinition(description = "Memory budget for task data buffers handed out by connections, in MiB.")
        int bufferMemoryMiB() default 1024;
    }

    /** The configuration in plain values (tests build one without an annotation instance). */
    record Options(int ioThreads, boolean nativeEpoll, int maxRecvDataSegmentLength, long bufferMemoryBytes) {
        Options {
            if (ioThreads < 0) {
                throw new IllegalArgumentException("ioThreads must be >= 0, is " + ioThreads);
            }
            if (maxRecvDataSegmentLength < 512 || maxRecvDataSegmentLength > MAX_RFC_LENGTH) {
                throw new IllegalArgumentException("maxRecvDataSegmentLength must be 512.." + MAX_RFC_LENGTH
                        + ", is " + maxRecvDataSegmentLength);
            }
        }

        static Options of(Config c) {
            return new Options(c.ioThreads(), c.nativeEpoll(), c.maxRecvDataSegmentLength(),
                    (long) c.bufferMemoryMiB() << 20);
        }
    }

    private final IoMode mode;
    private final EventLoopGroup group;
    private final TcpBufferAllocator allocator;
    private final Set<TcpConnection> connections = ConcurrentHashMap.newKeySet();
    private final Set<TcpPortal> portals = ConcurrentHashMap.newKeySet();
    private volatile Options options;
    private volatile TransportLimits limits;
    private volatile boolean deactivated;

    @Activate
    public TcpTransport(Config config) {
        this(Options.of(config));
    }

    TcpTransport(Options options) {
        // Timed because activation lies inside the stall an initiator sees during an update.
        long started = System.nanoTime();
        this.options = options;
        this.limits = limitsOf(options);
        this.mode = IoMode.select(options.nativeEpoll());
        int threads = options.ioThreads() == 0 ? Runtime.getRuntime().availableProcessors() : options.ioThreads();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("lunar-tcp", true),
                mode.ioHandlerFactory());
        this.allocator = new TcpBufferAllocator(ByteBufAllocator.DEFAULT, options.bufferMemoryBytes());
        // Start the event loop threads now rather than on their first registration: after a
        // bundle update the first registrations are the adoptions of parked connections, and
        // each thread start would add to what the initiator sees as a stall.
        for (EventExecutor loop : group) {
            loop.execute(() -> { });
        }
        if (options.nativeEpoll() && mode != IoMode.EPOLL) {
            Throwable why = IoMode.nativeUnavailabilityCause();
            LOG.info("TCP transport: native epoll unavailable ({}); using NIO", why == null ? "?" : why.toString());
        }
        LOG.info("TCP transport started in {} ms: {} with {} I/O threads, MaxRecvDataSegmentLength {}",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), mode.name(), threads,
                options.maxRecvDataSegmentLength());
    }

    private static TransportLimits limitsOf(Options o) {
        return new TransportLimits(o.maxRecvDataSegmentLength(), MAX_RFC_LENGTH, MAX_RFC_LENGTH, false, true);
    }

    /**
     * Applies what can change under live connections (limits for future logins, buffer budget is
     * fixed at start); ioThreads and nativeEpoll need a restart, which hot-swap makes invisible.
     */
    @Modified
    void modified(Config config) {
        Options next = Options.of(config);
        Options previous = options;
        options = next;
        limits = limitsOf(next);
        if (next.ioThreads() != previous.ioThreads() || next.nativeEpoll() != previous.nativeEpoll()
                || next.bufferMemoryBytes() != previous.bufferMemoryBytes()) {
            LOG.info("TCP transport: ioThreads/nativeEpoll/bufferMemoryMiB changes take effect when the transport restarts");
        }
        LOG.info("TCP transport reconfigured: MaxRecvDataSegmentLength {}", next.maxRecvDataSegmentLength());
    }

    @Override
    public String kind() {
        return KIND_TCP;
    }

    @Override
    public String wire() {
        return WIRE_TCP;
    }

    @Override
    public TransportLimits limits() {
        return limits;
    }

    IoMode mode() {
        return mode;
    }

    BufferAllocator allocator() {
        return allocator;
    }

    /** Bytes of task buffer memory handed out and not released (diagnostics, tests). */
    long bufferMemoryInUse() {
        return allocator.inUse();
    }

    @Override
    public Portal listen(InetSocketAddress address, ConnectionHandler handler) throws IOException {
        checkActive();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channelFactory(mode.serverChannelFactory())
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.SO_BACKLOG, 256)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        register(TcpConnection.accepted(TcpTransport.this, ch, handler));
                    }
                });
        ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            throw new IOException("cannot listen on " + address + ": " + cause.getMessage(), cause);
        }
        TcpPortal portal = new TcpPortal(this, bound.channel());
        portals.add(portal);
        if (deactivated) {
            portal.close();
            throw new IOException("TCP transport deactivated while listening on " + address);
        }
        LOG.info("Portal {} listening ({})", portal.localAddress(), mode.name());
        return portal;
    }

    private static WriteBufferWaterMark waterMark() {
        // Room for a few 256 KiB Data-In PDUs before the channel reports unwritable.
        return new WriteBufferWaterMark(1 << 20, 4 << 20);
    }

    @Override
    public Connection adopt(DetachedConnection detached, ConnectionListener listener) throws IOException {
        if (!WIRE_TCP.equals(detached.wire())) {
            detached.close();
            throw new IOException("the TCP transport cannot adopt a connection of wire '" + detached.wire() + "'");
        }
        if (deactivated) {
            detached.close();
            throw new IOException("the TCP transport is deactivated");
        }
        long adoptStarted = System.nanoTime();
        Channel channel;
        try {
            channel = mode.adopt(detached);
        } catch (IOException | RuntimeException e) {
            detached.close();
            throw e instanceof IOException ? (IOException) e : new IOException("cannot adopt " + detached, e);
        }
        // Not instanceof: the detached connection may come from another revision of this bundle
        // or from another transport embedding this code (a different class); see ADOPTED_HOOK.
        TcpDetachedConnection.markAdopted(detached);
        ByteBuffer unread = detached.unread();
        ByteBuf seed = unread.hasRemaining() ? Unpooled.copiedBuffer(unread) : Unpooled.EMPTY_BUFFER;
        channel.config().setAutoRead(false);
        channel.config().setOption(ChannelOption.TCP_NODELAY, true);
        channel.config().setOption(ChannelOption.SO_KEEPALIVE, true);
        channel.config().setWriteBufferWaterMark(waterMark());
        TcpConnection connection = TcpConnection.adopted(this, channel, detached.settings(), listener, seed);
        register(connection);
        int unreadBytes = seed.readableBytes();
        CompletableFuture<Void> reading = new CompletableFuture<>();
        group.register(channel).addListener(f -> {
            if (f.isSuccess()) {
                connection.startAdopted();
                LOG.info("Connection {} ({}) adopted with {} unread bytes ({}) in {} ms", connection.id(),
                        connection.remoteAddress(), unreadBytes, mode.name(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - adoptStarted));
                reading.complete(null);
            } else {
                LOG.warn("Connection {}: registration of an adopted socket failed; closing", connection.id(), f.cause());
                channel.unsafe().closeForcibly();
                forget(connection);
                reading.completeExceptionally(f.cause());
            }
        });
        if (!inOwnEventLoop()) {
            // "Reading resumes before this returns" — except on one of our own I/O threads,
            // where waiting would deadlock: then it resumes right after.
            try {
                reading.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IOException("cannot register adopted connection " + connection.id(), e.getCause());
            } catch (TimeoutException e) {
                LOG.warn("Connection {}: adoption still pending after 10 s; it completes in the background",
                        connection.id());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return connection;
    }

    private boolean inOwnEventLoop() {
        for (EventExecutor e : group) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    private void checkActive() throws IOException {
        if (deactivated) {
            throw new IOException("the TCP transport is deactivated");
        }
    }

    private void register(TcpConnection c) {
        connections.add(c);
    }

    void forget(TcpConnection c) {
        connections.remove(c);
    }

    void forget(TcpPortal p) {
        portals.remove(p);
    }

    /** Connections this instance carries now (diagnostics, tests). */
    List<Connection> connections() {
        return new ArrayList<>(connections);
    }

    /**
     * Bounded and idempotent: portals first (no new connections), then whatever connections the
     * iscsi bundle did not detach (normally none: it detaches them when this service goes away),
     * then the event loops, each step with a time limit.
     */
    @Deactivate
    void deactivate() {
        if (deactivated) {
            return;
        }
        deactivated = true;
        long stopping = System.nanoTime();
        for (TcpPortal portal : new ArrayList<>(portals)) {
            portal.close();
        }
        List<TcpConnection> live = new ArrayList<>(connections);
        if (!live.isEmpty()) {
            LOG.warn("TCP transport stopping: closing {} live connection(s) nobody detached: {}", live.size(),
                    live.stream().map(c -> c.id() + " (" + c.remoteAddress() + ")").collect(Collectors.joining(", ")));
            List<ChannelFuture> closing = new ArrayList<>();
            for (TcpConnection c : live) {
                closing.add(c.channel().close());
            }
            for (ChannelFuture f : closing) {
                f.awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        }
        long portalsClosed = System.nanoTime();
        if (!group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS)) {
            LOG.warn("TCP transport: I/O threads did not stop within 5 s");
        }
        long end = System.nanoTime();
        LOG.info("TCP transport stopped in {} ms (portals and connections {} ms, I/O threads {} ms)",
                TimeUnit.NANOSECONDS.toMillis(end - stopping), TimeUnit.NANOSECONDS.toMillis(portalsClosed - stopping),
                TimeUnit.NANOSECONDS.toMillis(end - portalsClosed));
    }
}
