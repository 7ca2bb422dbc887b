package dev.lunar.shell.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.LunService;
import dev.lunar.api.LunStats;
import dev.lunar.api.ObjectKind;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code lunar:lun-info}: one LUN's configuration, its running state and its I/O totals. */
@Service
@Command(scope = "lunar", name = "lun-info", description = "Shows a LUN: its options, state and I/O totals")
public class LunInfoCommand implements Action {

    @Argument(index = 0, name = "name", required = true, description = "LUN name")
    @Completion(LunNameCompleter.class)
    String name;

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    LunService luns;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        ConfigObject lun = lookup.require(ObjectKind.LUN, name);
        boolean format = !noFormat;
        System.out.println("LUN " + name);
        ObjectTables.properties(lun).print(System.out, format);
        System.out.println();
        System.out.println("State");
        ObjectTables.luns(List.of(lun), luns).print(System.out, format);
        System.out.println();
        System.out.println("I/O since start");
        if (luns == null) {
            System.out.println("unknown: the SCSI core is not running");
            return null;
        }
        try {
            List<StatsReport.Sample> samples = luns.lunStats().stream().filter(s -> s.name().equals(name))
                    .map(LunInfoCommand::sample).toList();
            StatsReport.printTotals(System.out, format, "LUN", "Target", samples);
        } catch (UnsupportedOperationException notYet) {
            System.out.println(Availability.notAvailable("LUN I/O counting"));
        }
        return null;
    }

    static StatsReport.Sample sample(LunStats stats) {
        return new StatsReport.Sample(stats.name(), stats.target(), stats.io());
    }
}
