package dev.lunar.spi.backend;

import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LUN's backend options, read the way an admin writes them: the one option vocabulary every
 * backend shares ({@code size=1GiB}, {@code blockSize=4096}, {@code readOnly=true}), so that a LUN
 * configuration means the same thing whichever backend opens it. Keys are case-insensitive
 * (Config Admin treats property names that way); every parse error is a {@link BackendException}
 * that names the LUN, the key, the bad value and an example of a good one.
 *
 * <p>Used by backends inside {@link Backend#open}, on a management thread; not thread safe.
 */
public final class BackendOptions {

    /** {@code 1073741824}, {@code 512M}, {@code 1G}, {@code 1GiB}, {@code 100MiB}, {@code 2T}: binary units. */
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(?:([kmgtpe])(?:i?b)?|b)?");
    private static final String UNITS = "kmgtpe";

    private final String lun;
    private final Map<String, String> values = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

    public BackendOptions(String lun, Map<String, String> options) {
        this.lun = lun;
        if (options != null) {
            options.forEach((k, v) -> {
                if (k != null && v != null) {
                    values.put(k, v.trim());
                }
            });
        }
    }

    public String lun() {
        return lun;
    }

    public boolean has(String key) {
        String v = values.get(key);
        return v != null && !v.isEmpty();
    }

    public String string(String key, String fallback) {
        return has(key) ? values.get(key) : fallback;
    }

    /** A byte count with optional binary unit suffix (K, M, G, T, P, E; "iB" and "B" optional). */
    public long size(String key, long fallback) throws BackendException {
        if (!has(key)) {
            return fallback;
        }
        String raw = values.get(key);
        return parseSize(raw).orElseThrow(() -> error(key, raw,
                "a byte count such as 1073741824, 512M, 1GiB or 2T (binary units)"));
    }

    public static OptionalLong parseSize(String raw) {
        Matcher m = SIZE.matcher(raw.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return java.util.OptionalLong.empty();
        }
        try {
            long n = Long.parseLong(m.group(1));
            if (m.group(2) != null) {
                int shift = 10 * (UNITS.indexOf(m.group(2).charAt(0)) + 1);
                if (Long.numberOfLeadingZeros(n) <= shift) {
                    return java.util.OptionalLong.empty();
                }
                n <<= shift;
            }
            return java.util.OptionalLong.of(n);
        } catch (NumberFormatException e) {
            return java.util.OptionalLong.empty();
        }
    }

    public int integer(String key, int fallback, int min, int max) throws BackendException {
        if (!has(key)) {
            return fallback;
        }
        String raw = values.get(key);
        try {
            int n = Integer.parseInt(raw);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw error(key, raw, "a whole number from " + min + " to " + max);
    }

    public boolean bool(String key, boolean fallback) throws BackendException {
        if (!has(key)) {
            return fallback;
        }
        String raw = values.get(key);
        switch (raw.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1":
                return true;
            case "false", "no", "off", "0":
                return false;
            default:
                throw error(key, raw, "true or false");
        }
    }

    /** Logical block size: a power of two from 512 to 4096 (SBC-3 allows more; initiators rarely do). */
    public int blockSize() throws BackendException {
        int bs = integer("blockSize", 512, 512, 4096);
        if (Integer.bitCount(bs) != 1) {
            throw error("blockSize", Integer.toString(bs), "512, 1024, 2048 or 4096");
        }
        return bs;
    }

    /**
     * Option {@code physicalBlockSize} (bytes, default the logical block size) as the exponent
     * SBC-3 reports in READ CAPACITY(16): log2(physical / logical). Emulating 4Kn-behind-512e
     * disks matters to hosts that align partitions and I/O to the physical block. It must be a
     * power-of-two multiple of {@code blockSize} and at most {@code maxBytes} (a RAM disk page, so
     * that UNMAP granularity stays a whole number of physical blocks).
     */
    public int physicalBlockExponent(int blockSize, int maxBytes) throws BackendException {
        if (!has("physicalBlockSize")) {
            return 0;
        }
        String raw = values.get("physicalBlockSize");
        long physical = parseSize(raw).orElse(-1);
        if (physical < blockSize || physical > maxBytes || Long.bitCount(physical) != 1) {
            throw error("physicalBlockSize", raw, "a power of two from blockSize (" + blockSize + ") to " + maxBytes
                    + ", for example 4096");
        }
        return Long.numberOfTrailingZeros(physical / blockSize);
    }

    public BackendException error(String key, String value, String expected) {
        return new BackendException("LUN " + lun + ": option " + key + "=" + value
                + " is not valid; expected " + expected + ".");
    }

    public BackendException problem(String sentence) {
        return new BackendException("LUN " + lun + ": " + sentence);
    }
}
