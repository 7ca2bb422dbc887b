package dev.lunar.shell.internal;

import dev.lunar.api.ConfigurationService;
import dev.lunar.api.LunService;
import dev.lunar.api.ObjectKind;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code lunar:lun-list}: configured LUNs with their backend state (READY, WAITING, FAILED and why). */
@Service
@Command(scope = "lunar", name = "lun-list", description = "Lists the LUNs and their state")
public class LunListCommand implements Action {

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    LunService luns;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        ObjectTables.luns(lookup.service().list(ObjectKind.LUN), luns)
                .emptyTableText("no LUN is configured; lunar:lun-create adds one")
                .print(System.out, !noFormat);
        return null;
    }
}
