package dev.lunar.testkit.backend;

import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.scsi.Sense;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link IoCompletion} that records what a backend reported: the result or the sense, and how
 * many times it was called (the SPI says exactly once). Completions may arrive on any thread; the
 * test thread waits for them with a bounded wait, never with a timing assertion.
 *
 * <p>A probe that receives a reference-counted result after it was already completed (a second,
 * illegal completion) releases it, so a double completion shows up as a count, not as a leak.
 *
 * @param <T> the result type of the I/O
 */
public final class IoProbe<T> implements IoCompletion<T> {

    /** How long a test waits for one completion before it calls the backend hung. */
    public static final long WAIT_SECONDS = 30;

    /** What one I/O ended with: exactly one of {@code result} and {@code sense} is meaningful. */
    public record Outcome<T>(T result, Sense sense) {
        public boolean ok() {
            return sense == null;
        }
    }

    private final CompletableFuture<Outcome<T>> outcome = new CompletableFuture<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final String what;

    public IoProbe(String what) {
        this.what = what;
    }

    @Override
    public void completed(T result) {
        if (calls.incrementAndGet() > 1 || !outcome.complete(new Outcome<>(result, null))) {
            releaseIfBuffer(result);
        }
    }

    @Override
    public void failed(Sense sense) {
        calls.incrementAndGet();
        outcome.complete(new Outcome<>(null, sense));
    }

    /** Number of times the backend completed this I/O so far. */
    public int calls() {
        return calls.get();
    }

    /** What this probe stands for, for failure messages. */
    public String what() {
        return what;
    }

    public boolean isDone() {
        return outcome.isDone();
    }

    /** Waits (bounded) for the completion and returns it. */
    public Outcome<T> await() {
        try {
            return outcome.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + " did not complete within " + WAIT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, e);
        } catch (ExecutionException e) {
            throw new AssertionError(what + " completed exceptionally", e.getCause());
        }
    }

    /** Waits for a successful completion and returns its result; a failure is an assertion error. */
    public T awaitSuccess() {
        Outcome<T> o = await();
        if (!o.ok()) {
            throw new AssertionError(what + " failed with " + o.sense());
        }
        return o.result();
    }

    /** Waits for a failed completion and returns its sense; a success is an assertion error. */
    public Sense awaitFailure() {
        Outcome<T> o = await();
        if (o.ok()) {
            releaseIfBuffer(o.result());
            throw new AssertionError(what + " succeeded but should have failed");
        }
        return o.sense();
    }

    private static void releaseIfBuffer(Object result) {
        if (result instanceof DataBuffer buffer && buffer.refCnt() > 0) {
            buffer.release();
        }
    }
}
