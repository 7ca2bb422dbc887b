package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code lunar:acl-add}: lets one initiator into a target. Once a target has an ACL it admits only
 * the initiators its ACLs name, each seeing only its LUNs (all of them when {@code --luns} is left
 * out).
 */
@Service
@Command(scope = "lunar", name = "acl-add", description = "Allows an initiator into a target (optionally only some LUNs, read-only)")
public class AclAddCommand implements Action {

    @Argument(index = 0, name = "name", required = true,
            description = "Configuration name (the file etc/dev.lunar.acl-NAME.cfg)")
    String name;

    @Option(name = "--target", required = true, description = "Target name or IQN")
    @Completion(TargetCompleter.class)
    String target;

    @Option(name = "--initiator", required = true, description = "Initiator name, e.g. iqn.1994-05.com.redhat:host1")
    String initiator;

    @Option(name = "--luns", description = "LUN numbers it sees, comma-separated (default: all)")
    String luns;

    @Option(name = "--read-only", description = "Refuse this initiator's writes")
    boolean readOnly;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        String iqn = ConfigLookup.iqn(lookup.target(target));
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(ConfigPids.ACL_TARGET, iqn);
        properties.put(ConfigPids.ACL_INITIATOR, initiator);
        if (luns != null) {
            properties.put(ConfigPids.ACL_LUNS, lunList(luns));
        }
        if (readOnly) {
            properties.put(ConfigPids.ACL_READ_ONLY, "true");
        }
        lookup.service().create(ObjectKind.ACL, name, properties);
        System.out.println("ACL " + name + ": " + initiator + " may log in to " + iqn
                + (luns != null ? " and sees LUN(s) " + properties.get(ConfigPids.ACL_LUNS) : " and sees every LUN")
                + (readOnly ? ", read-only." : "."));
        return null;
    }

    /** {@code 0,1, 3} as {@code 0,1,3}: LUN numbers, sorted, without duplicates. */
    static String lunList(String raw) {
        TreeSet<Integer> numbers = new TreeSet<>();
        for (String part : raw.split(",")) {
            String n = part.trim();
            try {
                numbers.add(LunCreateCommand.checkedLun(Integer.parseInt(n)));
            } catch (NumberFormatException notANumber) {
                throw new IllegalArgumentException("--luns takes LUN numbers separated by commas, for example 0,1;"
                        + " '" + n + "' is not a number.");
            }
        }
        List<String> text = new ArrayList<>();
        numbers.forEach(n -> text.add(n.toString()));
        return String.join(",", text);
    }
}
