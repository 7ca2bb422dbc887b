package dev.lunar.shell.internal;

import static dev.lunar.shell.internal.IoRateTest.histogram;
import static dev.lunar.shell.internal.IoRateTest.io;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.api.LatencyHistogram;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StatsReportTest {

    @Test
    void percentilesReadInTheirUnit() {
        assertEquals("-", StatsReport.percentiles(histogram()));
        assertEquals("50us/50us/50us", StatsReport.percentiles(histogram(50, 10)));
        // 1000 operations: 989 at 20 µs, 9 at 2 ms, 2 beyond 10 s.
        LatencyHistogram h = histogram(20, 989, 2_000, 9, Long.MAX_VALUE, 2);
        assertEquals("20us/2ms/>10s", StatsReport.percentiles(h));
        assertEquals("1.5ms", StatsReport.micros(1_500));
        assertEquals("2s", StatsReport.micros(2_000_000));
    }

    @Test
    void ratesTableHasOneRowPerObjectOfTheSecondSample() {
        List<StatsReport.Sample> first = List.of(
                new StatsReport.Sample("db", "iqn.t", io(100, 0, 0, 0, 0, histogram(100, 100), histogram())));
        List<StatsReport.Sample> second = List.of(
                new StatsReport.Sample("db", "iqn.t", io(300, 50, 8_000_000, 1_000_000, 0,
                        histogram(100, 300), histogram(500, 50))),
                new StatsReport.Sample("new", "iqn.t", io(1, 0, 512, 0, 0, histogram(10, 1), histogram())));

        String text = render(out -> StatsReport.printRates(out, false, "LUN", "Target", first, second,
                TimeUnit.SECONDS.toNanos(1)));

        assertTrue(text.contains("db|iqn.t|200.0|50.0|8.0|1.0|0.0|100us/100us/100us|500us/500us/500us"), text);
        assertTrue(text.contains("new|iqn.t|1.0|0.0|0.0|0.0|0.0|10us/10us/10us|-"), text);
    }

    @Test
    void totalsTableShowsCountsAndBytes() {
        String text = render(out -> StatsReport.printTotals(out, false, "TSIH", "Initiator", List.of(
                new StatsReport.Sample("7", "iqn.i", io(3, 4, 3 << 20, 1 << 30, 1, histogram(200, 3), histogram(5_000, 4))))));

        assertTrue(text.contains("7|iqn.i|3|4|0|3 MiB|1 GiB|1|200us/200us/200us|5ms/5ms/5ms"), text);
    }

    private static String render(java.util.function.Consumer<PrintStream> printer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            printer.accept(out);
        }
        return bytes.toString(StandardCharsets.UTF_8).replaceAll(" *\t *", "|");
    }
}
