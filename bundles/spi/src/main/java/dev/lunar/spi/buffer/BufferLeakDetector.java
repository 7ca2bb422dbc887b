package dev.lunar.spi.buffer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts live {@link DataBuffer}s; with {@code -Dlunar.buffer.leakDetection=true} (set for every
 * test run by the build) it also remembers where each live buffer was allocated, so a test can
 * assert that a scenario released everything and say where a leak came from.
 */
public final class BufferLeakDetector {

    private static final boolean TRACE = Boolean.getBoolean("lunar.buffer.leakDetection");
    private static final LongAdder LIVE = new LongAdder();
    private static final Map<DataBuffer, Throwable> ORIGINS =
            Collections.synchronizedMap(new IdentityHashMap<>());

    private BufferLeakDetector() {
    }

    static void track(DataBuffer buffer) {
        LIVE.increment();
        if (TRACE) {
            ORIGINS.put(buffer, new Throwable("allocated here"));
        }
    }

    static void untrack(DataBuffer buffer) {
        LIVE.decrement();
        if (TRACE) {
            ORIGINS.remove(buffer);
        }
    }

    /** Buffers allocated and not yet released, in this JVM. */
    public static long live() {
        return LIVE.sum();
    }

    /** Whether allocation sites are being recorded. */
    public static boolean tracing() {
        return TRACE;
    }

    /** The allocation sites of the buffers still live (empty unless tracing). */
    public static List<Throwable> liveOrigins() {
        synchronized (ORIGINS) {
            return new ArrayList<>(ORIGINS.values());
        }
    }
}
