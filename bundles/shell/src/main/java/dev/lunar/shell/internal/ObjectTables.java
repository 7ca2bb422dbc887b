package dev.lunar.shell.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigPids;
import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetService;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.karaf.shell.support.table.ShellTable;

/**
 * The tables several commands share (the LUNs of {@code lun-list} are the LUNs of
 * {@code target-info}), so one object looks the same wherever it is listed. Configured objects are
 * joined with what the running services say about them by configuration name.
 */
final class ObjectTables {

    /** Shown where a LUN has no {@code target} key: configured, but in no target. */
    static final String UNMAPPED = "(unmapped)";

    private ObjectTables() {
    }

    static ShellTable luns(Collection<ConfigObject> luns, LunService service) {
        Map<String, LunInfo> running = service == null ? Map.of()
                : service.luns().stream().collect(Collectors.toMap(LunInfo::name, Function.identity(), (a, b) -> a));
        ShellTable table = new ShellTable().emptyTableText("no LUN");
        table.column("Name");
        table.column("Target");
        table.column("LUN").alignRight();
        table.column("Backend");
        table.column("Size").alignRight();
        table.column("Block").alignRight();
        table.column("State");
        table.column("Detail");
        for (ConfigObject lun : luns) {
            Map<String, String> p = lun.properties();
            LunInfo info = running.get(lun.name());
            String state = info != null ? info.state() : RunState.of(service, null);
            // The running size is the truth (a file's length, a resize in progress); the
            // configured one stands in while the LUN is not open.
            String size = info != null && info.sizeBytes() > 0 ? ByteSizes.format(info.sizeBytes())
                    : p.getOrDefault("size", "");
            table.addRow().addContent(lun.name(), p.getOrDefault(ConfigPids.LUN_TARGET, UNMAPPED),
                    p.getOrDefault(ConfigPids.LUN_ID, ""), p.getOrDefault(ConfigPids.LUN_BACKEND, ""), size,
                    info != null && info.blockSize() > 0 ? info.blockSize() : p.getOrDefault("blockSize", ""),
                    state, info != null ? info.detail() : "");
        }
        return table;
    }

    static ShellTable portals(Collection<ConfigObject> portals, TargetService service) {
        Map<String, PortalInfo> running = service == null ? Map.of()
                : service.portals().stream().collect(Collectors.toMap(PortalInfo::name, Function.identity(), (a, b) -> a));
        ShellTable table = new ShellTable().emptyTableText("no portal");
        table.column("Name");
        table.column("Address");
        table.column("Port").alignRight();
        table.column("Transport");
        table.column("TPGT").alignRight();
        table.column("State");
        table.column("Detail");
        for (ConfigObject portal : portals) {
            Map<String, String> p = portal.properties();
            PortalInfo info = running.get(portal.name());
            // Defaults as the portal component applies them (PortalComponent in the iscsi bundle).
            table.addRow().addContent(portal.name(),
                    info != null ? info.address() : p.getOrDefault(ConfigPids.PORTAL_ADDRESS, "127.0.0.1"),
                    info != null ? info.port() : p.getOrDefault(ConfigPids.PORTAL_PORT, "3260"),
                    info != null ? info.transport() : p.getOrDefault(ConfigPids.PORTAL_TRANSPORT, "tcp"),
                    p.getOrDefault(ConfigPids.PORTAL_TPGT, "1"),
                    info != null ? info.state() : RunState.of(service, null), info != null ? info.detail() : "");
        }
        return table;
    }

    static ShellTable acls(Collection<ConfigObject> acls) {
        ShellTable table = new ShellTable().emptyTableText("no ACL: every initiator that authenticates may log in");
        table.column("Name");
        table.column("Target");
        table.column("Initiator");
        table.column("LUNs");
        table.column("Access");
        table.column("CHAP user");
        for (ConfigObject acl : acls) {
            Map<String, String> p = acl.properties();
            String luns = p.getOrDefault(ConfigPids.ACL_LUNS, "");
            table.addRow().addContent(acl.name(), p.getOrDefault(ConfigPids.ACL_TARGET, ""),
                    p.getOrDefault(ConfigPids.ACL_INITIATOR, ""), luns.isBlank() ? "all" : luns,
                    Boolean.parseBoolean(p.getOrDefault(ConfigPids.ACL_READ_ONLY, "false")) ? "read-only" : "read-write",
                    chapUsers(p));
        }
        return table;
    }

    static ShellTable sessions(List<SessionInfo> sessions) {
        ShellTable table = new ShellTable().emptyTableText("no session is logged in");
        table.column("TSIH").alignRight();
        table.column("Initiator");
        table.column("ISID");
        table.column("Target");
        table.column("Conns").alignRight();
        table.column("Transport");
        table.column("Remote address");
        for (SessionInfo s : sessions) {
            table.addRow().addContent(s.tsih(), s.initiator(), s.isid(),
                    s.target().isEmpty() ? "(discovery)" : s.target(), s.connections(), s.transport(),
                    s.remoteAddress());
        }
        return table;
    }

    /** Property / value rows; secrets read {@code ********} (their presence matters, never their value). */
    static ShellTable properties(ConfigObject object) {
        ShellTable table = new ShellTable();
        table.column("Property");
        table.column("Value");
        object.redacted().properties().forEach((key, value) -> table.addRow().addContent(key, value));
        return table;
    }

    /** {@code alice}, {@code alice, mutual bob}, or empty without CHAP. */
    static String chapUsers(Map<String, String> p) {
        String user = p.getOrDefault(ConfigPids.CHAP_USER, "");
        String mutual = p.getOrDefault(ConfigPids.MUTUAL_USER, "");
        return mutual.isEmpty() ? user : user + ", mutual " + mutual;
    }
}
