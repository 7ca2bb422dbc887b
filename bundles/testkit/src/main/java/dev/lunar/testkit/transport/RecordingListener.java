package dev.lunar.testkit.transport;

import dev.lunar.spi.transport.Connection;
import dev.lunar.spi.transport.ConnectionHandler;
import dev.lunar.spi.transport.ConnectionListener;
import dev.lunar.spi.transport.Pdu;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A connection handler and listener that records what a transport delivers, for tests. Also
 * records contract violations it can see (a call off the I/O thread, a PDU after closed) so the
 * test can assert there were none.
 */
public final class RecordingListener implements ConnectionHandler, ConnectionListener {

    /** How long a test waits for an event before it fails (a hang guard, not a timing assertion). */
    public static final long WAIT_SECONDS = 20;

    private final BlockingQueue<Connection> accepted = new LinkedBlockingQueue<>();
    private final BlockingQueue<Pdu> pdus = new LinkedBlockingQueue<>();
    private final BlockingQueue<Optional<Throwable>> closes = new LinkedBlockingQueue<>();
    private final AtomicInteger closedCalls = new AtomicInteger();
    private final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile Consumer<Connection> onAccepted = c -> { };
    private volatile BiConsumer<Connection, Pdu> onPdu = (c, p) -> { };
    private volatile boolean closed;

    /** Runs on the I/O thread inside {@code accepted}, before any PDU (e.g. to configure digests). */
    public RecordingListener onAccepted(Consumer<Connection> action) {
        this.onAccepted = action;
        return this;
    }

    /** Runs on the I/O thread inside {@code pduReceived}, before the PDU is queued for the test. */
    public RecordingListener onPdu(BiConsumer<Connection, Pdu> action) {
        this.onPdu = action;
        return this;
    }

    @Override
    public ConnectionListener accepted(Connection connection) {
        if (!connection.inIoThread()) {
            violations.add("accepted() called off the connection's I/O thread");
        }
        onAccepted.accept(connection);
        accepted.add(connection);
        return this;
    }

    @Override
    public void pduReceived(Connection connection, Pdu pdu) {
        if (!connection.inIoThread()) {
            violations.add("pduReceived() called off the I/O thread");
        }
        if (closed) {
            violations.add("pduReceived() after closed()");
        }
        onPdu.accept(connection, pdu);
        pdus.add(pdu);
    }

    @Override
    public void closed(Connection connection, Throwable cause) {
        if (!connection.inIoThread()) {
            violations.add("closed() called off the I/O thread");
        }
        closed = true;
        closedCalls.incrementAndGet();
        closes.add(Optional.ofNullable(cause));
    }

    /** The next accepted connection; fails the test if none comes. */
    public Connection nextConnection() throws InterruptedException {
        Connection c = accepted.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (c == null) {
            throw new AssertionError("no connection was accepted within " + WAIT_SECONDS + " s");
        }
        return c;
    }

    /** The next PDU (the caller owns it); fails the test if none comes. */
    public Pdu nextPdu() throws InterruptedException {
        Pdu p = pdus.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (p == null) {
            throw new AssertionError("no PDU arrived within " + WAIT_SECONDS + " s");
        }
        return p;
    }

    /** A PDU if one arrives within {@code millis}, else {@code null}. */
    public Pdu pollPdu(long millis) throws InterruptedException {
        return pdus.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Waits for {@code closed}; returns its cause (empty for a clean close). */
    public Optional<Throwable> nextClose() throws InterruptedException {
        Optional<Throwable> c = closes.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (c == null) {
            throw new AssertionError("closed() was not called within " + WAIT_SECONDS + " s");
        }
        return c;
    }

    public int closedCalls() {
        return closedCalls.get();
    }

    public List<String> violations() {
        synchronized (violations) {
            return new ArrayList<>(violations);
        }
    }

    /** Releases every PDU still queued (test teardown). */
    public void releaseAll() {
        for (Pdu p; (p = pdus.poll()) != null;) {
            p.release();
        }
    }
}
