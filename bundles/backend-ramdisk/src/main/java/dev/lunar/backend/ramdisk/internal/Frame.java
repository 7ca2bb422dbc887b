package dev.lunar.backend.ramdisk.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The memory of one RAM-disk page (64 KiB of direct memory) with a reference count. The page that
 * currently shows this frame holds one reference; every read in flight that returned a slice of it
 * holds one more ("pins" it) until the transport releases the read buffer.
 *
 * <p>A writer may change the bytes in place only while nobody else holds a reference: it swaps the
 * count from 1 to {@link #WRITING}, copies, and sets it back to 1. A reader that arrives during
 * that copy (a few microseconds for 64 KiB) spins until it ends; it never waits for another
 * thread's I/O or lock. When readers hold the frame, the writer copies the page instead
 * (copy-on-write, see {@link RamDisk}) and the old frame lives on until its last reader releases.
 */
final class Frame {

    /** The count while a writer changes the bytes in place; readers spin until it ends. */
    private static final int WRITING = Integer.MIN_VALUE;

    private static final VarHandle REFS;

    static {
        try {
            REFS = MethodHandles.lookup().findVarHandle(Frame.class, "refs", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final ByteBuffer memory;
    /**
     * A second view of {@code memory} that a writer positions over the bytes it copies in; only
     * used under the page's lock or on a frame not yet published, so never by two threads at once.
     */
    final ByteBuffer writeView;
    private final PageMemory owner;
    @SuppressWarnings("unused") // accessed through REFS
    private volatile int refs = 1;

    Frame(ByteBuffer memory, PageMemory owner) {
        this.memory = memory;
        this.writeView = memory.duplicate();
        this.owner = owner;
    }

    /**
     * Adds a reader's reference. Returns false when the frame was already freed (its page was
     * rewritten with copy-on-write or unmapped and the last reader left); the caller looks the
     * page up again.
     */
    boolean tryPin() {
        for (;;) {
            int r = (int) REFS.getVolatile(this);
            if (r == WRITING) {
                Thread.onSpinWait();
            } else if (r <= 0) {
                return false;
            } else if (REFS.compareAndSet(this, r, r + 1)) {
                return true;
            }
        }
    }

    /** Drops one reference (a reader's, or the page's when the page lets go); the last one frees. */
    void unpin() {
        int r = (int) REFS.getAndAdd(this, -1);
        if (r == 1) {
            owner.free(this);
        } else if (r <= 0) {
            throw new IllegalStateException("RAM disk frame released more often than pinned");
        }
    }

    /**
     * Claims the bytes for an in-place write; succeeds only when the page's reference is the only
     * one. The caller holds the page's lock, so no other writer competes.
     */
    boolean tryBeginInPlaceWrite() {
        return REFS.compareAndSet(this, 1, WRITING);
    }

    void endInPlaceWrite() {
        REFS.setVolatile(this, 1);
    }

    /** For tests and diagnostics. */
    int references() {
        return (int) REFS.getVolatile(this);
    }
}
