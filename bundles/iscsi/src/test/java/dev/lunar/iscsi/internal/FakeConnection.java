package dev.lunar.iscsi.internal;

import dev.lunar.spi.buffer.BufferAllocator;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.DetachedConnection;
import dev.lunar.spi.transport.Pdu;
import dev.lunar.spi.transport.SendCallback;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * An in-memory transport connection: PDUs fed by the test arrive "on the I/O thread"; sent PDUs
 * are captured in order. Tasks submitted to {@link #executor()} wait until {@link #runTasks()},
 * so completions from the fake SCSI core really hop, as they do from another thread.
 */
final class FakeConnection implements Connection {

    private static int counter;

    private final String id = "fake-" + (++counter);
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    final ArrayDeque<Pdu> sent = new ArrayDeque<>();
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    final List<ConnectionSettings> configured = new ArrayList<>();
    private ConnectionSettings settings = ConnectionSettings.LOGIN;
    private ConnectionListener listener;
    private boolean inIo;
    boolean closed;
    boolean closedGracefully;
    int flushes;
    /** What the engine last asked of {@link #setReading}. */
    boolean reading = true;
    /** When set, send completions wait for {@link #completeSends()}: PDUs "queued in the transport". */
    boolean holdSendCallbacks;
    private final ArrayDeque<SendCallback> heldCallbacks = new ArrayDeque<>();

    FakeConnection(InetSocketAddress local) {
        this.local = local;
        this.remote = new InetSocketAddress("127.0.0.1", 40000 + counter);
    }

    void attach(ConnectionListener l) {
        this.listener = l;
    }

    /** Delivers a PDU as the transport would, on the I/O thread. */
    void receive(Pdu pdu) {
        if (closed) {
            pdu.release();
            return;
        }
        inIo = true;
        try {
            listener.pduReceived(this, pdu);
        } finally {
            inIo = false;
        }
        runTasks();
    }

    /** The transport's send queue crosses a water mark, as the transport reports it on the I/O thread. */
    void writable(boolean writable) {
        inIo = true;
        try {
            listener.writabilityChanged(this, writable);
        } finally {
            inIo = false;
        }
        runTasks();
    }

    /** The bytes of every send so far have left: held completions run, on the "I/O thread". */
    void completeSends() {
        SendCallback cb;
        while ((cb = heldCallbacks.poll()) != null) {
            inIo = true;
            try {
                cb.sent(null);
            } finally {
                inIo = false;
            }
        }
        runTasks();
    }

    ConnectionListener listener() {
        return listener;
    }

    /** Runs queued executor tasks on the "I/O thread". */
    void runTasks() {
        Runnable r;
        while ((r = tasks.poll()) != null) {
            inIo = true;
            try {
                r.run();
            } finally {
                inIo = false;
            }
        }
    }

    /** The next sent PDU, or null. The caller releases it. */
    Pdu next() {
        return sent.poll();
    }

    void releaseSent() {
        Pdu p;
        while ((p = sent.poll()) != null) {
            p.release();
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String transportKind() {
        return "fake";
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public void send(Pdu pdu, SendCallback done) {
        if (closed) {
            pdu.release();
            if (done != null) {
                done.sent(new IllegalStateException("closed"));
            }
            return;
        }
        sent.add(pdu);
        if (done != null) {
            if (holdSendCallbacks) {
                heldCallbacks.add(done);
            } else {
                done.sent(null);
            }
        }
    }

    @Override
    public void flush() {
        flushes++;
    }

    @Override
    public void configure(ConnectionSettings s) {
        configured.add(s);
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
    public Executor executor() {
        return tasks::add;
    }

    @Override
    public boolean inIoThread() {
        return inIo;
    }

    @Override
    public void setReading(boolean reading) {
        this.reading = reading;
    }

    @Override
    public void close(boolean graceful) {
        if (closed) {
            return;
        }
        closed = true;
        closedGracefully = graceful;
        boolean was = inIo;
        inIo = true;
        try {
            listener.closed(this, null);
        } finally {
            inIo = was;
        }
    }

    @Override
    public CompletionStage<DetachedConnection> detach() {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("fake"));
    }
}
