package dev.lunar.iscsi.internal;

import dev.lunar.spi.buffer.BufferAllocator;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionHandler;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.Portal;
import dev.lunar.spi.transport.SendCallback;
import dev.lunar.spi.transport.Transport;
import dev.lunar.spi.transport.TransportLimits;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A transport with a real I/O thread over in-memory "wires", for hand-over tests: a {@link Wire}
 * is the TCP connection itself (it outlives its owners, keeps the PDUs nobody read yet), a
 * {@link WireConnection} is one transport's ownership of it, and detach/adopt pass the wire on
 * the way the SPI says (quiesce, complete sends, hand out endpoint and unread data).
 */
final class WireTransport implements Transport {

    private static final AtomicInteger IDS = new AtomicInteger();

    /** The initiator's end and the bytes in between; survives every transport that carries it. */
    static final class Wire {
        final LinkedBlockingQueue<Pdu> toInitiator = new LinkedBlockingQueue<>();
        private final ArrayDeque<Pdu> unread = new ArrayDeque<>();
        volatile WireConnection owner;
        volatile boolean closed;

        /** The initiator sends a PDU; the current owner reads it when it reads. */
        void send(Pdu pdu) {
            synchronized (this) {
                unread.add(pdu);
            }
            WireConnection o = owner;
            if (o != null) {
                o.pump();
            }
        }

        synchronized Pdu poll() {
            return unread.poll();
        }

        synchronized int unreadCount() {
            return unread.size();
        }

        /** The next PDU the target sent, waiting up to 10 s. */
        Pdu receive() throws InterruptedException {
            return toInitiator.poll(10, TimeUnit.SECONDS);
        }
    }

    record WireDetached(Wire line, String wire, ConnectionSettings settings) implements DetachedConnection {
        @Override
        public ByteBuffer unread() {
            return ByteBuffer.allocate(0);
        }

        @Override
        public <T> Optional<T> endpoint(Class<T> type) {
            return type.isInstance(line) ? Optional.of(type.cast(line)) : Optional.empty();
        }

        @Override
        public void close() {
            line.closed = true;
        }
    }

    final String kind;
    final String wire;
    final List<WireConnection> connections = new CopyOnWriteArrayList<>();
    private final ExecutorService io;
    private volatile Thread ioThread;
    /** When set, detach() completes exceptionally (a transport that cannot detach). */
    volatile boolean refuseDetach;
    /** When set, nothing is read from the wires until detach, which then delivers one PDU late. */
    volatile boolean deliverLateOnDetach;

    WireTransport(String kind, String wire) {
        this.kind = kind;
        this.wire = wire;
        this.io = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "wire-" + kind + "-" + IDS.incrementAndGet());
            t.setDaemon(true);
            ioThread = t;
            return t;
        });
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public String wire() {
        return wire;
    }

    @Override
    public TransportLimits limits() {
        return new TransportLimits(65536, 65536, 1 << 20, false, false);
    }

    @Override
    public Portal listen(InetSocketAddress address, ConnectionHandler handler) {
        throw new UnsupportedOperationException("tests accept wires directly");
    }

    /** A new initiator connection accepted for {@code handler}; returns once the listener is set. */
    WireConnection accept(Wire w, ConnectionHandler handler) throws Exception {
        WireConnection c = new WireConnection(this, w, ConnectionSettings.LOGIN, null);
        connections.add(c);
        io.submit(() -> {
            c.listener = handler.accepted(c);
            w.owner = c;
        }).get(10, TimeUnit.SECONDS);
        c.pump();
        return c;
    }

    @Override
    public Connection adopt(DetachedConnection detached, ConnectionListener listener) throws IOException {
        if (!wire.equals(detached.wire()) || !(detached instanceof WireDetached d)) {
            detached.close();
            throw new IOException("wire " + wire + " cannot adopt " + detached.wire());
        }
        WireConnection c = new WireConnection(this, d.line(), d.settings(), listener);
        connections.add(c);
        d.line().owner = c;
        c.pump();
        return c;
    }

    /** Waits until everything submitted to the I/O thread so far has run. */
    void sync() throws Exception {
        io.submit(() -> { }).get(10, TimeUnit.SECONDS);
    }

    /** The transport's event loop stops, as after its deactivate. */
    void shutdown() throws InterruptedException {
        io.shutdown();
        io.awaitTermination(10, TimeUnit.SECONDS);
    }

    /** One transport's ownership of a wire. State is confined to the transport's I/O thread. */
    static final class WireConnection implements Connection {
        private final WireTransport transport;
        final Wire wire;
        private final String id = "wire-" + IDS.incrementAndGet();
        private volatile ConnectionSettings settings;
        volatile ConnectionListener listener;
        private boolean reading = true;
        private boolean detached;
        private boolean closed;

        WireConnection(WireTransport transport, Wire wire, ConnectionSettings settings, ConnectionListener listener) {
            this.transport = transport;
            this.wire = wire;
            this.settings = settings;
            this.listener = listener;
        }

        /** Delivers unread PDUs on the I/O thread while reading and attached. */
        void pump() {
            execute(() -> {
                Pdu p;
                while (reading && !transport.deliverLateOnDetach && !detached && !closed && listener != null
                        && wire.owner == this && (p = wire.poll()) != null) {
                    listener.pduReceived(this, p);
                }
            });
        }

        private void execute(Runnable r) {
            if (inIoThread()) {
                r.run();
            } else {
                transport.io.execute(r);
            }
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public String transportKind() {
            return transport.kind;
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress("127.0.0.1", 3260);
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return new InetSocketAddress("127.0.0.1", 40000 + (System.identityHashCode(wire) & 0x3fff));
        }

        @Override
        public void send(Pdu pdu, SendCallback done) {
            execute(() -> {
                if (detached || closed) {
                    pdu.release();
                    if (done != null) {
                        done.sent(new IllegalStateException("send on a " + (closed ? "closed" : "detached")
                                + " connection"));
                    }
                    return;
                }
                wire.toInitiator.add(pdu);
                if (done != null) {
                    done.sent(null);
                }
            });
        }

        @Override
        public void flush() {
        }

        @Override
        public void configure(ConnectionSettings s) {
            settings = s;
        }

        @Override
        public ConnectionSettings settings() {
            return settings;
        }

        @Override
        public BufferAllocator allocator() {
            return DataBuffers::allocateHeap;
        }

        @Override
        public java.util.concurrent.Executor executor() {
            return transport.io;
        }

        @Override
        public boolean inIoThread() {
            return Thread.currentThread() == transport.ioThread;
        }

        @Override
        public void setReading(boolean r) {
            execute(() -> {
                reading = r;
                if (r) {
                    pump();
                }
            });
        }

        @Override
        public void close(boolean graceful) {
            execute(() -> {
                if (closed || detached) {
                    return;
                }
                closed = true;
                wire.closed = true;
                listener.closed(this, null);
            });
        }

        @Override
        public CompletionStage<DetachedConnection> detach() {
            CompletableFuture<DetachedConnection> f = new CompletableFuture<>();
            execute(() -> {
                if (transport.refuseDetach || closed || detached) {
                    f.completeExceptionally(new IOException("this transport cannot detach " + id));
                    return;
                }
                if (transport.deliverLateOnDetach) {
                    // The SPI lets the PDU being framed arrive after detach() was called.
                    Pdu late = wire.poll();
                    if (late != null) {
                        listener.pduReceived(this, late);
                    }
                }
                detached = true;
                wire.owner = null;
                transport.connections.remove(this);
                f.complete(new WireDetached(wire, transport.wire, settings));
            });
            return f;
        }
    }
}
