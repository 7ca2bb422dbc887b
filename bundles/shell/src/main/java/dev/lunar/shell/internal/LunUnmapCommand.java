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
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code lunar:lun-unmap}: takes a LUN out of its target but keeps its configuration (backend,
 * size, path), so lun-map can put it back, into the same or another target.
 */
@Service
@Command(scope = "lunar", name = "lun-unmap", description = "Takes a LUN out of its target; it stays configured")
public class LunUnmapCommand implements Action {

    @Argument(index = 0, name = "name", required = true, description = "LUN name")
    @Completion(LunNameCompleter.class)
    String name;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        String target = lookup.require(ObjectKind.LUN, name).properties().get(ConfigPids.LUN_TARGET);
        if (target == null || target.isBlank()) {
            throw new IllegalArgumentException("LUN " + name + " is not mapped into any target.");
        }
        lookup.service().update(ObjectKind.LUN, name, Map.of(), List.of(ConfigPids.LUN_TARGET));
        System.out.println("LUN " + name + " unmapped from " + target + "; it stays configured (lunar:lun-map maps it).");
        return null;
    }
}
