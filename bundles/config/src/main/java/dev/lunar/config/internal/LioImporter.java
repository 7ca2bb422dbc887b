package dev.lunar.config.internal;

import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigPids;
import dev.lunar.api.ImportReport;
import dev.lunar.api.ObjectKind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Converts LIO's {@code saveconfig.json} (what {@code targetcli saveconfig} writes, rtslib's
 * format) into a Lunar document: iSCSI targets with their first TPG's portals, LUNs, node ACLs and
 * CHAP; storage objects of the fileio, block and ramdisk plugins become {@code file} and
 * {@code ramdisk} LUNs. Whatever has no Lunar equivalent is not guessed at: it becomes one sentence
 * in {@link ImportReport#unmapped()} naming the LIO object and what was dropped.
 *
 * <p>Stateless apart from one conversion's working state; a new instance per call.
 */
final class LioImporter {

    /**
     * LIO's TPG parameter defaults (rtslib / target_core_mod): a parameter with another value is
     * reported, since Lunar negotiates with its engine's settings, not per target.
     */
    private static final Map<String, String> LIO_PARAMETER_DEFAULTS = Map.ofEntries(
            Map.entry("AuthMethod", "CHAP,None"), Map.entry("DataDigest", "CRC32C,None"),
            Map.entry("HeaderDigest", "CRC32C,None"), Map.entry("DataPDUInOrder", "Yes"),
            Map.entry("DataSequenceInOrder", "Yes"), Map.entry("DefaultTime2Retain", "20"),
            Map.entry("DefaultTime2Wait", "2"), Map.entry("ErrorRecoveryLevel", "0"),
            Map.entry("FirstBurstLength", "65536"), Map.entry("ImmediateData", "Yes"),
            Map.entry("InitialR2T", "Yes"), Map.entry("MaxBurstLength", "262144"),
            Map.entry("MaxConnections", "1"), Map.entry("MaxOutstandingR2T", "1"),
            Map.entry("MaxRecvDataSegmentLength", "8192"), Map.entry("MaxXmitDataSegmentLength", "262144"),
            Map.entry("IFMarker", "No"), Map.entry("OFMarker", "No"), Map.entry("IFMarkInt", "2048~65535"),
            Map.entry("OFMarkInt", "2048~65535"), Map.entry("TargetAlias", "LIO Target"));

    /** Storage object plugin → Lunar backend kind. */
    private static final Map<String, String> BACKENDS = Map.of(
            "fileio", "file", "block", "file", "iblock", "file", "ramdisk", "ramdisk", "rd_mcp", "ramdisk");

    private final List<String> unmapped = new ArrayList<>();
    private final List<ConfigObject> objects = new ArrayList<>();
    private final Map<ObjectKind, Set<String>> names = new HashMap<>();
    /** "/backstores/fileio/disk1" → the storage object. */
    private final Map<String, Map<String, Json.Node>> storage = new LinkedHashMap<>();
    private final Map<String, String> storageUsedBy = new HashMap<>();
    private final Map<String, ConfigObject> portalsByEndpoint = new HashMap<>();

    private LioImporter() {
    }

    /**
     * @throws IllegalArgumentException when the text is not JSON or not an LIO configuration
     */
    static ImportReport convert(String saveconfigJson) {
        Json.Node root;
        try {
            root = Json.parse(saveconfigJson);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an LIO saveconfig.json: " + e.getMessage(), e);
        }
        if (!root.isObject() || (!root.object().containsKey("targets") && !root.object().containsKey("storage_objects"))) {
            throw new IllegalArgumentException("not an LIO saveconfig.json: expected a JSON object with "
                    + "\"storage_objects\" and \"targets\" (what targetcli saveconfig writes to /etc/target/saveconfig.json)");
        }
        LioImporter importer = new LioImporter();
        importer.run(root.object());
        return new ImportReport(new ConfigDocument(ConfigDocument.VERSION, importer.objects),
                List.copyOf(importer.unmapped));
    }

    private void run(Map<String, Json.Node> root) {
        for (Json.Node so : list(root.get("storage_objects"))) {
            if (!so.isObject()) {
                continue;
            }
            Map<String, Json.Node> o = so.object();
            String plugin = text(o.get("plugin"));
            String name = text(o.get("name"));
            storage.put("/backstores/" + pluginDir(plugin) + "/" + name, o);
            if (!BACKENDS.containsKey(plugin)) {
                unmapped.add("Storage object " + plugin + "/" + name + " is not imported: Lunar has no "
                        + plugin + " backend (" + ("pscsi".equals(plugin) ? "SCSI pass-through"
                        : "user".equals(plugin) ? "TCMU user-space handler" : "unknown plugin") + ").");
            }
        }
        for (Json.Node fabric : list(root.get("fabric_modules"))) {
            if (fabric.isObject() && !fabric.object().isEmpty()) {
                unmapped.add("Fabric module settings for " + text(fabric.object().get("name"))
                        + " are not imported (Lunar's engine has its own settings in etc/dev.lunar.iscsi.cfg).");
            }
        }
        for (Json.Node target : list(root.get("targets"))) {
            if (target.isObject()) {
                target(target.object());
            }
        }
        for (Map.Entry<String, Map<String, Json.Node>> e : storage.entrySet()) {
            if (!storageUsedBy.containsKey(e.getKey()) && BACKENDS.containsKey(text(e.getValue().get("plugin")))) {
                unmapped.add("Storage object " + e.getKey() + " is not mapped to any iSCSI LUN, so it is not imported "
                        + "(a Lunar LUN always belongs to a target).");
            }
        }
    }

    private void target(Map<String, Json.Node> t) {
        String fabric = text(t.get("fabric"));
        String wwn = text(t.get("wwn"));
        if (!"iscsi".equals(fabric)) {
            unmapped.add("Target " + wwn + " of fabric " + fabric + " is not imported: Lunar serves iSCSI only.");
            return;
        }
        String iqnProblem = IscsiNames.problem(wwn);
        if (!iqnProblem.isEmpty()) {
            unmapped.add("Target " + wwn + " is not imported: its name " + iqnProblem + ".");
            return;
        }
        List<Json.Node> tpgs = list(t.get("tpgs"));
        if (tpgs.isEmpty()) {
            unmapped.add("Target " + wwn + " has no TPG; it is imported without portals or LUNs.");
        }
        Map<String, Json.Node> tpg = tpgs.isEmpty() || !tpgs.get(0).isObject() ? Map.of() : tpgs.get(0).object();
        for (int i = 1; i < tpgs.size(); i++) {
            unmapped.add("Target " + wwn + ": TPG " + text(tpgs.get(i).isObject() ? tpgs.get(i).object().get("tag") : null)
                    + " is not imported; a Lunar target has one portal group (only TPG "
                    + text(tpg.get("tag")) + " was imported).");
        }
        String targetName = unique(ObjectKind.TARGET, shortName(wwn));
        Map<String, String> props = new TreeMap<>();
        props.put(ConfigPids.TARGET_IQN, wwn);
        if (tpg.containsKey("enable") && !truthy(tpg.get("enable"))) {
            unmapped.add("Target " + wwn + ": TPG " + text(tpg.get("tag")) + " is disabled in LIO; Lunar has no "
                    + "disabled state, so the target serves as soon as it is applied.");
        }
        Map<String, Json.Node> attributes = map(tpg.get("attributes"));
        Map<String, Json.Node> parameters = map(tpg.get("parameters"));
        String authMethod = text(parameters.get("AuthMethod"));
        boolean chapRequired = truthy(attributes.get("authentication"))
                || (authMethod != null && !authMethod.toLowerCase(Locale.ROOT).contains("none"));
        String chapUser = text(tpg.get("chap_userid"));
        String chapSecret = text(tpg.get("chap_password"));
        if (chapUser != null && !chapUser.isEmpty() && chapSecret != null && !chapSecret.isEmpty()) {
            props.put(ConfigPids.CHAP_USER, chapUser);
            props.put(ConfigPids.CHAP_SECRET, chapSecret);
            String mutualUser = text(tpg.get("chap_mutual_userid"));
            String mutualSecret = text(tpg.get("chap_mutual_password"));
            if (mutualUser != null && !mutualUser.isEmpty() && mutualSecret != null && !mutualSecret.isEmpty()) {
                props.put(ConfigPids.MUTUAL_USER, mutualUser);
                props.put(ConfigPids.MUTUAL_SECRET, mutualSecret);
            }
        }
        if (chapRequired && props.containsKey(ConfigPids.CHAP_USER)) {
            props.put(ConfigPids.TARGET_AUTH, "chap");
        } else if (chapRequired) {
            props.put(ConfigPids.TARGET_AUTH, "none");
            unmapped.add("Target " + wwn + " requires CHAP in LIO (authentication=1 or AuthMethod=" + authMethod
                    + ") but has no TPG-wide credentials; it is imported with auth = none, and only initiators whose "
                    + "ACL carries CHAP credentials must authenticate: review before applying.");
        } else {
            props.put(ConfigPids.TARGET_AUTH, "none");
        }
        String alias = text(parameters.get("TargetAlias"));
        if (alias != null && !alias.isEmpty() && !alias.equals(LIO_PARAMETER_DEFAULTS.get("TargetAlias"))) {
            props.put(ConfigPids.TARGET_ALIAS, alias);
        }
        List<String> different = new ArrayList<>();
        for (Map.Entry<String, Json.Node> p : new TreeMap<>(parameters).entrySet()) {
            String key = p.getKey();
            if (key.equals("AuthMethod") || key.equals("TargetAlias")) {
                continue;
            }
            String value = text(p.getValue());
            if (!LIO_PARAMETER_DEFAULTS.containsKey(key) || !LIO_PARAMETER_DEFAULTS.get(key).equals(value)) {
                different.add(key + "=" + value);
            }
        }
        if (!different.isEmpty()) {
            unmapped.add("Target " + wwn + ": TPG parameters " + String.join(", ", different) + " are not imported "
                    + "(Lunar negotiates with the engine's settings for every target).");
        }
        boolean demoMode = truthy(attributes.get("generate_node_acls"));
        List<Json.Node> acls = list(tpg.get("node_acls"));
        if (demoMode && !acls.isEmpty()) {
            unmapped.add("Target " + wwn + " admits every initiator in LIO (generate_node_acls=1) and also lists "
                    + acls.size() + " node ACLs; in Lunar a target with ACLs admits only those initiators.");
        } else if (!demoMode && acls.isEmpty() && !tpgs.isEmpty()) {
            unmapped.add("Target " + wwn + " admits no initiator in LIO (generate_node_acls=0 and no node ACLs); in "
                    + "Lunar a target without ACLs admits every initiator that authenticates: add an ACL before applying.");
        }
        if (demoMode && truthy(attributes.get("demo_mode_write_protect"))) {
            unmapped.add("Target " + wwn + ": demo_mode_write_protect=1 (read-only access for initiators without an "
                    + "ACL) has no Lunar equivalent; they get read-write access.");
        }
        objects.add(new ConfigObject(ObjectKind.TARGET, targetName, props));

        for (Json.Node portal : list(tpg.get("portals"))) {
            if (portal.isObject()) {
                portal(wwn, tpg, portal.object());
            }
        }
        Set<Integer> tpgLuns = new TreeSet<>();
        for (Json.Node lun : list(tpg.get("luns"))) {
            if (lun.isObject()) {
                Integer index = lun(wwn, targetName, lun.object());
                if (index != null) {
                    tpgLuns.add(index);
                }
            }
        }
        for (Json.Node acl : acls) {
            if (acl.isObject()) {
                acl(wwn, targetName, acl.object(), tpgLuns);
            }
        }
    }

    private void portal(String wwn, Map<String, Json.Node> tpg, Map<String, Json.Node> p) {
        String address = text(p.get("ip_address"));
        String port = text(p.get("port"));
        if (address == null) {
            return;
        }
        address = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        if (truthy(p.get("iser"))) {
            unmapped.add("Portal " + address + ":" + port + " of target " + wwn + " is iSER-enabled and is not imported "
                    + "(Lunar's iSER transport is not available yet).");
            return;
        }
        if (truthy(p.get("offload"))) {
            unmapped.add("Portal " + address + ":" + port + " of target " + wwn + " uses hardware offload (cxgbit) in "
                    + "LIO; it is imported as a plain tcp portal.");
        }
        Map<String, String> props = new TreeMap<>();
        props.put(ConfigPids.PORTAL_ADDRESS, address);
        props.put(ConfigPids.PORTAL_PORT, port == null ? "3260" : port);
        props.put(ConfigPids.PORTAL_TRANSPORT, "tcp");
        String tag = text(tpg.get("tag"));
        if (tag != null && !"1".equals(tag)) {
            props.put(ConfigPids.PORTAL_TPGT, tag);
        }
        ConfigObject probe = new ConfigObject(ObjectKind.PORTAL, "probe", props);
        String endpoint;
        try {
            endpoint = ConfigRules.endpoint(probe);
        } catch (RuntimeException e) {
            unmapped.add("Portal " + address + ":" + port + " of target " + wwn + " is not imported: not an address "
                    + "and port Lunar can listen on.");
            return;
        }
        ConfigObject earlier = portalsByEndpoint.get(endpoint);
        if (earlier != null) {
            // In LIO every TPG lists its portals; in Lunar a portal serves every target.
            if (!earlier.properties().equals(props)) {
                unmapped.add("Portal " + endpoint + " of target " + wwn + " has another TPG tag (" + tag + ") than the "
                        + "same portal of an earlier target; Lunar listens once per address and port, with the first tag.");
            }
            return;
        }
        List<ConfigObject> together = new ArrayList<>(portalsByEndpoint.values());
        ConfigObject candidate = new ConfigObject(ObjectKind.PORTAL, "portal-" + address + "-" + port, props);
        together.add(candidate);
        try {
            ConfigRules.checkTogether(together, o -> o == candidate);
        } catch (IllegalArgumentException conflict) {
            // LIO binds IPv6 portals IPV6_V6ONLY, so 0.0.0.0 and [::0] on one port coexist there.
            unmapped.add("Portal " + address + ":" + port + " of target " + wwn + " is not imported: it would share "
                    + "its port with a wildcard portal imported before it, which one Lunar listener cannot do.");
            return;
        }
        String name = unique(ObjectKind.PORTAL, sanitize(address.replace(':', '-')) + "-" + port);
        ConfigObject portal = new ConfigObject(ObjectKind.PORTAL, name, props);
        portalsByEndpoint.put(endpoint, portal);
        objects.add(portal);
    }

    /** @return the TPG LUN index when the LUN was imported */
    private Integer lun(String wwn, String targetName, Map<String, Json.Node> l) {
        String index = text(l.get("index"));
        String path = text(l.get("storage_object"));
        Map<String, Json.Node> so = storage.get(path);
        if (so == null) {
            unmapped.add("LUN " + index + " of target " + wwn + " refers to " + path + ", which is not in "
                    + "storage_objects; it is not imported.");
            return null;
        }
        String plugin = text(so.get("plugin"));
        String backend = BACKENDS.get(plugin);
        if (backend == null) {
            unmapped.add("LUN " + index + " of target " + wwn + " is not imported: its storage object " + path
                    + " uses the " + plugin + " plugin.");
            return null;
        }
        String soName = text(so.get("name"));
        String previous = storageUsedBy.putIfAbsent(path, wwn + " LUN " + index);
        if (previous != null) {
            unmapped.add("Storage object " + path + " is exported twice (" + previous + " and " + wwn + " LUN " + index
                    + "); Lunar opens it once per LUN, which is safe only for the file backend without write cache.");
        }
        Map<String, String> props = new TreeMap<>();
        props.put(ConfigPids.LUN_TARGET, wwn);
        props.put(ConfigPids.LUN_ID, index);
        props.put(ConfigPids.LUN_BACKEND, backend);
        String size = text(so.get("size"));
        if ("file".equals(backend)) {
            props.put("path", text(so.get("dev")));
            if ("fileio".equals(plugin) && size != null && !"0".equals(size)) {
                props.put("size", size);
            }
            if (so.containsKey("write_back")) {
                props.put("writeCache", Boolean.toString(truthy(so.get("write_back"))));
            }
        } else {
            props.put("size", size == null ? "0" : size);
            if (truthy(so.get("nullio"))) {
                unmapped.add("Storage object " + path + " is a nullio RAM disk (discards writes, reads zeros); it is "
                        + "imported as a normal RAM disk.");
            }
        }
        if (truthy(so.get("readonly"))) {
            props.put("readOnly", "true");
        }
        Map<String, Json.Node> attributes = map(so.get("attributes"));
        String blockSize = text(attributes.get("block_size"));
        if (blockSize != null && !"512".equals(blockSize)) {
            props.put("blockSize", blockSize);
        }
        String wwnOfUnit = text(so.get("wwn"));
        if (wwnOfUnit != null && !wwnOfUnit.isEmpty()) {
            unmapped.add("Storage object " + path + ": its unit serial " + wwnOfUnit + " (wwn) is not carried over; "
                    + "Lunar reports its own, so initiators see a new device identity.");
        }
        if (so.containsKey("alua_tpgs") && !list(so.get("alua_tpgs")).isEmpty()) {
            unmapped.add("Storage object " + path + ": its ALUA target port groups are not imported (Lunar reports "
                    + "implicit ALUA with one group).");
        }
        String name = unique(ObjectKind.LUN, targetName + "-" + sanitize(soName == null ? index : soName));
        objects.add(new ConfigObject(ObjectKind.LUN, name, props));
        return Integer.valueOf(index);
    }

    private void acl(String wwn, String targetName, Map<String, Json.Node> a, Set<Integer> tpgLuns) {
        String initiator = text(a.get("node_wwn"));
        String problem = IscsiNames.problem(initiator);
        if (!problem.isEmpty()) {
            unmapped.add("ACL " + initiator + " of target " + wwn + " is not imported: the initiator name " + problem + ".");
            return;
        }
        Map<String, String> props = new TreeMap<>();
        props.put(ConfigPids.ACL_TARGET, wwn);
        props.put(ConfigPids.ACL_INITIATOR, initiator);
        putPair(props, ConfigPids.CHAP_USER, text(a.get("chap_userid")), ConfigPids.CHAP_SECRET,
                text(a.get("chap_password")));
        if (props.containsKey(ConfigPids.CHAP_USER)) {
            putPair(props, ConfigPids.MUTUAL_USER, text(a.get("chap_mutual_userid")), ConfigPids.MUTUAL_SECRET,
                    text(a.get("chap_mutual_password")));
        }
        List<Json.Node> mapped = list(a.get("mapped_luns"));
        Set<Integer> luns = new TreeSet<>();
        int writeProtected = 0;
        for (Json.Node m : mapped) {
            if (!m.isObject()) {
                continue;
            }
            Map<String, Json.Node> ml = m.object();
            String index = text(ml.get("index"));
            String tpgLun = text(ml.get("tpg_lun"));
            if (tpgLun == null || !tpgLun.matches("\\d+") || !tpgLuns.contains(Integer.valueOf(tpgLun))) {
                unmapped.add("ACL " + initiator + " of target " + wwn + ": mapped LUN " + index + " refers to TPG LUN "
                        + tpgLun + ", which was not imported.");
                continue;
            }
            if (index != null && !index.equals(tpgLun)) {
                unmapped.add("ACL " + initiator + " of target " + wwn + ": LIO shows TPG LUN " + tpgLun + " to this "
                        + "initiator as LUN " + index + "; Lunar has no per-initiator LUN numbers, so it sees LUN "
                        + tpgLun + ".");
            }
            luns.add(Integer.valueOf(tpgLun));
            if (truthy(ml.get("write_protect"))) {
                writeProtected++;
            }
        }
        if (!luns.isEmpty() && !luns.equals(tpgLuns)) {
            props.put(ConfigPids.ACL_LUNS, String.join(",", luns.stream().map(String::valueOf).toList()));
        } else if (luns.isEmpty() && !mapped.isEmpty()) {
            unmapped.add("ACL " + initiator + " of target " + wwn + " maps no LUN that could be imported; in Lunar it "
                    + "sees every LUN of the target.");
        }
        if (writeProtected > 0 && writeProtected == luns.size()) {
            props.put(ConfigPids.ACL_READ_ONLY, "true");
        } else if (writeProtected > 0) {
            unmapped.add("ACL " + initiator + " of target " + wwn + ": write protection of only some mapped LUNs has no "
                    + "Lunar equivalent (readOnly applies to all of them); imported read-write.");
        }
        String name = unique(ObjectKind.ACL, targetName + "-" + shortName(initiator));
        objects.add(new ConfigObject(ObjectKind.ACL, name, props));
    }

    private static void putPair(Map<String, String> props, String userKey, String user, String secretKey,
            String secret) {
        if (user != null && !user.isEmpty() && secret != null && !secret.isEmpty()) {
            props.put(userKey, user);
            props.put(secretKey, secret);
        }
    }

    /** The part after the last ':' of an IQN (or the whole name), safe as an object name. */
    private static String shortName(String iscsiName) {
        int colon = iscsiName.lastIndexOf(':');
        String tail = colon >= 0 && colon + 1 < iscsiName.length() ? iscsiName.substring(colon + 1) : iscsiName;
        return sanitize(tail);
    }

    private static String sanitize(String s) {
        String clean = s.replaceAll("[^A-Za-z0-9._-]", "-");
        return clean.length() > 60 ? clean.substring(0, 60) : clean;
    }

    private String unique(ObjectKind kind, String base) {
        Set<String> taken = names.computeIfAbsent(kind, k -> new HashSet<>());
        String name = base.isEmpty() ? kind.label() : base;
        for (int i = 2; !taken.add(name); i++) {
            name = base + "-" + i;
        }
        return name;
    }

    private static String pluginDir(String plugin) {
        // rtslib names the ramdisk plugin "rd_mcp" in older files; targetcli shows it as /backstores/ramdisk.
        return "rd_mcp".equals(plugin) ? "ramdisk" : "iblock".equals(plugin) ? "block" : plugin;
    }

    private static List<Json.Node> list(Json.Node node) {
        return node != null && node.value() instanceof List ? node.array() : List.of();
    }

    private static Map<String, Json.Node> map(Json.Node node) {
        return node != null && node.isObject() ? node.object() : Map.of();
    }

    private static String text(Json.Node node) {
        return node == null ? null : node.scalarText();
    }

    private static boolean truthy(Json.Node node) {
        if (node == null) {
            return false;
        }
        if (node.value() instanceof Boolean b) {
            return b;
        }
        if (node.value() instanceof BigDecimal n) {
            return n.signum() != 0;
        }
        return node.value() instanceof String s && (s.equalsIgnoreCase("true") || s.equals("1") || s.equalsIgnoreCase("yes"));
    }
}
