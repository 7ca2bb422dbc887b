package dev.lunar.shell.internal;

import dev.lunar.api.TargetService;
import dev.lunar.api.TransportInfo;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code lunar:transport-list}: the transport kinds bound now, their bundles, portals and connections. */
@Service
@Command(scope = "lunar", name = "transport-list", description = "Lists the transports bound now")
public class TransportListCommand implements Action {

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    TargetService targets;

    @Override
    public Object execute() {
        TargetService service = Availability.running(targets, TargetService.class, "The iSCSI engine");
        List<TransportInfo> transports = Availability.feature(service::transports, "the transport listing");
        ShellTable table = new ShellTable().emptyTableText("no transport is bound: portals wait for one");
        table.column("Kind");
        table.column("Wire");
        table.column("Bundle");
        table.column("Portals");
        table.column("Connections").alignRight();
        for (TransportInfo t : transports) {
            table.addRow().addContent(t.kind(), t.wire(), t.bundle(), String.join(", ", t.portals()), t.connections());
        }
        table.print(System.out, !noFormat);
        return null;
    }
}
