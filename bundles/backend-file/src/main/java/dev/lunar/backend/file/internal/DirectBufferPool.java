package dev.lunar.backend.file.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Direct buffers for reads that copy (no zero-copy file region) and for O_DIRECT bounce buffers,
 * in power-of-two size classes from 4 KiB to the device's largest transfer, every one aligned to
 * 4 KiB (what O_DIRECT needs on the filesystems and devices we meet). A released buffer goes back
 * to its class unless the class already keeps its share (32 buffers, or 4 MiB for the large
 * classes), so the steady state allocates nothing and the pool holds at most about 28 MiB. One
 * pool serves every LUN of the backend. Thread safe; never blocks.
 */
final class DirectBufferPool {

    static final int ALIGNMENT = 4096;
    private static final int MIN_SHIFT = 12;
    private static final int KEEP_COUNT = 32;
    private static final int KEEP_BYTES = 4 << 20;

    private final List<ConcurrentLinkedQueue<ByteBuffer>> classes;
    private final AtomicIntegerArray kept;
    private final int maxBytes;

    DirectBufferPool(int maxBytes) {
        int top = shiftFor(maxBytes);
        this.maxBytes = 1 << top;
        List<ConcurrentLinkedQueue<ByteBuffer>> queues = new ArrayList<>();
        for (int shift = MIN_SHIFT; shift <= top; shift++) {
            queues.add(new ConcurrentLinkedQueue<>());
        }
        this.classes = List.copyOf(queues);
        this.kept = new AtomicIntegerArray(classes.size());
    }

    private static int shiftFor(int bytes) {
        int shift = 32 - Integer.numberOfLeadingZeros(Math.max(bytes, 1 << MIN_SHIFT) - 1);
        return Math.max(shift, MIN_SHIFT);
    }

    /**
     * A 4 KiB-aligned direct buffer with at least {@code length} bytes, position 0 and limit
     * {@code length}; contents unspecified. Give it back with {@link #recycle}.
     */
    ByteBuffer take(int length) {
        if (length > maxBytes) {
            return aligned(length).limit(length);
        }
        int cls = shiftFor(length) - MIN_SHIFT;
        ByteBuffer b = classes.get(cls).poll();
        if (b != null) {
            kept.decrementAndGet(cls);
        } else {
            b = aligned(1 << (cls + MIN_SHIFT));
        }
        return b.clear().limit(length);
    }

    void recycle(ByteBuffer b) {
        int capacity = b.capacity();
        if (Integer.bitCount(capacity) != 1 || capacity > maxBytes || capacity < (1 << MIN_SHIFT)) {
            return;
        }
        int cls = shiftFor(capacity) - MIN_SHIFT;
        int keep = Math.max(1, Math.min(KEEP_COUNT, KEEP_BYTES / capacity));
        if (kept.incrementAndGet(cls) <= keep) {
            classes.get(cls).offer(b);
        } else {
            kept.decrementAndGet(cls);
        }
    }

    private static ByteBuffer aligned(int length) {
        int rounded = (length + ALIGNMENT - 1) & -ALIGNMENT;
        return ByteBuffer.allocateDirect(rounded + ALIGNMENT).alignedSlice(ALIGNMENT).limit(length).slice();
    }
}
