package dev.lunar.spi.backend;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the I/O a device is executing, so that {@code close()} can fence new I/O and wait for the
 * rest (FreeBSD CTL waits for a LUN's outstanding I/O before it goes away). A {@link LongAdder}
 * rather than one atomic counter: every I/O of a LUN touches it, from many threads. For backends
 * implementing the bounded close of {@link BlockDevice#close()}; thread safe.
 */
public final class IoGate {

    private final LongAdder inFlight = new LongAdder();
    private volatile boolean closed;

    /** Admits one I/O; false once the device is closing. Pair a true result with {@link #exit()}. */
    public boolean enter() {
        inFlight.increment();
        if (closed) {
            inFlight.decrement();
            return false;
        }
        return true;
    }

    public void exit() {
        inFlight.decrement();
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Refuses new I/O and waits until the admitted I/O has left, at most {@code timeoutMillis}.
     *
     * @return the number of I/Os still running when the wait ended (0: drained)
     */
    public long closeAndDrain(long timeoutMillis) {
        closed = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long left;
        while ((left = inFlight.sum()) > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return inFlight.sum();
            }
        }
        return left;
    }
}
