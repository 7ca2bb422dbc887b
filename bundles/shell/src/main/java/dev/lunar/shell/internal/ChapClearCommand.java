package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.List;
import java.util.Map;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * {@code lunar:chap-clear}: removes CHAP credentials (and the mutual ones). A target goes back to
 * {@code auth=none}, which only loopback portals accept unless the target is marked insecure
 * (DESIGN.md §3.7).
 */
@Service
@Command(scope = "lunar", name = "chap-clear", description = "Removes CHAP credentials of a target, an ACL or discovery")
public class ChapClearCommand implements Action {

    private static final List<String> CHAP_KEYS = List.of(ConfigPids.CHAP_USER, ConfigPids.CHAP_SECRET,
            ConfigPids.MUTUAL_USER, ConfigPids.MUTUAL_SECRET);

    @Option(name = "--target", description = "Target name or IQN")
    @Completion(TargetCompleter.class)
    String target;

    @Option(name = "--acl", description = "ACL name")
    @Completion(AclNameCompleter.class)
    String acl;

    @Option(name = "--discovery", description = "Discovery sessions (SendTargets)")
    boolean discovery;

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    ConfigurationAdmin configAdmin;

    @Override
    public Object execute() throws Exception {
        ChapScope scope = ChapScope.of(target, acl, discovery);
        if (scope == ChapScope.DISCOVERY) {
            boolean had = new DiscoveryChap(configAdmin).clear();
            System.out.println(had ? "Discovery sessions no longer use CHAP." : "Discovery sessions did not use CHAP.");
            return null;
        }
        ConfigLookup lookup = new ConfigLookup(configs);
        if (scope == ChapScope.TARGET) {
            String name = lookup.target(target).name();
            lookup.service().update(ObjectKind.TARGET, name, Map.of(ConfigPids.TARGET_AUTH, "none"), CHAP_KEYS);
            System.out.println("Target " + name + " no longer uses CHAP; only loopback portals admit its initiators"
                    + " unless it is marked insecure.");
        } else {
            lookup.require(ObjectKind.ACL, acl);
            lookup.service().update(ObjectKind.ACL, acl, Map.of(), CHAP_KEYS);
            System.out.println("ACL " + acl + " no longer has its own CHAP credentials.");
        }
        return null;
    }
}
