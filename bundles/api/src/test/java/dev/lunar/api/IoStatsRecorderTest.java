package dev.lunar.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.IoStatsRecorder.Kind;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class IoStatsRecorderTest {

    private static final long[] BOUNDS = LatencyHistogram.standardBoundsMicros();

    @Test
    void aLatencyOnABoundCountsInThatBucketAndOneNanosecondMoreInTheNext() {
        for (int i = 0; i < BOUNDS.length - 1; i++) {
            long nanos = BOUNDS[i] * 1000;
            assertEquals(i, IoStatsRecorder.bucketOf(nanos), "exactly " + BOUNDS[i] + " µs");
            assertEquals(i + 1, IoStatsRecorder.bucketOf(nanos + 1), "just above " + BOUNDS[i] + " µs");
        }
        assertEquals(0, IoStatsRecorder.bucketOf(0));
        assertEquals(0, IoStatsRecorder.bucketOf(-5));
        assertEquals(0, IoStatsRecorder.bucketOf(1));
        assertEquals(BOUNDS.length - 1, IoStatsRecorder.bucketOf(Long.MAX_VALUE));
        assertEquals(BOUNDS.length - 1, IoStatsRecorder.bucketOf(10_000_000_001_000L));
    }

    @Test
    void countersFollowTheKindAndTheHistogramsHoldOnlyReadsAndWrites() {
        IoStatsRecorder r = new IoStatsRecorder();
        r.record(Kind.READ, 4096, 15_000, false);
        r.record(Kind.READ, 512, 150_000, true);
        r.record(Kind.WRITE, 8192, 3_000_000, false);
        r.record(Kind.OTHER, 36, 1_000_000_000, true);
        IoStats s = r.snapshot();
        assertEquals(2, s.reads());
        assertEquals(1, s.writes());
        assertEquals(1, s.others());
        assertEquals(4608, s.bytesRead());
        assertEquals(8192, s.bytesWritten());
        assertEquals(2, s.errors());
        assertEquals(2, s.readLatency().count());
        assertEquals(1, s.writeLatency().count());
        assertEquals(165, s.readLatency().sumMicros());
        assertEquals(3000, s.writeLatency().sumMicros());
        assertArrayEquals(BOUNDS, s.readLatency().upperBoundsMicros());
        // 15 µs -> the 20 µs bucket (index 1), 150 µs -> the 200 µs bucket (index 4).
        assertEquals(1, s.readLatency().counts()[1]);
        assertEquals(1, s.readLatency().counts()[4]);
    }

    @Test
    void percentilesAreTheUpperBoundOfTheBucketHoldingTheRank() {
        IoStatsRecorder r = new IoStatsRecorder();
        for (int i = 0; i < 90; i++) {
            r.record(Kind.READ, 0, 40_000, false);       // 40 µs -> 50 µs bucket
        }
        for (int i = 0; i < 9; i++) {
            r.record(Kind.READ, 0, 700_000, false);      // 700 µs -> 1 ms bucket
        }
        r.record(Kind.READ, 0, 30_000_000_000L, false);  // 30 s -> the open-ended bucket
        LatencyHistogram h = r.snapshot().readLatency();
        assertEquals(50, h.percentileMicros(0.5));
        assertEquals(50, h.percentileMicros(0.9));
        assertEquals(1_000, h.percentileMicros(0.95));
        assertEquals(1_000, h.percentileMicros(0.99));
        assertEquals(Long.MAX_VALUE, h.percentileMicros(1.0));
        assertEquals(0, new IoStatsRecorder().snapshot().readLatency().percentileMicros(0.99));
    }

    @Test
    void theOpcodeTableNamesReadsAndWritesAsIoStatsDefinesThem() {
        for (int op : new int[] {0x08, 0x28, 0xa8, 0x88}) {
            assertEquals(Kind.READ, IoStatsRecorder.kindOf(op), Integer.toHexString(op));
        }
        for (int op : new int[] {0x0a, 0x2a, 0xaa, 0x8a, 0x2e, 0xae, 0x8e, 0x41, 0x93, 0x8b, 0x89, 0x42, 0x9c}) {
            assertEquals(Kind.WRITE, IoStatsRecorder.kindOf(op), Integer.toHexString(op));
        }
        // INQUIRY, TEST UNIT READY, VERIFY(10), PRE-FETCH(10), SYNCHRONIZE CACHE(10), EXTENDED COPY
        for (int op : new int[] {0x12, 0x00, 0x2f, 0x34, 0x35, 0x83}) {
            assertEquals(Kind.OTHER, IoStatsRecorder.kindOf(op), Integer.toHexString(op));
        }
        assertEquals(Kind.READ, IoStatsRecorder.kindOf(0x128), "only the low byte is the opcode");
    }

    @Test
    void concurrentRecordersLoseNoCount() throws Exception {
        IoStatsRecorder r = new IoStatsRecorder();
        int threads = 4;
        int perThread = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    r.record(i % 2 == 0 ? Kind.READ : Kind.WRITE, 512, (id + 1) * 1_000L, i % 10 == 0);
                }
            });
            th.start();
            all.add(th);
        }
        start.countDown();
        for (Thread th : all) {
            th.join();
        }
        IoStats s = r.snapshot();
        long total = (long) threads * perThread;
        assertEquals(total / 2, s.reads());
        assertEquals(total / 2, s.writes());
        assertEquals(total / 10, s.errors());
        assertEquals(total / 2 * 512, s.bytesRead());
        assertEquals(s.reads(), s.readLatency().count());
        assertEquals(s.writes(), s.writeLatency().count());
        // Latencies 1..4 µs all fall in the first bucket.
        assertEquals(s.reads(), s.readLatency().counts()[0]);
    }

    @Test
    void recordingAllocatesNothingInSteadyState() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        IoStatsRecorder r = new IoStatsRecorder();
        long tid = Thread.currentThread().getId();
        // Warm up (class loading, JIT of the loop) before measuring.
        for (int i = 0; i < 100_000; i++) {
            r.record(Kind.values()[i % 3], 4096, i * 37L, (i & 7) == 0);
        }
        Kind[] kinds = {Kind.READ, Kind.WRITE, Kind.OTHER};
        long before = mx.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 100_000; i++) {
            r.record(kinds[i % 3], 4096, i * 37L, (i & 7) == 0);
        }
        long allocated = mx.getThreadAllocatedBytes(tid) - before;
        // One allocation per call would be >= 1.6 MB; the bound leaves room for the MXBean itself.
        assertTrue(allocated < 64 * 1024, "100k record() calls allocated " + allocated + " bytes");
        assertEquals(200_000, r.snapshot().reads() + r.snapshot().writes() + r.snapshot().others());
    }
}
