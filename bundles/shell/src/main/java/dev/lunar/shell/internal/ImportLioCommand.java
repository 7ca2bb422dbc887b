package dev.lunar.shell.internal;

import dev.lunar.api.ApplyPlan;
import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ImportReport;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;

/**
 * {@code lunar:import-lio FILE [--apply]}: converts a Linux LIO {@code saveconfig.json} (targetcli)
 * and prints what it becomes and, one sentence each, what could not be mapped. With
 * {@code --apply} the imported objects are added to the running configuration (existing objects
 * stay; one with the same kind and name is replaced), all checked before anything changes.
 */
@Service
@Command(scope = "lunar", name = "import-lio",
        description = "Converts an LIO saveconfig.json (targetcli) and, with --apply, adds it to the configuration")
public class ImportLioCommand implements Action {

    @Argument(index = 0, name = "file", required = true, description = "LIO saveconfig.json, e.g. a copy of "
            + "/etc/target/saveconfig.json")
    @Completion(FileCompleter.class)
    String file;

    @Option(name = "--apply", description = "Add the converted objects to the running configuration")
    boolean apply;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigurationService service = Availability.running(configs, ConfigurationService.class,
                "Lunar's configuration service");
        ImportReport report = service.importLio(ApplyCommand.readText(file));
        printReport(System.out, report);
        if (apply) {
            ApplyPlan plan = service.apply(merged(service.export(), report.document()), false);
            ApplyCommand.printPlan(System.out, plan, "the running configuration plus " + file);
        } else {
            System.out.println("Nothing was changed; run again with --apply to add these objects.");
        }
        return null;
    }

    /** The running configuration with the imported objects added (replacing same kind and name). */
    static ConfigDocument merged(ConfigDocument running, ConfigDocument imported) {
        List<ConfigObject> all = new ArrayList<>(imported.objects());
        for (ConfigObject o : running.objects()) {
            boolean replaced = imported.objects().stream()
                    .anyMatch(i -> i.kind() == o.kind() && i.name().equals(o.name()));
            if (!replaced) {
                all.add(o);
            }
        }
        return new ConfigDocument(ConfigDocument.VERSION, all);
    }

    static void printReport(PrintStream out, ImportReport report) {
        List<ConfigObject> objects = report.document().objects();
        out.println("Converted " + objects.size() + (objects.size() == 1 ? " object:" : " objects:"));
        for (ConfigObject o : objects) {
            out.println("  " + o.kind().label() + " " + o.name() + " " + o.redacted().properties());
        }
        if (report.unmapped().isEmpty()) {
            out.println("Everything was mapped.");
        } else {
            out.println("Not mapped (" + report.unmapped().size() + "):");
            report.unmapped().forEach(sentence -> out.println("  - " + sentence));
        }
    }
}
