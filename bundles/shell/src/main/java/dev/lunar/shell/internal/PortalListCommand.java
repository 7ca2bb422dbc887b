package dev.lunar.shell.internal;

import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.TargetService;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code lunar:portal-list}: configured portals with their listening state. */
@Service
@Command(scope = "lunar", name = "portal-list", description = "Lists the portals and whether they listen")
public class PortalListCommand implements Action {

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    TargetService targets;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        ShellTable table = ObjectTables.portals(lookup.service().list(ObjectKind.PORTAL), targets)
                .emptyTableText("no portal is configured; lunar:portal-add adds one");
        table.print(System.out, !noFormat);
        return null;
    }
}
