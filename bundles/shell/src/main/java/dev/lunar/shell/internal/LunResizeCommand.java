package dev.lunar.shell.internal;

import dev.lunar.api.ConfigurationService;
import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
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
 * {@code lunar:lun-resize}: changes a LUN's {@code size}. The LUN applies it live, without a
 * restart (initiators are told by a CAPACITY DATA HAS CHANGED unit attention, ASC/ASCQ 2Ah/09h);
 * whether a backend can shrink is the backend's call, and lun-info shows the outcome.
 */
@Service
@Command(scope = "lunar", name = "lun-resize", description = "Changes the size of a LUN")
public class LunResizeCommand implements Action {

    @Argument(index = 0, name = "name", required = true, description = "LUN name")
    @Completion(LunNameCompleter.class)
    String name;

    @Argument(index = 1, name = "size", required = true, description = "New size: 4k, 1GiB, 10G (binary units)")
    String size;

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    LunService luns;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        long bytes = ByteSizes.parse("Size", size);
        lookup.require(ObjectKind.LUN, name);
        String before = luns == null ? "" : luns.luns().stream().filter(l -> l.name().equals(name))
                .map(LunInfo::sizeBytes).filter(b -> b > 0).map(b -> " (was " + ByteSizes.format(b) + ")")
                .findFirst().orElse("");
        lookup.service().update(ObjectKind.LUN, name, Map.of("size", size), List.of());
        System.out.println("LUN " + name + " resized to " + ByteSizes.format(bytes) + before + ".");
        return null;
    }
}
