package dev.lunar.config.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigPids;
import dev.lunar.api.ObjectKind;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * What a valid configuration object is: the keys each kind knows, what their values look like,
 * and the rules that span objects (one IQN per target, one LUN number per target, references to
 * targets that exist, one portal per address and port). Every problem is an
 * {@link IllegalArgumentException} whose message names the object and says what to write instead.
 *
 * <p>Stateless; thread safe.
 */
final class ConfigRules {

    /** The {@code NAME} of {@code etc/<pid>-NAME.cfg}: safe in a file name and in a shell argument. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Pattern OPTION_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");
    private static final Pattern KIND_TOKEN = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
    private static final Pattern HOST_NAME = Pattern.compile(
            "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    /** SAM-5 flat addressing, and what the scsi core accepts (LunConfig). */
    static final int MAX_LUN = 16383;
    static final int DEFAULT_PORT = 3260;

    /** A value check: {@code null} when fine, else the end of a sentence saying what is wrong. */
    @FunctionalInterface
    interface ValueCheck {
        String problem(String value);
    }

    private static final ValueCheck ISCSI_NAME = v -> {
        String p = IscsiNames.problem(v);
        return p.isEmpty() ? null : p;
    };
    private static final ValueCheck BOOLEAN = v -> switch (v.trim().toLowerCase(Locale.ROOT)) {
        case "true", "false", "yes", "no", "on", "off", "1", "0" -> null;
        default -> "must be true or false";
    };
    private static final ValueCheck TEXT = v -> v.isBlank() ? "is empty"
            : v.length() > 255 ? "is longer than 255 characters (RFC 7143 text values)" : null;
    private static final ValueCheck SECRET = v -> v.isEmpty() ? "is empty"
            : v.length() > 255 ? "is longer than 255 characters" : null;
    private static final ValueCheck SIZE = v -> dev.lunar.spi.backend.BackendOptions.parseSize(v).isPresent() ? null
            : "must be a byte count such as 1073741824, 512M, 1GiB or 2T (binary units)";
    private static final ValueCheck PORT = range(1, 65535);
    private static final ValueCheck KIND = v -> KIND_TOKEN.matcher(v.trim()).matches() ? null
            : "must be a kind name such as tcp, file or ramdisk (lower-case letters, digits, '-' and '_')";

    /** Keys per kind, each with its check; LUN keys also include the backend options. */
    private static final Map<ObjectKind, Map<String, ValueCheck>> KEYS = new EnumMap<>(ObjectKind.class);

    /** Keys an object of that kind must have. */
    private static final Map<ObjectKind, List<String>> REQUIRED = new EnumMap<>(ObjectKind.class);

    /**
     * Backends whose option vocabulary is known here: for them an unknown option is a typo. Any
     * other backend kind (a vendor's bundle) reads options this bundle cannot know, so they pass.
     */
    private static final Set<String> KNOWN_BACKENDS = Set.of("ramdisk", "file");

    /** Options a backend cannot open without, by backend kind. */
    private static final Map<String, List<String>> BACKEND_REQUIRED = Map.of(
            "ramdisk", List.of("size"),
            "file", List.of("path"));

    static {
        Map<String, ValueCheck> target = new LinkedHashMap<>();
        target.put(ConfigPids.TARGET_IQN, ISCSI_NAME);
        target.put(ConfigPids.TARGET_ALIAS, TEXT);
        target.put(ConfigPids.TARGET_AUTH, oneOf("none", "chap"));
        chapKeys(target);
        target.put(ConfigPids.TARGET_INSECURE, BOOLEAN);
        target.put(ConfigPids.TARGET_REDIRECT, ConfigRules::redirectProblem);
        target.put("redirectPermanent", BOOLEAN);
        KEYS.put(ObjectKind.TARGET, target);
        REQUIRED.put(ObjectKind.TARGET, List.of(ConfigPids.TARGET_IQN));

        Map<String, ValueCheck> portal = new LinkedHashMap<>();
        portal.put(ConfigPids.PORTAL_ADDRESS, ConfigRules::addressProblem);
        portal.put(ConfigPids.PORTAL_PORT, PORT);
        portal.put(ConfigPids.PORTAL_TRANSPORT, KIND);
        // RFC 7143 §13.9: TargetPortalGroupTag is a 16-bit binary value.
        portal.put(ConfigPids.PORTAL_TPGT, range(0, 65535));
        // SPC-4 §5.16.2: the asymmetric access state of this portal's target port group (= its tpgt).
        portal.put("aluaState", oneOf("active-optimized", "active-non-optimized", "standby", "unavailable"));
        KEYS.put(ObjectKind.PORTAL, portal);
        REQUIRED.put(ObjectKind.PORTAL, List.of(ConfigPids.PORTAL_ADDRESS));

        Map<String, ValueCheck> lun = new LinkedHashMap<>();
        lun.put(ConfigPids.LUN_TARGET, ISCSI_NAME);
        lun.put(ConfigPids.LUN_ID, range(0, MAX_LUN));
        lun.put(ConfigPids.LUN_BACKEND, KIND);
        // Core options (scsi LunConfig) and the shared backend vocabulary (spi BackendOptions,
        // backend-ramdisk, backend-file); /work/notes/lun-options.md and the README list them.
        lun.put("removable", BOOLEAN);
        lun.put("sanitizeRate", SIZE);
        lun.put("backendGraceSeconds", range(0, 3600));
        lun.put("size", SIZE);
        lun.put("blockSize", oneOf("512", "1024", "2048", "4096"));
        lun.put("physicalBlockSize", ConfigRules::physicalBlockProblem);
        lun.put("readOnly", BOOLEAN);
        lun.put("writeCache", BOOLEAN);
        lun.put("memoryLimit", SIZE);
        lun.put("path", v -> v.trim().startsWith("/") ? null : "must be an absolute path such as /srv/lunar/disk0.img");
        lun.put("create", BOOLEAN);
        lun.put("direct", BOOLEAN);
        lun.put("zeroCopyRead", BOOLEAN);
        lun.put("unmap", oneOf("auto", "true", "false", "yes", "no", "on", "off", "1", "0"));
        lun.put("ioThreads", range(1, 256));
        lun.put("queueDepth", range(1, 65536));
        KEYS.put(ObjectKind.LUN, lun);
        // No target: configured but unmapped (scsi LunConfig), e.g. after lunar:lun-unmap.
        REQUIRED.put(ObjectKind.LUN, List.of(ConfigPids.LUN_BACKEND));

        Map<String, ValueCheck> acl = new LinkedHashMap<>();
        acl.put(ConfigPids.ACL_TARGET, ISCSI_NAME);
        acl.put(ConfigPids.ACL_INITIATOR, ISCSI_NAME);
        acl.put(ConfigPids.ACL_LUNS, ConfigRules::lunListProblem);
        acl.put(ConfigPids.ACL_READ_ONLY, BOOLEAN);
        chapKeys(acl);
        KEYS.put(ObjectKind.ACL, acl);
        REQUIRED.put(ObjectKind.ACL, List.of(ConfigPids.ACL_TARGET, ConfigPids.ACL_INITIATOR));
    }

    private ConfigRules() {
    }

    private static void chapKeys(Map<String, ValueCheck> keys) {
        keys.put(ConfigPids.CHAP_USER, TEXT);
        keys.put(ConfigPids.CHAP_SECRET, SECRET);
        keys.put(ConfigPids.MUTUAL_USER, TEXT);
        keys.put(ConfigPids.MUTUAL_SECRET, SECRET);
    }

    /** The keys an object of {@code kind} may have, in documentation order. */
    static Set<String> knownKeys(ObjectKind kind) {
        return KEYS.get(kind).keySet();
    }

    /**
     * Checks an object name.
     *
     * @throws IllegalArgumentException when it is not usable in {@code etc/<pid>-NAME.cfg}
     */
    static void checkName(ObjectKind kind, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(kind.label() + " name '" + name + "' is not valid: use 1 to 100 "
                    + "letters, digits, '.', '_' or '-' (it becomes the file etc/" + kind.pid() + "-NAME.cfg)");
        }
    }

    /**
     * Checks one object on its own: name, known keys, each value, required keys, CHAP pairs.
     *
     * @throws IllegalArgumentException naming the object, the key and what to write instead
     */
    static void checkObject(ConfigObject o) {
        checkName(o.kind(), o.name());
        Map<String, ValueCheck> keys = KEYS.get(o.kind());
        String who = o.kind().label() + " '" + o.name() + "'";
        for (Map.Entry<String, String> e : o.properties().entrySet()) {
            ValueCheck check = keys.get(e.getKey());
            if (check == null && o.kind() == ObjectKind.LUN && OPTION_KEY.matcher(e.getKey()).matches()
                    && !KNOWN_BACKENDS.contains(trim(o.properties().get(ConfigPids.LUN_BACKEND)))) {
                check = v -> null;
            }
            if (check == null) {
                throw new IllegalArgumentException(who + ": unknown key '" + e.getKey() + "'" + suggestion(keys, e.getKey())
                        + "; a " + o.kind().label() + " knows " + String.join(", ", keys.keySet()));
            }
            String problem = e.getValue() == null ? "has no value" : check.problem(e.getValue());
            if (problem != null) {
                String shown = ConfigPids.isSecret(e.getKey()) ? "" : " = " + e.getValue();
                throw new IllegalArgumentException(who + ": " + e.getKey() + shown + " " + problem);
            }
        }
        for (String required : REQUIRED.get(o.kind())) {
            if (blank(o.properties().get(required))) {
                throw new IllegalArgumentException(who + " has no '" + required + "'; "
                        + requiredHint(o.kind(), required));
            }
        }
        Map<String, String> p = o.properties();
        pair(who, p, ConfigPids.CHAP_USER, ConfigPids.CHAP_SECRET);
        pair(who, p, ConfigPids.MUTUAL_USER, ConfigPids.MUTUAL_SECRET);
        if (!blank(p.get(ConfigPids.MUTUAL_USER)) && blank(p.get(ConfigPids.CHAP_USER))) {
            throw new IllegalArgumentException(who + ": mutual CHAP (mutualUser) needs one-way CHAP first; set "
                    + "chapUser and chapSecret too (RFC 7143 §12.1.3)");
        }
        if (o.kind() == ObjectKind.TARGET && "chap".equalsIgnoreCase(trim(p.get(ConfigPids.TARGET_AUTH)))
                && (blank(p.get(ConfigPids.CHAP_USER)) || blank(p.get(ConfigPids.CHAP_SECRET)))) {
            throw new IllegalArgumentException(who + ": auth = chap needs chapUser and chapSecret (the name and "
                    + "secret initiators must present)");
        }
        if (o.kind() == ObjectKind.LUN) {
            String backend = trim(p.get(ConfigPids.LUN_BACKEND));
            for (String option : BACKEND_REQUIRED.getOrDefault(backend, List.of())) {
                if (blank(p.get(option))) {
                    throw new IllegalArgumentException(who + ": a " + backend + " LUN needs '" + option + "' ("
                            + ("size".equals(option) ? "e.g. size = 1GiB" : "e.g. path = /srv/lunar/disk0.img") + ")");
                }
            }
        }
    }

    /**
     * Checks the rules that span objects. Only conflicts that involve at least one object
     * {@code concerned} accepts are reported, so that a change is not refused for an old conflict
     * it has nothing to do with.
     *
     * @param all every object as it would be after the change
     * @throws IllegalArgumentException naming both objects of a conflict
     */
    static void checkTogether(Collection<ConfigObject> all, Predicate<ConfigObject> concerned) {
        Map<String, ConfigObject> targetsByIqn = new HashMap<>();
        Map<String, ConfigObject> portalsByEndpoint = new HashMap<>();
        Map<String, ConfigObject> lunsByNumber = new HashMap<>();
        Map<String, ConfigObject> aclsByInitiator = new HashMap<>();
        List<ConfigObject> sorted = new ArrayList<>(all);
        sorted.sort(java.util.Comparator.comparing(ConfigObject::kind).thenComparing(ConfigObject::name));
        for (ConfigObject o : sorted) {
            if (o.kind() == ObjectKind.TARGET) {
                String iqn = IscsiNames.canonical(o.properties().get(ConfigPids.TARGET_IQN));
                conflict(targetsByIqn, iqn, o, concerned, "has the same IQN " + iqn + " as target '%s'; every "
                        + "target needs its own name");
            } else if (o.kind() == ObjectKind.PORTAL) {
                String endpoint = endpoint(o);
                conflict(portalsByEndpoint, endpoint, o, concerned, "listens on " + endpoint + " like portal '%s'; "
                        + "give it another address or port");
            }
        }
        wildcardConflicts(portalsByEndpoint.values(), concerned);
        for (ConfigObject o : sorted) {
            if (o.kind() != ObjectKind.LUN && o.kind() != ObjectKind.ACL) {
                continue;
            }
            String key = o.kind() == ObjectKind.LUN ? ConfigPids.LUN_TARGET : ConfigPids.ACL_TARGET;
            if (blank(o.properties().get(key))) {
                continue; // an unmapped LUN belongs to no target yet
            }
            String iqn = IscsiNames.canonical(o.properties().get(key));
            if (concerned.test(o) && !targetsByIqn.containsKey(iqn)) {
                throw new IllegalArgumentException(o.kind().label() + " '" + o.name() + "' names target " + iqn
                        + ", which does not exist; create that target first (or apply a document that creates both)");
            }
            if (o.kind() == ObjectKind.LUN) {
                String number = trim(o.properties().getOrDefault(ConfigPids.LUN_ID, "0"));
                conflict(lunsByNumber, iqn + " " + number(number), o, concerned, "uses LUN " + number
                        + " of target " + iqn + ", which lun '%s' already uses; pick a free LUN number");
            } else {
                String initiator = IscsiNames.canonical(o.properties().get(ConfigPids.ACL_INITIATOR));
                conflict(aclsByInitiator, iqn + " " + initiator, o, concerned, "repeats the entry for initiator "
                        + initiator + " on target " + iqn + " of acl '%s'; change that one instead");
            }
        }
    }

    /**
     * A wildcard listener (0.0.0.0, ::) takes its port on every address, so the operating system
     * refuses a second listener on that port (EADDRINUSE): refuse it here, with a sentence, instead.
     */
    private static void wildcardConflicts(Collection<ConfigObject> portals, Predicate<ConfigObject> concerned) {
        List<ConfigObject> sorted = new ArrayList<>(portals);
        sorted.sort(java.util.Comparator.comparing(ConfigObject::name));
        for (ConfigObject wildcard : sorted) {
            String endpoint = endpoint(wildcard);
            if (!endpoint.startsWith("0.0.0.0:") && !endpoint.startsWith("[0:0:0:0:0:0:0:0]:")) {
                continue;
            }
            String port = endpoint.substring(endpoint.lastIndexOf(':') + 1);
            for (ConfigObject other : sorted) {
                String otherEndpoint = endpoint(other);
                if (other != wildcard && otherEndpoint.endsWith(":" + port)
                        && (concerned.test(wildcard) || concerned.test(other))) {
                    throw new IllegalArgumentException("portal '" + wildcard.name() + "' listens on " + endpoint
                            + ", every address of port " + port + ", so portal '" + other.name() + "' ("
                            + otherEndpoint + ") cannot listen too; remove one of them or change a port");
                }
            }
        }
    }

    private static void conflict(Map<String, ConfigObject> seen, String key, ConfigObject o,
            Predicate<ConfigObject> concerned, String sentence) {
        ConfigObject earlier = seen.putIfAbsent(key, o);
        if (earlier != null && (concerned.test(o) || concerned.test(earlier))) {
            // Name the object being changed first so the sentence reads from the operator's side.
            ConfigObject subject = concerned.test(o) ? o : earlier;
            ConfigObject other = subject == o ? earlier : o;
            throw new IllegalArgumentException(o.kind().label() + " '" + subject.name() + "' "
                    + String.format(sentence, other.name()));
        }
    }

    /** {@code address:port} of a portal in a canonical form (IP literals normalised, default port). */
    static String endpoint(ConfigObject portal) {
        String address = trim(portal.properties().get(ConfigPids.PORTAL_ADDRESS));
        String port = trim(portal.properties().getOrDefault(ConfigPids.PORTAL_PORT, Integer.toString(DEFAULT_PORT)));
        String canonical = address.toLowerCase(Locale.ROOT);
        if (isIpLiteral(canonical)) {
            try {
                canonical = InetAddress.getByName(stripBrackets(canonical)).getHostAddress();
            } catch (UnknownHostException e) {
                // a literal always parses; keep the text otherwise
            }
        }
        return (canonical.contains(":") ? "[" + canonical + "]" : canonical) + ":" + number(port);
    }

    private static String addressProblem(String value) {
        String v = stripBrackets(value.trim());
        if (isIpLiteral(v)) {
            try {
                // Literal only: getByName on a literal never resolves a name.
                InetAddress.getByName(v);
                return null;
            } catch (UnknownHostException e) {
                return "is not a valid IP address";
            }
        }
        return HOST_NAME.matcher(v).matches() && v.length() <= 253 ? null
                : "must be an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name";
    }

    private static boolean isIpLiteral(String v) {
        String s = stripBrackets(v);
        return s.contains(":") || s.matches("[0-9.]+");
    }

    private static String stripBrackets(String v) {
        return v.startsWith("[") && v.endsWith("]") ? v.substring(1, v.length() - 1) : v;
    }

    /** {@code host:port[,tpgt]} as TargetComponent sends it in TargetAddress (RFC 7143 §13.8). */
    private static String redirectProblem(String value) {
        String v = value.trim();
        String hint = "must be host:port or host:port,tpgt, for example 192.0.2.7:3260,1";
        int comma = v.lastIndexOf(',');
        if (comma >= 0) {
            if (range(0, 65535).problem(v.substring(comma + 1)) != null) {
                return hint;
            }
            v = v.substring(0, comma);
        }
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || PORT.problem(v.substring(colon + 1)) != null) {
            return hint;
        }
        String host = v.substring(0, colon);
        return addressProblem(host) == null ? null : hint;
    }

    private static String physicalBlockProblem(String value) {
        long n = dev.lunar.spi.backend.BackendOptions.parseSize(value).orElse(-1);
        return n >= 512 && n <= 65536 && Long.bitCount(n) == 1 ? null
                : "must be a power of two from 512 to 65536, for example 4096";
    }

    private static String lunListProblem(String value) {
        if (value.isBlank()) {
            return null;
        }
        for (String part : value.split(",")) {
            if (range(0, MAX_LUN).problem(part) != null) {
                return "must be LUN numbers 0.." + MAX_LUN + " separated by commas, for example 0,1,4";
            }
        }
        return null;
    }

    static ValueCheck range(long min, long max) {
        return v -> {
            try {
                long n = Long.parseLong(v.trim());
                if (n >= min && n <= max) {
                    return null;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            return "must be a whole number from " + min + " to " + max;
        };
    }

    private static ValueCheck oneOf(String... values) {
        Set<String> allowed = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        allowed.addAll(List.of(values));
        return v -> allowed.contains(v.trim()) ? null : "must be one of " + String.join(", ", values);
    }

    private static void pair(String who, Map<String, String> p, String user, String secret) {
        boolean hasUser = !blank(p.get(user));
        boolean hasSecret = !blank(p.get(secret));
        if (hasUser != hasSecret) {
            throw new IllegalArgumentException(who + ": " + (hasUser ? user + " is set but " + secret + " is not"
                    : secret + " is set but " + user + " is not") + "; set both or neither");
        }
    }

    private static String suggestion(Map<String, ValueCheck> keys, String key) {
        for (String known : keys.keySet()) {
            if (known.equalsIgnoreCase(key)) {
                return " (did you mean '" + known + "'? keys are case-sensitive here)";
            }
        }
        return "";
    }

    private static String requiredHint(ObjectKind kind, String key) {
        return switch (kind) {
            case TARGET -> "set it to the target name, e.g. iqn.2026-01.com.example:disk0";
            case PORTAL -> "set it to the address to listen on, e.g. 127.0.0.1";
            case LUN -> ConfigPids.LUN_TARGET.equals(key) ? "set it to the IQN of the target the LUN belongs to"
                    : "set it to a backend kind such as ramdisk or file";
            case ACL -> ConfigPids.ACL_TARGET.equals(key) ? "set it to the IQN of the target"
                    : "set it to the initiator's IQN, e.g. iqn.1993-08.org.debian:01:abcdef";
        };
    }

    /** A number without leading zeros, or the text itself when it is none (old, unchecked objects). */
    private static String number(String text) {
        try {
            return Long.toString(Long.parseLong(text.trim()));
        } catch (NumberFormatException e) {
            return text;
        }
    }

    static boolean blank(String v) {
        return v == null || v.isBlank();
    }

    private static String trim(String v) {
        return v == null ? "" : v.trim();
    }
}
