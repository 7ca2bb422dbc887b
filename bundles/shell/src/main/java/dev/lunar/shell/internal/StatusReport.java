package dev.lunar.shell.internal;

import dev.lunar.api.BackendInfo;
import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
import dev.lunar.api.PortalInfo;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetService;
import dev.lunar.api.TransportInfo;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.apache.karaf.shell.support.table.ShellTable;
import org.osgi.framework.Bundle;

/**
 * The text of {@code lunar:status}, separated from the command so it can be tested without a
 * framework. Services may be {@code null}: the report then says which part is not running instead
 * of failing.
 */
final class StatusReport {

    /** One Lunar bundle as the framework sees it. */
    record BundleRow(long id, String symbolicName, String version, String state) {
    }

    // OSGi core R8 §4.4.2 bundle states; Karaf's bundle:list uses the same words.
    private static final Map<Integer, String> STATE_NAMES = Map.of(
            Bundle.UNINSTALLED, "Uninstalled",
            Bundle.INSTALLED, "Installed",
            Bundle.RESOLVED, "Resolved",
            Bundle.STARTING, "Starting",
            Bundle.STOPPING, "Stopping",
            Bundle.ACTIVE, "Active");

    private final String version;
    private final List<BundleRow> bundles;
    private final TargetService targets;
    private final LunService luns;

    StatusReport(String version, List<BundleRow> bundles, TargetService targets, LunService luns) {
        this.version = version;
        this.bundles = bundles;
        this.targets = targets;
        this.luns = luns;
    }

    static String stateName(int state) {
        return STATE_NAMES.getOrDefault(state, "Unknown(" + state + ")");
    }

    void print(PrintStream out, boolean format) {
        out.println("Lunar " + version);
        out.println();

        out.println("Bundles");
        ShellTable bundleTable = new ShellTable().emptyTableText("no Lunar bundle is installed");
        bundleTable.column("ID").alignRight();
        bundleTable.column("Symbolic name");
        bundleTable.column("Version");
        bundleTable.column("State");
        for (BundleRow row : bundles) {
            bundleTable.addRow().addContent(row.id(), row.symbolicName(), row.version(), row.state());
        }
        bundleTable.print(out, format);
        out.println();

        out.println("Portals");
        if (targets == null) {
            out.println("unknown: the iSCSI engine (" + TargetService.class.getName() + ") is not running");
        } else {
            ShellTable portalTable = new ShellTable().emptyTableText("no portal is configured");
            portalTable.column("Name");
            portalTable.column("Address");
            portalTable.column("Port").alignRight();
            portalTable.column("Transport");
            portalTable.column("State");
            portalTable.column("Detail");
            for (PortalInfo portal : targets.portals()) {
                portalTable.addRow().addContent(portal.name(), portal.address(), portal.port(), portal.transport(),
                        portal.state(), portal.detail());
            }
            portalTable.print(out, format);
        }
        out.println();

        out.println("LUNs");
        if (luns == null) {
            out.println("unknown: the SCSI core (" + LunService.class.getName() + ") is not running");
        } else {
            ShellTable lunTable = new ShellTable().emptyTableText("no LUN is configured");
            lunTable.column("Name");
            lunTable.column("Target");
            lunTable.column("LUN").alignRight();
            lunTable.column("Backend");
            lunTable.column("Size").alignRight();
            lunTable.column("Block").alignRight();
            lunTable.column("State");
            lunTable.column("Detail");
            for (LunInfo lun : luns.luns()) {
                lunTable.addRow().addContent(lun.name(), lun.target(), lun.lun(), lun.backend(), lun.sizeBytes(),
                        lun.blockSize(), lun.state(), lun.detail());
            }
            lunTable.print(out, format);
        }
        out.println();

        out.println("Transports");
        if (targets == null) {
            out.println("unknown: the iSCSI engine is not running");
        } else {
            printTransports(out, format);
        }
        out.println();

        out.println("Backends");
        if (luns == null) {
            out.println("unknown: the SCSI core is not running");
        } else {
            printBackends(out, format);
        }
        out.println();

        if (targets == null) {
            out.println("Sessions: unknown");
        } else {
            List<SessionInfo> sessions = targets.sessions();
            out.println("Sessions: " + sessions.size());
        }
    }

    private void printTransports(PrintStream out, boolean format) {
        List<TransportInfo> transports;
        try {
            transports = targets.transports();
        } catch (UnsupportedOperationException notYet) {
            out.println(Availability.notAvailable("the transport listing"));
            return;
        }
        ShellTable table = new ShellTable().emptyTableText("no transport is bound: portals wait for one");
        table.column("Kind");
        table.column("Wire");
        table.column("Portals");
        table.column("Connections").alignRight();
        for (TransportInfo t : transports) {
            table.addRow().addContent(t.kind(), t.wire(), String.join(", ", t.portals()), t.connections());
        }
        table.print(out, format);
    }

    private void printBackends(PrintStream out, boolean format) {
        List<BackendInfo> backends;
        try {
            backends = luns.backends();
        } catch (UnsupportedOperationException notYet) {
            out.println(Availability.notAvailable("the backend listing"));
            return;
        }
        ShellTable table = new ShellTable().emptyTableText("no backend is bound: LUNs wait for one");
        table.column("Kind");
        table.column("LUNs");
        for (BackendInfo b : backends) {
            table.addRow().addContent(b.kind(), String.join(", ", b.luns()));
        }
        table.print(out, format);
    }
}
