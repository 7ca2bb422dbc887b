package dev.lunar.shell.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.lunar.api.IoStats;
import dev.lunar.api.LatencyHistogram;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IoRateTest {

    private static final long TWO_SECONDS = TimeUnit.SECONDS.toNanos(2);

    /** A standard histogram with {@code n} operations in the bucket whose bound is {@code micros}. */
    static LatencyHistogram histogram(long... microsAndCounts) {
        long[] bounds = LatencyHistogram.standardBoundsMicros();
        long[] counts = new long[bounds.length];
        long sum = 0;
        for (int i = 0; i < microsAndCounts.length; i += 2) {
            int bucket = java.util.Arrays.binarySearch(bounds, microsAndCounts[i]);
            counts[bucket] += microsAndCounts[i + 1];
            sum += microsAndCounts[i] * microsAndCounts[i + 1];
        }
        return new LatencyHistogram(bounds, counts, sum);
    }

    static IoStats io(long reads, long writes, long bytesRead, long bytesWritten, long errors,
            LatencyHistogram readLatency, LatencyHistogram writeLatency) {
        return new IoStats(reads, writes, 0, bytesRead, bytesWritten, errors, readLatency, writeLatency);
    }

    @Test
    void ratesAreTheDifferenceOverTheInterval() {
        IoStats before = io(1_000, 500, 4_000_000, 2_000_000, 1, histogram(100, 1_000), histogram(200, 500));
        IoStats after = io(1_200, 900, 104_000_000, 52_000_000, 3,
                histogram(100, 1_100, 1_000, 100), histogram(200, 900));

        IoRate rate = IoRate.between(before, after, TWO_SECONDS);

        assertEquals(100.0, rate.readIops());
        assertEquals(200.0, rate.writeIops());
        assertEquals(50_000_000.0, rate.readBytesPerSecond());
        assertEquals(25_000_000.0, rate.writeBytesPerSecond());
        assertEquals(1.0, rate.errorsPerSecond());
        // Only the interval's 200 reads: half at 100 µs, half at 1 ms, so p50 is 100 µs and p99 1 ms
        // (over the whole uptime p99 would still be 100 µs).
        assertEquals(200, rate.readLatency().count());
        assertEquals(100, rate.readLatency().percentileMicros(0.50));
        assertEquals(1_000, rate.readLatency().percentileMicros(0.99));
        assertEquals(100 * 100 + 100 * 1_000, rate.readLatency().sumMicros());
        assertEquals(400, rate.writeLatency().count());
    }

    @Test
    void anObjectThatAppearedDuringTheIntervalCountsWhollyInIt() {
        IoStats after = io(10, 0, 40_960, 0, 0, histogram(50, 10), histogram());

        IoRate rate = IoRate.between(null, after, TWO_SECONDS);

        assertEquals(5.0, rate.readIops());
        assertEquals(20_480.0, rate.readBytesPerSecond());
        assertEquals(10, rate.readLatency().count());
    }

    @Test
    void countersGoingBackwardsMeanARestartNotNegativeRates() {
        IoStats before = io(1_000, 1_000, 1 << 20, 1 << 20, 0, histogram(100, 1_000), histogram(100, 1_000));
        IoStats after = io(4, 2, 4096, 2048, 0, histogram(100, 4), histogram(100, 2));

        IoRate rate = IoRate.between(before, after, TWO_SECONDS);

        assertEquals(2.0, rate.readIops());
        assertEquals(1.0, rate.writeIops());
        assertEquals(4, rate.readLatency().count());
    }

    @Test
    void histogramsWithOtherBucketsAreNotSubtracted() {
        LatencyHistogram later = new LatencyHistogram(new long[] {1, Long.MAX_VALUE}, new long[] {3, 1}, 10);
        LatencyHistogram earlier = histogram(10, 1);

        assertSame(later, IoRate.difference(later, earlier));
        assertArrayEquals(new long[LatencyHistogram.standardBoundsMicros().length], IoRate.difference(null, null).counts());
    }
}
