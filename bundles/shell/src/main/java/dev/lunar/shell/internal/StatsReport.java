package dev.lunar.shell.internal;

import dev.lunar.api.IoStats;
import dev.lunar.api.LatencyHistogram;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.karaf.shell.support.table.ShellTable;

/**
 * The tables of {@code lunar:stats}: rates between two samples, or totals since start. Separate
 * from the command so the arithmetic and the layout are tested without a framework.
 */
final class StatsReport {

    /**
     * One LUN's or session's counters.
     *
     * @param key what identifies it in both samples (LUN name, TSIH)
     * @param owner what it belongs to, for the second column (target IQN, initiator)
     */
    record Sample(String key, String owner, IoStats io) {
    }

    /** The percentiles shown for latency, as {@code p50/p99/p99.9}. */
    private static final double[] QUANTILES = {0.50, 0.99, 0.999};

    private static final double MEGABYTE = 1_000_000d;

    private StatsReport() {
    }

    /** Rates of everything in {@code later}, against the same key in {@code earlier}. */
    static void printRates(PrintStream out, boolean format, String keyColumn, String ownerColumn,
            List<Sample> earlier, List<Sample> later, long elapsedNanos) {
        Map<String, IoStats> before = earlier.stream().collect(Collectors.toMap(Sample::key, Sample::io, (a, b) -> a));
        ShellTable table = new ShellTable().emptyTableText("nothing to sample");
        table.column(keyColumn);
        table.column(ownerColumn);
        table.column("Read IOPS").alignRight();
        table.column("Write IOPS").alignRight();
        table.column("Read MB/s").alignRight();
        table.column("Write MB/s").alignRight();
        table.column("Errors/s").alignRight();
        table.column("Read p50/p99/p99.9");
        table.column("Write p50/p99/p99.9");
        for (Sample s : later) {
            IoRate r = IoRate.between(before.get(s.key()), s.io(), elapsedNanos);
            table.addRow().addContent(s.key(), s.owner(), decimal(r.readIops()), decimal(r.writeIops()),
                    decimal(r.readBytesPerSecond() / MEGABYTE), decimal(r.writeBytesPerSecond() / MEGABYTE),
                    decimal(r.errorsPerSecond()), percentiles(r.readLatency()), percentiles(r.writeLatency()));
        }
        table.print(out, format);
    }

    /** Counters since each object started. */
    static void printTotals(PrintStream out, boolean format, String keyColumn, String ownerColumn,
            List<Sample> samples) {
        ShellTable table = new ShellTable().emptyTableText("nothing counted");
        table.column(keyColumn);
        table.column(ownerColumn);
        table.column("Reads").alignRight();
        table.column("Writes").alignRight();
        table.column("Others").alignRight();
        table.column("Read").alignRight();
        table.column("Written").alignRight();
        table.column("Errors").alignRight();
        table.column("Read p50/p99/p99.9");
        table.column("Write p50/p99/p99.9");
        for (Sample s : samples) {
            IoStats io = s.io();
            table.addRow().addContent(s.key(), s.owner(), io.reads(), io.writes(), io.others(),
                    ByteSizes.format(io.bytesRead()), ByteSizes.format(io.bytesWritten()), io.errors(),
                    percentiles(io.readLatency()), percentiles(io.writeLatency()));
        }
        table.print(out, format);
    }

    static String decimal(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    /** {@code 50us/200us/1ms}, or {@code -} when nothing completed. */
    static String percentiles(LatencyHistogram histogram) {
        if (histogram == null || histogram.count() == 0) {
            return "-";
        }
        StringBuilder text = new StringBuilder();
        for (double q : QUANTILES) {
            if (text.length() > 0) {
                text.append('/');
            }
            text.append(latency(histogram, histogram.percentileMicros(q)));
        }
        return text.toString();
    }

    /** A bucket bound in the unit that keeps it short; the open last bucket reads {@code >10s}. */
    static String latency(LatencyHistogram histogram, long micros) {
        if (micros == Long.MAX_VALUE) {
            long[] bounds = histogram.upperBoundsMicros();
            long lastFinite = bounds.length > 1 ? bounds[bounds.length - 2] : 0;
            return ">" + micros(lastFinite);
        }
        return micros(micros);
    }

    static String micros(long micros) {
        if (micros < 1_000) {
            return micros + "us";
        }
        if (micros < 1_000_000) {
            return trim(micros / 1e3) + "ms";
        }
        return trim(micros / 1e6) + "s";
    }

    private static String trim(double value) {
        String s = String.format(Locale.ROOT, "%.1f", value);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }
}
