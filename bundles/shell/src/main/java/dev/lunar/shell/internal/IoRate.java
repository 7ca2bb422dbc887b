package dev.lunar.shell.internal;

import dev.lunar.api.IoStats;
import dev.lunar.api.LatencyHistogram;
import java.util.Arrays;

/**
 * What happened between two samples of one LUN's or session's monotonic counters ({@link IoStats}):
 * operations and bytes per second, and the latency histogram of just the operations completed in
 * between, so its percentiles describe the interval and not the whole uptime.
 *
 * @param readIops reads per second
 * @param writeIops writes per second
 * @param readBytesPerSecond bytes returned by reads per second
 * @param writeBytesPerSecond bytes taken by writes per second
 * @param errorsPerSecond commands ended in error per second
 * @param readLatency latency of the reads completed in the interval
 * @param writeLatency latency of the writes completed in the interval
 */
record IoRate(double readIops, double writeIops, double readBytesPerSecond, double writeBytesPerSecond,
        double errorsPerSecond, LatencyHistogram readLatency, LatencyHistogram writeLatency) {

    /**
     * The rates between two samples taken {@code elapsedNanos} apart. {@code earlier} is null for
     * an object that appeared during the interval; a counter that went backwards means the object
     * restarted (a LUN re-created, a backend replaced): then everything in {@code later} happened
     * since the restart, within the interval, and counts as such.
     */
    static IoRate between(IoStats earlier, IoStats later, long elapsedNanos) {
        if (elapsedNanos <= 0) {
            throw new IllegalArgumentException("samples must be taken at different times");
        }
        IoStats base = earlier == null || restarted(earlier, later) ? null : earlier;
        double seconds = elapsedNanos / 1e9;
        return new IoRate(
                (later.reads() - (base == null ? 0 : base.reads())) / seconds,
                (later.writes() - (base == null ? 0 : base.writes())) / seconds,
                (later.bytesRead() - (base == null ? 0 : base.bytesRead())) / seconds,
                (later.bytesWritten() - (base == null ? 0 : base.bytesWritten())) / seconds,
                (later.errors() - (base == null ? 0 : base.errors())) / seconds,
                difference(later.readLatency(), base == null ? null : base.readLatency()),
                difference(later.writeLatency(), base == null ? null : base.writeLatency()));
    }

    private static boolean restarted(IoStats earlier, IoStats later) {
        return later.reads() < earlier.reads() || later.writes() < earlier.writes()
                || later.others() < earlier.others() || later.bytesRead() < earlier.bytesRead()
                || later.bytesWritten() < earlier.bytesWritten() || later.errors() < earlier.errors();
    }

    /**
     * The operations recorded in {@code later} but not yet in {@code earlier}, bucket by bucket.
     * Histograms with different bucket bounds cannot be subtracted; {@code later} is returned then
     * (an upper estimate, never an invented number).
     */
    static LatencyHistogram difference(LatencyHistogram later, LatencyHistogram earlier) {
        if (later == null) {
            return empty();
        }
        if (earlier == null || !Arrays.equals(later.upperBoundsMicros(), earlier.upperBoundsMicros())) {
            return later;
        }
        long[] counts = new long[later.counts().length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = Math.max(0, later.counts()[i] - earlier.counts()[i]);
        }
        return new LatencyHistogram(later.upperBoundsMicros(), counts, Math.max(0, later.sumMicros() - earlier.sumMicros()));
    }

    static LatencyHistogram empty() {
        long[] bounds = LatencyHistogram.standardBoundsMicros();
        return new LatencyHistogram(bounds, new long[bounds.length], 0);
    }
}
