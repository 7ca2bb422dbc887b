package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.List;
import java.util.Map;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code lunar:lun-map}: puts a configured LUN into a target under a LUN number (or moves it to
 * another one). Initiators of the targets concerned get REPORTED LUNS DATA HAS CHANGED (3Fh/0Eh).
 */
@Service
@Command(scope = "lunar", name = "lun-map", description = "Maps a LUN into a target under a LUN number")
public class LunMapCommand implements Action {

    @Argument(index = 0, name = "name", required = true, description = "LUN name")
    @Completion(LunNameCompleter.class)
    String name;

    @Option(name = "--target", required = true, description = "Target name or IQN")
    @Completion(TargetCompleter.class)
    String target;

    @Option(name = "--lun", required = true, description = "LUN number in the target")
    int lun;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        lookup.require(ObjectKind.LUN, name);
        String iqn = ConfigLookup.iqn(lookup.target(target));
        lookup.service().update(ObjectKind.LUN, name, Map.of(ConfigPids.LUN_TARGET, iqn,
                ConfigPids.LUN_ID, Integer.toString(LunCreateCommand.checkedLun(lun))), List.of());
        System.out.println("LUN " + name + " mapped as LUN " + lun + " of " + iqn + ".");
        return null;
    }
}
