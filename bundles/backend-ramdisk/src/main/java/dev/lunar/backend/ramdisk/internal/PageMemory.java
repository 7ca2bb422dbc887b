package dev.lunar.backend.ramdisk.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Allocates and accounts the direct memory of one RAM disk's frames, within a byte budget.
 *
 * <p>A freed frame's memory goes back to the operating system when the garbage collector collects
 * its {@link ByteBuffer} (the JDK's cleaner frees direct memory); Java 17 has no supported way to
 * free it earlier. The accounting here drops at once, so the budget and the reported allocation
 * follow UNMAP immediately, and {@code -XX:MaxDirectMemorySize} makes the JDK collect before it
 * runs out.
 */
final class PageMemory {

    static final int PAGE_SHIFT = 16;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;

    private final long limitBytes;
    private final AtomicLong allocated = new AtomicLong();

    PageMemory(long limitBytes) {
        this.limitBytes = limitBytes;
    }

    /** A zero-filled frame with one reference, or null when the budget or direct memory is exhausted. */
    Frame allocate() {
        long now = allocated.addAndGet(PAGE_SIZE);
        if (now > limitBytes) {
            allocated.addAndGet(-PAGE_SIZE);
            return null;
        }
        try {
            return new Frame(ByteBuffer.allocateDirect(PAGE_SIZE), this);
        } catch (OutOfMemoryError e) {
            // "Direct buffer memory": the JVM's direct memory limit, after the JDK already tried a
            // GC. The write fails with SPACE ALLOCATION FAILED; the process carries on.
            allocated.addAndGet(-PAGE_SIZE);
            return null;
        }
    }

    void free(Frame frame) {
        allocated.addAndGet(-PAGE_SIZE);
    }

    long allocatedBytes() {
        return allocated.get();
    }

    long limitBytes() {
        return limitBytes;
    }
}
