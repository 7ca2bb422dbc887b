package dev.lunar.scsi.internal.lun;

import dev.lunar.api.ConfigPids;
import dev.lunar.spi.backend.BackendOptions;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A LUN configuration (PID {@value ConfigPids#LUN}, DESIGN §3.6): target, LUN number, backend kind
 * and the backend options, which are every other key, passed to {@code Backend.open} as strings.
 *
 * @param name configuration name (the factory configuration's name, or its PID)
 * @param target target IQN, or null: configured but not mapped anywhere
 * @param lun LUN number, 0..16383
 * @param backend backend kind
 * @param options backend options
 */
public record LunConfig(String name, String target, int lun, String backend, Map<String, String> options) {

    /**
     * LUN option {@code removable=true}: the LU reports removable medium (RMB = 1) and honours
     * START STOP UNIT eject/load and PREVENT ALLOW MEDIUM REMOVAL. A property of the logical unit,
     * whatever the backend; backends ignore it.
     */
    public static final String REMOVABLE = "removable";

    /**
     * LUN option {@code sanitizeRate}: the most bytes per second a SANITIZE OVERWRITE writes (size
     * syntax, e.g. {@code 64MiB}; absent or 0: as fast as the backend goes). A whole-LUN overwrite
     * on shared storage should not starve the I/O of every other LUN, as ZFS paces its scrubs.
     */
    public static final String SANITIZE_RATE = "sanitizeRate";

    /**
     * LUN option {@code backendGraceSeconds} (default {@value #DEFAULT_BACKEND_GRACE_SECONDS}, 0..3600):
     * how long medium access commands are held while the LUN's backend is being replaced (a
     * {@code bundle:update} of the backend bundle) before they get NOT READY. Below the usual
     * initiator command timeouts (30 s for Linux sd, VMware, Windows), so a held command is never
     * timed out by the host first. 0: no hold, NOT READY at once.
     */
    public static final String BACKEND_GRACE_SECONDS = "backendGraceSeconds";
    public static final int DEFAULT_BACKEND_GRACE_SECONDS = 20;

    /**
     * LUN option {@code readOnly}: passed to the backend (it opens read-only) and, changed to true
     * live, applied by the LU itself without reopening (MODE SENSE WP = 1, DATA PROTECT).
     */
    public static final String READ_ONLY = "readOnly";

    /** Keys that belong to Config Admin or DS, never to the backend. */
    private static final String[] FRAMEWORK_KEYS = {"service.pid", "service.factoryPid", "component.name",
        "component.id", "felix.fileinstall.filename", "service.bundleLocation", "osgi.ds.satisfying.condition.target"};

    public LunConfig {
        options = Map.copyOf(options);
    }

    /**
     * Reads a configuration dictionary.
     *
     * @throws IllegalArgumentException with a sentence an admin can act on
     */
    public static LunConfig from(Map<String, ?> props) {
        String pid = string(props, "service.pid");
        String target = string(props, ConfigPids.LUN_TARGET);
        String lunText = string(props, ConfigPids.LUN_ID);
        String backend = string(props, ConfigPids.LUN_BACKEND);
        if (backend == null || backend.isBlank()) {
            throw new IllegalArgumentException("LUN configuration " + pid + " has no '" + ConfigPids.LUN_BACKEND
                    + "' (a backend kind such as ramdisk or file)");
        }
        int lun;
        try {
            lun = lunText == null ? 0 : Integer.parseInt(lunText.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("LUN configuration " + pid + ": '" + ConfigPids.LUN_ID
                    + "' must be a number 0..16383, not " + lunText, e);
        }
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("LUN configuration " + pid + ": LUN " + lun + " is outside 0..16383");
        }
        Map<String, String> options = new TreeMap<>();
        for (Map.Entry<String, ?> e : props.entrySet()) {
            String k = e.getKey();
            if (k.equals(ConfigPids.LUN_TARGET) || k.equals(ConfigPids.LUN_ID) || k.equals(ConfigPids.LUN_BACKEND)
                    || isFrameworkKey(k) || e.getValue() == null) {
                continue;
            }
            options.put(k, String.valueOf(e.getValue()));
        }
        // No target: configured but unmapped (an admin prepares a LUN, or takes it out of service,
        // without deleting its configuration).
        String mappedTo = target == null || target.isBlank() ? null : target.trim();
        LunConfig c = new LunConfig(nameOf(props, pid), mappedTo, lun, backend.trim(), options);
        c.removable(); // a bad value fails the configuration now, not the LU later
        c.sanitizeRate();
        c.backendGraceMillis();
        c.readOnly();
        return c;
    }

    private static boolean isFrameworkKey(String k) {
        if (k.endsWith(".target") || k.startsWith("component.") || k.startsWith("service.")) {
            return true;
        }
        for (String f : FRAMEWORK_KEYS) {
            if (f.equals(k)) {
                return true;
            }
        }
        return false;
    }

    /** Karaf names factory configurations {@code <factoryPid>~<name>}; the name is what admins typed. */
    private static String nameOf(Map<String, ?> props, String pid) {
        if (pid == null) {
            return Objects.toString(props.get("component.id"), "lun");
        }
        int tilde = pid.indexOf('~');
        return tilde >= 0 ? pid.substring(tilde + 1) : pid;
    }

    private static String string(Map<String, ?> props, String key) {
        Object v = props.get(key);
        return v == null ? null : String.valueOf(v);
    }

    /**
     * The {@value #REMOVABLE} option.
     *
     * @throws IllegalArgumentException for a value that is neither true nor false
     */
    public boolean removable() {
        return bool(REMOVABLE);
    }

    private boolean bool(String key) {
        String v = option(key);
        if (v == null || v.isBlank()) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("LUN configuration " + name + ": '" + key
                    + "' must be true or false, not " + v);
        };
    }

    /**
     * The {@value #SANITIZE_RATE} option in bytes per second; 0 for unlimited.
     *
     * @throws IllegalArgumentException for a value that is not a size
     */
    public long sanitizeRate() {
        String v = options.get(SANITIZE_RATE);
        if (v == null || v.isBlank()) {
            return 0;
        }
        return BackendOptions.parseSize(v).orElseThrow(() -> new IllegalArgumentException("LUN configuration "
                + name + ": '" + SANITIZE_RATE + "' must be bytes per second such as 64MiB, not " + v));
    }

    /** Whether only backend options differ (the LU stays mapped, same identity). */
    public boolean sameMapping(LunConfig o) {
        boolean sameTarget = target == null ? o.target == null : o.target != null && target.equalsIgnoreCase(o.target);
        return name.equals(o.name) && sameTarget && lun == o.lun && backend.equals(o.backend);
    }

    /** Whether the configuration names a target; without one the LUN is configured but unmapped. */
    public boolean mapped() {
        return target != null;
    }

    /** An option's value, its key matched case-insensitively as backends match it; null when absent. */
    public String option(String key) {
        for (Map.Entry<String, String> e : options.entrySet()) {
            if (e.getKey().equalsIgnoreCase(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    /**
     * The {@value #BACKEND_GRACE_SECONDS} option in milliseconds.
     *
     * @throws IllegalArgumentException for a value that is not a whole number of seconds 0..3600
     */
    public long backendGraceMillis() {
        String v = option(BACKEND_GRACE_SECONDS);
        if (v == null || v.isBlank()) {
            return DEFAULT_BACKEND_GRACE_SECONDS * 1000L;
        }
        try {
            int s = Integer.parseInt(v.trim());
            if (s >= 0 && s <= 3600) {
                return s * 1000L;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("LUN configuration " + name + ": '" + BACKEND_GRACE_SECONDS
                + "' must be whole seconds from 0 to 3600, not " + v);
    }

    /**
     * The {@value #READ_ONLY} option.
     *
     * @throws IllegalArgumentException for a value that is neither true nor false
     */
    public boolean readOnly() {
        return bool(READ_ONLY);
    }

    /**
     * Parses a size option: bytes, or a number with K, M, G, T (binary multiples), e.g.
     * {@code 64M}, {@code 10G}.
     */
    public static long parseSize(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("B")) {
            t = t.substring(0, t.length() - 1);
        }
        if (t.endsWith("I")) {
            t = t.substring(0, t.length() - 1);
        }
        long mult = 1;
        if (!t.isEmpty()) {
            char u = t.charAt(t.length() - 1);
            int shift = switch (u) {
                case 'K' -> 10;
                case 'M' -> 20;
                case 'G' -> 30;
                case 'T' -> 40;
                default -> 0;
            };
            if (shift > 0) {
                mult = 1L << shift;
                t = t.substring(0, t.length() - 1);
            }
        }
        return Math.multiplyExact(Long.parseLong(t.trim()), mult);
    }
}
