package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.buffer.BufferAllocator;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionHandler;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.SendCallback;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI connection over a Netty socket channel. State is confined to the channel's event loop
 * (the connection's I/O thread); public methods called elsewhere hop onto it, so calls made from
 * one thread take effect in the order they were made.
 *
 * <p>Settings rule (RFC 7143 §6.2, §13): {@link #configure} applies to every PDU passed to
 * {@link #send} after it, and to every PDU framed after the one being delivered. Called on the
 * I/O thread (from {@code pduReceived}, the normal case) that is exact: the Login Response that
 * concludes negotiation, sent before {@code configure}, goes without digests; the next PDU in
 * each direction carries them. Called from another thread, the change reaches the receive side
 * at whichever PDU boundary the I/O thread is at when the task runs.
 *
 * <p>{@link #setReading setReading(false)} stops both reading from the socket and delivering PDUs
 * already buffered, so the engine sees no PDU until it resumes; that is also how {@link #detach}
 * stops at a PDU boundary.
 *
 * <p>A send whose I/O thread has already shut down (the transport is gone) completes its
 * callback on the calling thread: there is no I/O thread left to run it on.
 */
final class TcpConnection implements Connection {

    private static final Logger LOG = LoggerFactory.getLogger(TcpConnection.class);
    private static final AtomicLong IDS = new AtomicLong();
    private static final int MAX_SEGMENT = (1 << 24) - 1;

    private final String id;
    private final TcpTransport transport;
    private final Channel channel;
    private final PduFrameDecoder decoder;
    /** The send side's digest engine (I/O thread only). */
    private final CRC32C sendCrc = new CRC32C();
    /** For accepted connections: asked for a listener on activation. Null for adopted ones. */
    private final ConnectionHandler handler;

    private volatile ConnectionSettings settings;
    private volatile ConnectionListener listener;
    /** I/O thread only from here on. */
    private Throwable failure;
    private boolean closedNotified;
    private boolean detaching;
    private boolean detached;
    private boolean dataDigestErrorLogged;
    /** A flush asked for while the decoder delivers a read burst; done when the burst ends. */
    private boolean flushDeferred;

    private TcpConnection(TcpTransport transport, Channel channel, ConnectionSettings settings,
            ConnectionHandler handler, ConnectionListener listener) {
        this.id = "tcp-" + IDS.incrementAndGet();
        this.transport = transport;
        this.channel = channel;
        this.settings = settings;
        this.handler = handler;
        this.listener = listener;
        this.decoder = new PduFrameDecoder(this);
    }

    /** A connection accepted on a portal; {@code handler} is asked for its listener once active. */
    static TcpConnection accepted(TcpTransport transport, Channel channel, ConnectionHandler handler) {
        TcpConnection c = new TcpConnection(transport, channel, ConnectionSettings.LOGIN, handler, null);
        channel.pipeline().addLast("iscsi-framer", c.decoder);
        return c;
    }

    /** A connection taken over from another owner; {@code unread} is framed before new bytes. */
    static TcpConnection adopted(TcpTransport transport, Channel channel, ConnectionSettings settings,
            ConnectionListener listener, ByteBuf unread) {
        TcpConnection c = new TcpConnection(transport, channel, settings, null, listener);
        c.decoder.seed(unread);
        channel.pipeline().addLast("iscsi-framer", c.decoder);
        return c;
    }

    Channel channel() {
        return channel;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String transportKind() {
        return transport.kind();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    // send, flush and sendAndFlush test for the I/O thread themselves instead of going through
    // runOnIoThread: the lambdas it takes were allocated on every call, also on the I/O thread,
    // where the engine makes all of its calls (two or three objects per PDU).

    @Override
    public void send(Pdu pdu, SendCallback done) {
        Objects.requireNonNull(pdu, "pdu");
        if (channel.eventLoop().inEventLoop()) {
            write(pdu, done);
            return;
        }
        runOnIoThread(() -> write(pdu, done), () -> refuse(pdu, done));
    }

    private void refuse(Pdu pdu, SendCallback done) {
        pdu.release();
        complete(done, new IllegalStateException("connection " + id + ": I/O thread has shut down"));
    }

    @Override
    public void flush() {
        if (channel.eventLoop().inEventLoop()) {
            flushOrDefer();
            return;
        }
        runOnIoThread(this::flushOrDefer, null);
    }

    /**
     * Flushes now, or at the end of the read burst being delivered. The engine flushes after every
     * PDU it handles; with a RAM disk a whole read of 32 commands is answered inline, and flushing
     * each answer cost one {@code writev} per command. Deferred to the burst's end the answers go
     * in one gathering write (what Netty's FlushConsolidationHandler does), with no added latency:
     * the burst ends in the same event-loop turn.
     */
    private void flushOrDefer() {
        if (decoder.inReadBurst()) {
            flushDeferred = true;
        } else {
            flushIfAttached();
        }
    }

    private void flushIfAttached() {
        // A deregistered channel must not be touched: its socket belongs to the next owner.
        if (!detached) {
            channel.flush();
        }
    }

    @Override
    public void sendAndFlush(Pdu pdu, SendCallback done) {
        Objects.requireNonNull(pdu, "pdu");
        if (channel.eventLoop().inEventLoop()) {
            write(pdu, done);
            flushOrDefer();
            return;
        }
        runOnIoThread(() -> {
            write(pdu, done);
            flushOrDefer();
        }, () -> refuse(pdu, done));
    }

    private void write(Pdu pdu, SendCallback done) {
        if (detached || detaching) {
            pdu.release();
            complete(done, new IllegalStateException("connection " + id + " is being detached; send refused"));
            return;
        }
        ChannelPromise promise = new SendPromise(pdu, done);
        try {
            PduWriter.write(channel, pdu, settings, promise, sendCrc);
        } catch (RuntimeException e) {
            // Malformed PDU (engine bug) or a failed file read: fail this send only.
            LOG.warn("Connection {}: cannot send {}: {}", id, pdu, e.getMessage());
            promise.tryFailure(e);
        }
    }

    /**
     * The promise of one PDU's frame and its own listener: one object per send where a promise
     * plus a capturing lambda were two. The PDU keeps its data reference until the bytes have
     * left; then it goes, and only then the callback runs (SPI: "the PDU's data is released by
     * then").
     */
    private final class SendPromise extends DefaultChannelPromise implements ChannelFutureListener {
        private final Pdu pdu;
        private final SendCallback done;

        SendPromise(Pdu pdu, SendCallback done) {
            super(channel);
            this.pdu = pdu;
            this.done = done;
            addListener(this);
        }

        @Override
        public void operationComplete(ChannelFuture future) {
            pdu.release();
            complete(done, future.cause());
        }
    }

    private void complete(SendCallback done, Throwable failure) {
        if (done == null) {
            return;
        }
        try {
            done.sent(failure);
        } catch (RuntimeException e) {
            LOG.error("Connection {}: send callback threw", id, e);
        }
    }

    @Override
    public void configure(ConnectionSettings newSettings) {
        Objects.requireNonNull(newSettings, "settings");
        if (newSettings.maxRecvDataSegmentLength() < 512 || newSettings.maxRecvDataSegmentLength() > MAX_SEGMENT
                || newSettings.maxSendDataSegmentLength() < 512
                || newSettings.maxSendDataSegmentLength() > MAX_SEGMENT) {
            // RFC 7143 §13.12: MaxRecvDataSegmentLength is 512..2^24-1.
            throw new IllegalArgumentException("data segment lengths must be 512.." + MAX_SEGMENT + ": " + newSettings);
        }
        int ownLimit = transport.limits().maxRecvDataSegmentLength();
        if (newSettings.maxRecvDataSegmentLength() > ownLimit) {
            // Login negotiation reads limits(); exceeding them is an engine bug worth failing loudly.
            throw new IllegalArgumentException("MaxRecvDataSegmentLength " + newSettings.maxRecvDataSegmentLength()
                    + " exceeds this transport's limit " + ownLimit);
        }
        runOnIoThread(() -> {
            LOG.debug("Connection {}: settings {}", id, newSettings);
            settings = newSettings;
        }, null);
    }

    @Override
    public ConnectionSettings settings() {
        return settings;
    }

    @Override
    public BufferAllocator allocator() {
        return transport.allocator();
    }

    @Override
    public Executor executor() {
        return channel.eventLoop();
    }

    @Override
    public boolean inIoThread() {
        return channel.eventLoop().inEventLoop();
    }

    @Override
    public void setReading(boolean reading) {
        runOnIoThread(() -> {
            if (detaching || detached) {
                return;
            }
            if (reading) {
                decoder.resume();
                channel.config().setAutoRead(true);
            } else {
                channel.config().setAutoRead(false);
                decoder.pause();
            }
        }, null);
    }

    @Override
    public void close(boolean graceful) {
        runOnIoThread(() -> {
            if (detached) {
                return;
            }
            if (graceful) {
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            } else {
                channel.close();
            }
        }, null);
    }

    @Override
    public CompletionStage<DetachedConnection> detach() {
        CompletableFuture<DetachedConnection> result = new CompletableFuture<>();
        runOnIoThread(() -> startDetach(result), () -> result.completeExceptionally(
                new IllegalStateException("connection " + id + ": I/O thread has shut down")));
        return result;
    }

    /**
     * DESIGN.md §3.5: stop framing at the PDU boundary we are at, stop reading, let every queued
     * write complete (a flushed empty write completes after all writes queued before it), then
     * deregister the channel from its event loop without closing the socket, and hand out the
     * socket with the bytes read but not framed.
     */
    private void startDetach(CompletableFuture<DetachedConnection> result) {
        if (detaching || detached || !channel.isActive() || failure != null) {
            result.completeExceptionally(new IllegalStateException("connection " + id + " cannot be detached: "
                    + (detaching || detached ? "already detaching" : "not open")));
            return;
        }
        detaching = true;
        decoder.pause();
        channel.config().setAutoRead(false);
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(written -> {
            if (!written.isSuccess() || !channel.isActive()) {
                detaching = false;
                result.completeExceptionally(new IllegalStateException(
                        "connection " + id + " failed while its writes drained", written.cause()));
                return;
            }
            ByteBuf unread = decoder.takeUnread();
            ByteBuffer unreadCopy = ByteBuffer.allocate(unread == null ? 0 : unread.readableBytes());
            if (unread != null) {
                unread.readBytes(unreadCopy);
                unread.release();
                unreadCopy.flip();
            }
            Object endpoint = transport.mode().endpoint(channel);
            channel.pipeline().remove(decoder);
            channel.deregister().addListener(deregistered -> {
                if (!deregistered.isSuccess()) {
                    // The socket is in an unknown state: closing is the honest outcome.
                    detaching = false;
                    result.completeExceptionally(new IllegalStateException(
                            "connection " + id + ": deregistration failed", deregistered.cause()));
                    channel.close();
                    return;
                }
                detached = true;
                transport.forget(this);
                TcpDetachedConnection d = new TcpDetachedConnection(id, transport.mode(), endpoint, settings, unreadCopy);
                LOG.info("Connection {} ({} -> {}) detached with {} unread bytes", id, remoteAddressSafe(),
                        localAddressSafe(), unreadCopy.remaining());
                result.complete(d);
            });
        });
    }

    // ---- called by PduFrameDecoder and TcpTransport on the I/O thread ----

    /** The read burst ended (channelReadComplete): the flushes asked for during it happen now. */
    void readBurstEnded() {
        if (flushDeferred) {
            flushDeferred = false;
            flushIfAttached();
        }
    }

    /** The channel is active: an accepted connection asks the handler for its listener. */
    void onActive() {
        if (handler != null) {
            ConnectionListener l;
            try {
                l = handler.accepted(this);
            } catch (RuntimeException e) {
                LOG.error("Connection {}: the connection handler threw; closing", id, e);
                channel.close();
                return;
            }
            if (l == null) {
                LOG.warn("Connection {} from {} refused by the connection handler", id, remoteAddressSafe());
                channel.close();
                return;
            }
            listener = l;
            LOG.debug("Connection {} accepted from {} on {}", id, remoteAddressSafe(), localAddressSafe());
        }
    }

    /** Adopted connections start with reading off: frame the inherited bytes, then read. */
    void startAdopted() {
        decoder.resume();
        channel.config().setAutoRead(true);
    }

    boolean deliverable() {
        return listener != null && !detached;
    }

    void deliver(Pdu pdu) {
        if (LOG.isTraceEnabled()) {
            LOG.trace("Connection {}: received {}", id, pdu);
        }
        try {
            listener.pduReceived(this, pdu);
        } catch (RuntimeException e) {
            // The listener owned the PDU; whatever it did with it is unknown. The connection's
            // state is too, so it goes.
            LOG.error("Connection {}: listener threw on {}; closing", id, pdu, e);
            fail(e);
        }
    }

    void noteDataDigestError(Pdu pdu) {
        if (!dataDigestErrorLogged) {
            dataDigestErrorLogged = true;
            LOG.warn("Connection {} from {}: data digest error on {} (further ones logged at DEBUG)", id,
                    remoteAddressSafe(), pdu);
        } else {
            LOG.debug("Connection {}: data digest error on {}", id, pdu);
        }
    }

    /** A framing error, a header digest error, or an I/O error: close, reporting {@code cause}. */
    void fail(Throwable cause) {
        if (failure == null && !detached) {
            failure = cause;
            if (cause instanceof java.io.IOException && !(cause instanceof java.net.ProtocolException)) {
                LOG.debug("Connection {} from {}: I/O error: {}", id, remoteAddressSafe(), cause.toString());
            } else {
                LOG.warn("Connection {} from {} closed: {}", id, remoteAddressSafe(), cause.getMessage());
            }
        }
        channel.close();
    }

    void onInactive() {
        transport.forget(this);
        if (detached || closedNotified) {
            return;
        }
        closedNotified = true;
        ConnectionListener l = listener;
        if (l == null) {
            return;
        }
        try {
            l.closed(this, failure);
        } catch (RuntimeException e) {
            LOG.error("Connection {}: listener threw from closed()", id, e);
        }
    }

    /** On the event loop: the send queue crossed a water mark; the engine pauses or resumes output. */
    void onWritabilityChanged() {
        boolean writable = channel.isWritable();
        LOG.debug("Connection {}: writable={}", id, writable);
        ConnectionListener l = listener;
        if (l == null || detached || closedNotified) {
            return;
        }
        try {
            l.writabilityChanged(this, writable);
        } catch (RuntimeException e) {
            LOG.error("Connection {}: listener threw from writabilityChanged()", id, e);
        }
    }

    private void runOnIoThread(Runnable task, Runnable ifRejected) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
            return;
        }
        try {
            channel.eventLoop().execute(task);
        } catch (RejectedExecutionException e) {
            if (ifRejected != null) {
                ifRejected.run();
            }
        }
    }

    private Object remoteAddressSafe() {
        Object a = channel.remoteAddress();
        return a == null ? "?" : a;
    }

    private Object localAddressSafe() {
        Object a = channel.localAddress();
        return a == null ? "?" : a;
    }

    @Override
    public String toString() {
        return "TcpConnection[" + id + ", " + remoteAddressSafe() + "]";
    }
}
