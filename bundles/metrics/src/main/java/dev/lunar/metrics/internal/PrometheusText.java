package dev.lunar.metrics.internal;

import dev.lunar.api.IoStats;
import dev.lunar.api.LatencyHistogram;
import dev.lunar.api.LunStats;
import dev.lunar.api.SessionStats;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TransportInfo;
import java.math.BigDecimal;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Renders Lunar's counters in the Prometheus text exposition format (version 0.0.4): one
 * {@code # HELP}/{@code # TYPE} block per metric family, every sample of the family under it,
 * counters with {@code _total}, latencies as cumulative histograms in seconds
 * ({@code _bucket{le=..}}, {@code _sum}, {@code _count}), the base unit Prometheus expects.
 * Pure function of its inputs; any thread.
 */
final class PrometheusText {

    /** The Content-Type a scraper expects for this format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    /** One counter family of {@link IoStats}. */
    private record Counter(String suffix, String help, ToLongFunction<IoStats> value) {
    }

    private static final List<Counter> IO_COUNTERS = List.of(
            new Counter("reads_total", "Read commands completed (READ 6/10/12/16).", IoStats::reads),
            new Counter("writes_total", "Write commands completed (WRITE, WRITE SAME, UNMAP, COMPARE AND WRITE, ...).",
                    IoStats::writes),
            new Counter("other_commands_total", "Other commands completed.", IoStats::others),
            new Counter("read_bytes_total", "Bytes returned by reads.", IoStats::bytesRead),
            new Counter("written_bytes_total", "Bytes taken by writes.", IoStats::bytesWritten),
            new Counter("errors_total", "Commands ended with CHECK CONDITION (other than unit attention) or aborted.",
                    IoStats::errors));

    private PrometheusText() {
    }

    /** The whole scrape: targets, transports, LUNs, sessions; any list may be empty. */
    static String render(List<TargetInfo> targets, List<TransportInfo> transports, List<LunStats> luns,
            List<SessionStats> sessions) {
        StringBuilder out = new StringBuilder(4096);
        header(out, "lunar_target_sessions", "Normal sessions logged in to the target.", "gauge");
        for (TargetInfo t : targets) {
            sample(out, "lunar_target_sessions", labels("target", t.iqn(), "name", t.name()), t.sessions());
        }
        header(out, "lunar_transport_connections", "Live connections carried by the transport.", "gauge");
        for (TransportInfo t : transports) {
            sample(out, "lunar_transport_connections", labels("kind", t.kind(), "wire", t.wire(), "bundle", t.bundle()),
                    t.connections());
        }
        header(out, "lunar_transport_portals", "Portals listening through the transport.", "gauge");
        for (TransportInfo t : transports) {
            sample(out, "lunar_transport_portals", labels("kind", t.kind(), "wire", t.wire(), "bundle", t.bundle()),
                    t.portals().size());
        }
        io(out, "lunar_lun", "LUN", luns,
                l -> labels("target", l.target(), "lun", Integer.toString(l.lun()), "name", l.name()), LunStats::io);
        io(out, "lunar_session", "session", sessions,
                s -> labels("tsih", Integer.toString(s.tsih()), "initiator", s.initiator(), "target", s.target()),
                SessionStats::io);
        return out.toString();
    }

    private static <T> void io(StringBuilder out, String prefix, String what, List<T> items,
            Function<T, String> labelsOf, Function<T, IoStats> statsOf) {
        for (Counter c : IO_COUNTERS) {
            String name = prefix + "_" + c.suffix();
            header(out, name, c.help() + " Per " + what + ".", "counter");
            for (T item : items) {
                sample(out, name, labelsOf.apply(item), c.value().applyAsLong(statsOf.apply(item)));
            }
        }
        histogram(out, prefix + "_read_latency_seconds", "Read latency from arrival to status, per " + what + ".",
                items, labelsOf, i -> statsOf.apply(i).readLatency());
        histogram(out, prefix + "_write_latency_seconds", "Write latency from arrival to status, per " + what + ".",
                items, labelsOf, i -> statsOf.apply(i).writeLatency());
    }

    private static <T> void histogram(StringBuilder out, String name, String help, List<T> items,
            Function<T, String> labelsOf, Function<T, LatencyHistogram> histogramOf) {
        header(out, name, help, "histogram");
        for (T item : items) {
            String labels = labelsOf.apply(item);
            LatencyHistogram h = histogramOf.apply(item);
            long cumulative = 0;
            long[] bounds = h.upperBoundsMicros();
            for (int i = 0; i < bounds.length; i++) {
                cumulative += h.counts()[i];
                String le = bounds[i] == Long.MAX_VALUE ? "+Inf" : seconds(bounds[i]);
                sample(out, name + "_bucket", labels + ",le=\"" + le + "\"", cumulative);
            }
            if (bounds.length == 0 || bounds[bounds.length - 1] != Long.MAX_VALUE) {
                // The format requires a +Inf bucket equal to the count.
                sample(out, name + "_bucket", labels + ",le=\"+Inf\"", cumulative);
            }
            out.append(name).append("_sum{").append(labels).append("} ").append(seconds(h.sumMicros())).append('\n');
            sample(out, name + "_count", labels, cumulative);
        }
    }

    /** Microseconds as decimal seconds without exponent or float rounding: 10 -> 0.00001. */
    static String seconds(long micros) {
        BigDecimal s = BigDecimal.valueOf(micros).movePointLeft(6).stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0).toPlainString() : s.toPlainString();
    }

    private static void header(StringBuilder out, String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, String labels, long value) {
        out.append(name).append('{').append(labels).append("} ").append(value).append('\n');
    }

    /** {@code k1="v1",k2="v2"} with values escaped as the format requires (backslash, quote, newline). */
    static String labels(String... keyValues) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < keyValues.length; i += 2) {
            if (i > 0) {
                b.append(',');
            }
            b.append(keyValues[i]).append("=\"");
            String v = keyValues[i + 1] == null ? "" : keyValues[i + 1];
            for (int j = 0; j < v.length(); j++) {
                char c = v.charAt(j);
                switch (c) {
                    case '\\' -> b.append("\\\\");
                    case '"' -> b.append("\\\"");
                    case '\n' -> b.append("\\n");
                    default -> b.append(c);
                }
            }
            b.append('"');
        }
        return b.toString();
    }
}
