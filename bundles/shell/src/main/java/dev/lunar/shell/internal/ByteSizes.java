package dev.lunar.shell.internal;

import dev.lunar.spi.backend.BackendOptions;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Byte counts as an operator types and reads them. Parsing is exactly the backends' own
 * ({@link BackendOptions#parseSize}: {@code 512}, {@code 4k}, {@code 1GiB}, {@code 10G}, binary
 * units), so a size the shell accepts is a size the backend accepts.
 */
final class ByteSizes {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private ByteSizes() {
    }

    /**
     * A positive byte count.
     *
     * @param option the option or argument it came from, for the error sentence
     * @throws IllegalArgumentException naming the value and showing good ones
     */
    static long parse(String option, String raw) {
        long bytes = BackendOptions.parseSize(raw).orElseThrow(() -> new IllegalArgumentException(
                option + " '" + raw + "' is not a size; write a byte count such as 512, 4k, 1GiB or 10G"
                        + " (binary units: 1k = 1024)."));
        if (bytes <= 0) {
            throw new IllegalArgumentException(option + " must be more than 0 bytes, not '" + raw + "'.");
        }
        return bytes;
    }

    /** {@code 1 GiB}, {@code 1.5 GiB}, {@code 512 B}: the largest unit that keeps a number of at least 1. */
    static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
        BigDecimal value = BigDecimal.valueOf(bytes).divide(BigDecimal.valueOf(1L << (10 * unit)), 2,
                RoundingMode.HALF_UP).stripTrailingZeros();
        return value.toPlainString() + " " + UNITS[unit];
    }
}
