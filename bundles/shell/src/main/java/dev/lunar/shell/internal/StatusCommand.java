package dev.lunar.shell.internal;

import dev.lunar.api.LunService;
import dev.lunar.api.TargetService;
import java.util.ArrayList;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/**
 * {@code lunar:status}: the one-screen answer to "is Lunar up and serving?". Thin by design: it
 * collects what the framework and the optional management services say and hands it to
 * {@link StatusReport} for printing.
 */
@Service
@Command(scope = "lunar", name = "status",
        description = "Shows the Lunar version, its bundles, portals, LUNs, transports, backends and the number of sessions")
public class StatusCommand implements Action {

    /** Bundles whose symbolic name starts with this belong to Lunar. */
    static final String LUNAR_BUNDLE_PREFIX = "dev.lunar.";

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference
    BundleContext bundleContext;

    // Both optional: the status must still print (and say what is missing) while the iSCSI
    // engine or the SCSI core is not installed, not started, or being updated.
    @Reference(optional = true)
    TargetService targetService;

    @Reference(optional = true)
    LunService lunService;

    @Override
    public Object execute() {
        Bundle self = bundleContext.getBundle();
        String version = self.getHeaders().get("Lunar-Version");
        StatusReport report = new StatusReport(version != null ? version : self.getVersion().toString(),
                lunarBundles(), targetService, lunService);
        report.print(System.out, !noFormat);
        return null;
    }

    private List<StatusReport.BundleRow> lunarBundles() {
        List<StatusReport.BundleRow> rows = new ArrayList<>();
        for (Bundle bundle : bundleContext.getBundles()) {
            String name = bundle.getSymbolicName();
            if (name != null && name.startsWith(LUNAR_BUNDLE_PREFIX)) {
                rows.add(new StatusReport.BundleRow(bundle.getBundleId(), name, bundle.getVersion().toString(),
                        StatusReport.stateName(bundle.getState())));
            }
        }
        return rows;
    }
}
