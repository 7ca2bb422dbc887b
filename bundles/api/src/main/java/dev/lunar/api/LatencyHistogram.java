package dev.lunar.api;

/**
 * Command latencies counted in fixed buckets (Prometheus-style, cumulative is computed by
 * readers). {@code counts[i]} counts latencies {@code <= upperBoundsMicros[i]} and above the
 * previous bound; the last bound is {@link Long#MAX_VALUE}. Counters only grow.
 *
 * @param upperBoundsMicros bucket upper bounds in microseconds, ascending
 * @param counts commands per bucket
 * @param sumMicros sum of all latencies in microseconds
 */
public record LatencyHistogram(long[] upperBoundsMicros, long[] counts, long sumMicros) {

    /** The bucket bounds every Lunar histogram uses: 1-2-5 steps from 10 µs to 10 s. */
    public static long[] standardBoundsMicros() {
        return new long[] {10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000,
            100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, Long.MAX_VALUE};
    }

    public long count() {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }

    /**
     * The upper bound of the bucket holding quantile {@code q} (0..1): an upper estimate, as
     * precise as the buckets. 0 when empty.
     */
    public long percentileMicros(double q) {
        long total = count();
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank && counts[i] > 0) {
                return upperBoundsMicros[i];
            }
        }
        return upperBoundsMicros[upperBoundsMicros.length - 1];
    }
}
