package dev.lunar.shell.internal;

import dev.lunar.api.BackendInfo;
import dev.lunar.api.LunService;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code lunar:backend-list}: the backend kinds bound now, their bundles and the LUNs open on each. */
@Service
@Command(scope = "lunar", name = "backend-list", description = "Lists the backends bound now")
public class BackendListCommand implements Action {

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    LunService luns;

    @Override
    public Object execute() {
        LunService service = Availability.running(luns, LunService.class, "The SCSI core");
        List<BackendInfo> backends = Availability.feature(service::backends, "the backend listing");
        ShellTable table = new ShellTable().emptyTableText("no backend is bound: LUNs wait for one");
        table.column("Kind");
        table.column("Bundle");
        table.column("LUNs");
        for (BackendInfo b : backends) {
            table.addRow().addContent(b.kind(), b.bundle(), String.join(", ", b.luns()));
        }
        table.print(System.out, !noFormat);
        return null;
    }
}
