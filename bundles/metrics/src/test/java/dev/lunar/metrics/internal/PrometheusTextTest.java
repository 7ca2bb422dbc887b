package dev.lunar.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.IoStatsRecorder;
import dev.lunar.api.LunStats;
import dev.lunar.api.SessionStats;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TransportInfo;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

    private static final String IQN = "iqn.2026-01.dev.lunar:web";

    private static String scrape() {
        IoStatsRecorder lun = new IoStatsRecorder();
        lun.record(IoStatsRecorder.Kind.READ, 4096, 15_000, false);        // 15 µs
        lun.record(IoStatsRecorder.Kind.READ, 8192, 3_000_000, false);     // 3 ms
        lun.record(IoStatsRecorder.Kind.WRITE, 512, 40_000_000_000L, true); // 40 s: only in +Inf
        IoStatsRecorder session = new IoStatsRecorder();
        session.record(IoStatsRecorder.Kind.OTHER, 0, 1000, false);
        return PrometheusText.render(List.of(new TargetInfo("web", IQN, "", "none", 1)),
                List.of(new TransportInfo("tcp", "tcp", "dev.lunar.transport-tcp 0.1.0", List.of("default"), 2)),
                List.of(new LunStats("web-0", IQN, 0, lun.snapshot())),
                List.of(new SessionStats(7, "iqn.1994-05.com.redhat:a\"b", IQN, session.snapshot())));
    }

    private static List<String> lines(String text) {
        return Arrays.asList(text.split("\n"));
    }

    @Test
    void countersCarryTheirLabelsAndValues() {
        List<String> l = lines(scrape());
        String lunLabels = "target=\"" + IQN + "\",lun=\"0\",name=\"web-0\"";
        assertTrue(l.contains("lunar_lun_reads_total{" + lunLabels + "} 2"), String.join("\n", l));
        assertTrue(l.contains("lunar_lun_writes_total{" + lunLabels + "} 1"));
        assertTrue(l.contains("lunar_lun_read_bytes_total{" + lunLabels + "} 12288"));
        assertTrue(l.contains("lunar_lun_written_bytes_total{" + lunLabels + "} 512"));
        assertTrue(l.contains("lunar_lun_errors_total{" + lunLabels + "} 1"));
        assertTrue(l.contains("lunar_target_sessions{target=\"" + IQN + "\",name=\"web\"} 1"));
        assertTrue(l.contains(
                "lunar_transport_connections{kind=\"tcp\",wire=\"tcp\",bundle=\"dev.lunar.transport-tcp 0.1.0\"} 2"));
        assertTrue(l.contains("# TYPE lunar_lun_reads_total counter"));
        assertTrue(l.contains("# TYPE lunar_lun_read_latency_seconds histogram"));
    }

    @Test
    void histogramsAreCumulativeInSecondsWithInfSumAndCount() {
        List<String> l = lines(scrape());
        String p = "lunar_lun_read_latency_seconds_bucket{target=\"" + IQN + "\",lun=\"0\",name=\"web-0\",le=\"";
        assertTrue(l.contains(p + "0.00001\"} 0"), String.join("\n", l));
        assertTrue(l.contains(p + "0.00002\"} 1"));
        assertTrue(l.contains(p + "0.002\"} 1"));
        assertTrue(l.contains(p + "0.005\"} 2"));
        assertTrue(l.contains(p + "10\"} 2"));
        assertTrue(l.contains(p + "+Inf\"} 2"));
        assertTrue(l.contains("lunar_lun_read_latency_seconds_sum{target=\"" + IQN + "\",lun=\"0\",name=\"web-0\"} 0.003015"));
        assertTrue(l.contains("lunar_lun_read_latency_seconds_count{target=\"" + IQN + "\",lun=\"0\",name=\"web-0\"} 2"));
        String w = "lunar_lun_write_latency_seconds_bucket{target=\"" + IQN + "\",lun=\"0\",name=\"web-0\",le=\"";
        assertTrue(l.contains(w + "10\"} 0"));
        assertTrue(l.contains(w + "+Inf\"} 1"));
        assertEquals(21, l.stream().filter(s -> s.startsWith("lunar_lun_read_latency_seconds_bucket")).count() + 1,
                "20 standard buckets (+Inf included), plus nothing else");
    }

    @Test
    void labelValuesAreEscapedAndEveryFamilyIsDeclaredOnce() {
        String text = scrape();
        assertTrue(text.contains("initiator=\"iqn.1994-05.com.redhat:a\\\"b\""), text);
        assertEquals("a=\"x\\\\y\\nz\"", PrometheusText.labels("a", "x\\y\nz"));
        List<String> types = lines(text).stream().filter(s -> s.startsWith("# TYPE ")).toList();
        assertEquals(types.size(), types.stream().distinct().count());
        // Every sample belongs to the family declared last before it.
        String family = null;
        for (String s : lines(text)) {
            if (s.startsWith("# TYPE ")) {
                family = s.split(" ")[2];
            } else if (!s.startsWith("#")) {
                assertTrue(family != null && s.startsWith(family), s + " outside its family " + family);
            }
        }
    }

    @Test
    void secondsArePlainDecimals() {
        assertEquals("0.00001", PrometheusText.seconds(10));
        assertEquals("0.5", PrometheusText.seconds(500_000));
        assertEquals("10", PrometheusText.seconds(10_000_000));
        assertEquals("0", PrometheusText.seconds(0));
    }
}
