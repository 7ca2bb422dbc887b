package dev.lunar.api;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts completed commands into the monotonic counters and latency histograms of an
 * {@link IoStats}: one recorder per LUN in the scsi bundle, one per session in the iscsi bundle,
 * so both count with the same meaning ({@link #kindOf}) and the same buckets
 * ({@link LatencyHistogram#standardBoundsMicros()}).
 *
 * <p>Threading: {@link #record} may be called from any number of threads at once (I/O threads,
 * backend completion threads); it never blocks and takes no lock. Counters are {@link LongAdder}s,
 * so concurrent recorders touch different cells instead of contending on one word. After the
 * adders have grown their cells (once, under contention) {@code record} allocates nothing, which
 * is what lets it run once per command on the hot path.
 *
 * <p>{@link #snapshot()} may run concurrently with {@code record} from any thread; it allocates
 * the returned value. Each counter in it is exact and never goes backwards between snapshots, but
 * the counters are not read at one instant: a command completing during the snapshot may show up
 * in {@code reads} and not yet in the read histogram. Rates computed over an interval absorb that.
 */
public final class IoStatsRecorder {

    /** How a command counts: by its operation code, the same in every bundle. */
    public enum Kind {
        /** READ(6/10/12/16). */
        READ,
        /**
         * Commands that take data for the medium: WRITE(6/10/12/16), WRITE AND VERIFY(10/12/16),
         * WRITE SAME(10/16), ORWRITE(16), COMPARE AND WRITE, UNMAP, WRITE ATOMIC(16).
         */
        WRITE,
        /** Everything else (INQUIRY, TEST UNIT READY, MODE SENSE, VERIFY, PRE-FETCH...). */
        OTHER
    }

    private static final long[] BOUNDS_MICROS = LatencyHistogram.standardBoundsMicros();
    /** Operation code to kind (SBC-4 §5 opcodes); a table, so adding one is one entry. */
    private static final Kind[] KIND_BY_OPCODE = new Kind[256];

    static {
        Arrays.fill(KIND_BY_OPCODE, Kind.OTHER);
        for (int op : new int[] {0x08, 0x28, 0xa8, 0x88}) {
            KIND_BY_OPCODE[op] = Kind.READ;
        }
        for (int op : new int[] {
            0x0a, 0x2a, 0xaa, 0x8a,    // WRITE(6/10/12/16)
            0x2e, 0xae, 0x8e,          // WRITE AND VERIFY(10/12/16)
            0x41, 0x93,                // WRITE SAME(10/16)
            0x8b,                      // ORWRITE(16)
            0x89,                      // COMPARE AND WRITE
            0x42,                      // UNMAP
            0x9c}) {                   // WRITE ATOMIC(16)
            KIND_BY_OPCODE[op] = Kind.WRITE;
        }
    }

    private final LongAdder reads = new LongAdder();
    private final LongAdder writes = new LongAdder();
    private final LongAdder others = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final Histogram readLatency = new Histogram();
    private final Histogram writeLatency = new Histogram();

    /** The kind of a command by its operation code (CDB byte 0); any int, only the low 8 bits count. */
    public static Kind kindOf(int opcode) {
        return KIND_BY_OPCODE[opcode & 0xff];
    }

    /**
     * Counts one completed command. Any thread; never blocks; allocates nothing in steady state.
     *
     * @param kind what the command was ({@link #kindOf})
     * @param bytes data moved for it: Data-In for a read, Data-Out for a write; ignored for others
     * @param latencyNanos arrival to status, in nanoseconds (negative counts as 0); ignored for others
     * @param error it ended with CHECK CONDITION other than a unit attention, or was aborted
     */
    public void record(Kind kind, long bytes, long latencyNanos, boolean error) {
        switch (kind) {
            case READ -> {
                reads.increment();
                bytesRead.add(Math.max(bytes, 0));
                readLatency.add(latencyNanos);
            }
            case WRITE -> {
                writes.increment();
                bytesWritten.add(Math.max(bytes, 0));
                writeLatency.add(latencyNanos);
            }
            default -> others.increment();
        }
        if (error) {
            errors.increment();
        }
    }

    /** The counters now; see the class comment for what "now" means under concurrency. Any thread. */
    public IoStats snapshot() {
        return new IoStats(reads.sum(), writes.sum(), others.sum(), bytesRead.sum(), bytesWritten.sum(),
                errors.sum(), readLatency.snapshot(), writeLatency.snapshot());
    }

    /**
     * The bucket a latency falls in: the first bound {@code >=} the latency rounded up to whole
     * microseconds (so 10.2 µs counts above the 10 µs bound, keeping percentiles an upper
     * estimate). A binary search over a constant array: no allocation.
     */
    static int bucketOf(long latencyNanos) {
        long micros = latencyNanos <= 0 ? 0 : latencyNanos / 1000 + (latencyNanos % 1000 == 0 ? 0 : 1);
        int i = Arrays.binarySearch(BOUNDS_MICROS, micros);
        // Not found: -(insertion point) - 1; the last bound is Long.MAX_VALUE, so it is in range.
        return i >= 0 ? i : -i - 1;
    }

    /** Buckets and sum of one latency histogram; the sum is kept in nanoseconds, reported in µs. */
    private static final class Histogram {
        private final LongAdder[] buckets = new LongAdder[BOUNDS_MICROS.length];
        private final LongAdder sumNanos = new LongAdder();

        Histogram() {
            for (int i = 0; i < buckets.length; i++) {
                buckets[i] = new LongAdder();
            }
        }

        void add(long latencyNanos) {
            long n = Math.max(latencyNanos, 0);
            buckets[bucketOf(n)].increment();
            sumNanos.add(n);
        }

        LatencyHistogram snapshot() {
            long[] counts = new long[buckets.length];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = buckets[i].sum();
            }
            return new LatencyHistogram(BOUNDS_MICROS.clone(), counts, sumNanos.sum() / 1000);
        }
    }
}
