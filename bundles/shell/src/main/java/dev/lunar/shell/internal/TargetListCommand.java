package dev.lunar.shell.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TargetService;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/**
 * {@code lunar:target-list}: every configured target with what is running of it. A configured
 * target the iSCSI engine does not run (a bad key, the engine stopped) shows as such.
 */
@Service
@Command(scope = "lunar", name = "target-list", description = "Lists the targets")
public class TargetListCommand implements Action {

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    TargetService targets;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        Map<String, TargetInfo> running = targets == null ? Map.of()
                : targets.targets().stream().collect(Collectors.toMap(TargetInfo::name, Function.identity(), (a, b) -> a));
        ShellTable table = new ShellTable().emptyTableText("no target is configured; lunar:target-create adds one");
        table.column("Name");
        table.column("IQN");
        table.column("Alias");
        table.column("Auth");
        table.column("LUNs").alignRight();
        table.column("ACLs").alignRight();
        table.column("Sessions").alignRight();
        table.column("State");
        for (ConfigObject target : lookup.service().list(ObjectKind.TARGET)) {
            String iqn = ConfigLookup.iqn(target);
            TargetInfo info = running.get(target.name());
            table.addRow().addContent(target.name(), iqn,
                    target.properties().getOrDefault(ConfigPids.TARGET_ALIAS, ""),
                    target.properties().getOrDefault(ConfigPids.TARGET_AUTH, "none"),
                    lookup.lunsOf(iqn).size(), lookup.aclsOf(iqn).size(),
                    info == null ? "" : info.sessions(), RunState.of(targets, info));
        }
        table.print(System.out, !noFormat);
        return null;
    }
}
