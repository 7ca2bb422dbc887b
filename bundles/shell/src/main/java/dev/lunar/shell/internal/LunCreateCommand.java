package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.StringsCompleter;

/**
 * {@code lunar:lun-create}: a LUN configuration. The options are the shared backend option
 * vocabulary ({@code BackendOptions}: size, path, blockSize, writeCache, readOnly, unmap); anything
 * else a backend reads goes through {@code -o key=value}. The shell checks what it can parse
 * (sizes, booleans); the backend judges the rest when it opens the LUN, and lun-list shows that.
 */
@Service
@Command(scope = "lunar", name = "lun-create", description = "Creates a LUN in a target")
public class LunCreateCommand implements Action {

    /** Keys with their own options: {@code -o} may not set them behind the option's back. */
    private static final Set<String> STRUCTURAL = Set.of(ConfigPids.LUN_TARGET, ConfigPids.LUN_ID, ConfigPids.LUN_BACKEND);

    private static final Map<String, String> BOOLEANS = Map.of("true", "true", "yes", "true", "on", "true",
            "1", "true", "false", "false", "no", "false", "off", "false", "0", "false");

    @Argument(index = 0, name = "name", required = true,
            description = "Configuration name (the file etc/dev.lunar.lun-NAME.cfg)")
    String name;

    @Option(name = "--target", required = true, description = "Target name or IQN")
    @Completion(TargetCompleter.class)
    String target;

    @Option(name = "--lun", required = true, description = "LUN number in the target")
    int lun;

    @Option(name = "--backend", required = true, description = "Backend kind: ramdisk, file, ...")
    @Completion(BackendKindCompleter.class)
    String backend;

    @Option(name = "--size", description = "Capacity: 512, 4k, 1GiB, 10G (binary units); ramdisk needs it")
    String size;

    @Option(name = "--path", description = "File or block device (file backend)")
    String path;

    @Option(name = "--block-size", description = "Logical block size in bytes: 512 or 4096")
    @Completion(value = StringsCompleter.class, values = {"512", "4096"})
    Integer blockSize;

    @Option(name = "--write-cache", description = "true: write-back (WCE=1), false: write-through")
    @Completion(value = StringsCompleter.class, values = {"true", "false"})
    String writeCache;

    @Option(name = "--read-only", description = "Refuse writes (write-protected)")
    boolean readOnly;

    @Option(name = "--thin", description = "true: UNMAP punches holes (thin provisioning); false: never (file backend)")
    @Completion(value = StringsCompleter.class, values = {"true", "false"})
    String thin;

    @Option(name = "-o", aliases = "--option", multiValued = true,
            description = "Any other backend option as key=value, e.g. -o direct=true (repeatable)")
    List<String> options;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        String iqn = ConfigLookup.iqn(lookup.target(target));
        Map<String, String> properties = new TreeMap<>(keyValues(options));
        properties.put(ConfigPids.LUN_TARGET, iqn);
        properties.put(ConfigPids.LUN_ID, Integer.toString(checkedLun(lun)));
        properties.put(ConfigPids.LUN_BACKEND, backend);
        if (size != null) {
            ByteSizes.parse("--size", size);
            properties.put("size", size);
        }
        if (path != null) {
            properties.put("path", path);
        }
        if (blockSize != null) {
            properties.put("blockSize", Integer.toString(checkedBlockSize(blockSize)));
        }
        if (writeCache != null) {
            properties.put("writeCache", bool("--write-cache", writeCache));
        }
        if (readOnly) {
            properties.put("readOnly", "true");
        }
        if (thin != null) {
            properties.put("unmap", bool("--thin", thin));
        }
        lookup.service().create(ObjectKind.LUN, name, properties);
        System.out.println("LUN " + name + " created as LUN " + lun + " of " + iqn + " (" + backend
                + (size != null ? ", " + ByteSizes.format(ByteSizes.parse("--size", size)) : "") + ").");
        return null;
    }

    /** SAM-5 flat space addressing (§4.7.7) reaches LUN 16383: the most a 14-bit LUN field holds. */
    static int checkedLun(int lun) {
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("--lun must be from 0 to 16383, not " + lun + ".");
        }
        return lun;
    }

    static int checkedBlockSize(int blockSize) {
        if (blockSize < 512 || blockSize > 4096 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("--block-size must be 512, 1024, 2048 or 4096, not " + blockSize + ".");
        }
        return blockSize;
    }

    /** {@code true} or {@code false}, from what BackendOptions also accepts (yes/no, on/off, 1/0). */
    static String bool(String option, String raw) {
        String value = BOOLEANS.get(raw.toLowerCase(Locale.ROOT));
        if (value == null) {
            throw new IllegalArgumentException(option + " must be true or false, not '" + raw + "'.");
        }
        return value;
    }

    /** {@code key=value} pairs of {@code -o}. */
    static Map<String, String> keyValues(List<String> pairs) {
        Map<String, String> out = new TreeMap<>();
        if (pairs == null) {
            return out;
        }
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("-o takes key=value, for example -o direct=true; '" + pair
                        + "' has no key.");
            }
            String key = pair.substring(0, eq).trim();
            if (STRUCTURAL.contains(key)) {
                throw new IllegalArgumentException("Set '" + key + "' with --" + key + ", not with -o.");
            }
            out.put(key, pair.substring(eq + 1).trim());
        }
        return out;
    }
}
