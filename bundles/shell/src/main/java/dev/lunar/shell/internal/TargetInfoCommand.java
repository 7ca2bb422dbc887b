package dev.lunar.shell.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.LunService;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetService;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code lunar:target-info}: one target with everything that hangs off it. Every portal is listed:
 * a target is reachable through all of them (SendTargets reports each).
 */
@Service
@Command(scope = "lunar", name = "target-info",
        description = "Shows a target: its settings (secrets hidden), portals, LUNs, ACLs and sessions")
public class TargetInfoCommand implements Action {

    @Argument(index = 0, name = "target", required = true, description = "Target name or IQN")
    @Completion(TargetCompleter.class)
    String target;

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    TargetService targets;

    @Reference(optional = true)
    LunService luns;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        ConfigObject object = lookup.target(target);
        String iqn = ConfigLookup.iqn(object);
        boolean format = !noFormat;

        System.out.println("Target " + object.name());
        ObjectTables.properties(object).print(System.out, format);
        System.out.println();
        System.out.println("Portals");
        ObjectTables.portals(lookup.service().list(ObjectKind.PORTAL), targets).print(System.out, format);
        System.out.println();
        System.out.println("LUNs");
        ObjectTables.luns(lookup.lunsOf(iqn), luns).print(System.out, format);
        System.out.println();
        System.out.println("ACLs");
        ObjectTables.acls(lookup.aclsOf(iqn)).print(System.out, format);
        System.out.println();
        System.out.println("Sessions");
        if (targets == null) {
            System.out.println("unknown: the iSCSI engine is not running");
        } else {
            List<SessionInfo> sessions = targets.sessions().stream().filter(s -> iqn.equals(s.target())).toList();
            ObjectTables.sessions(sessions).print(System.out, format);
        }
        return null;
    }
}
