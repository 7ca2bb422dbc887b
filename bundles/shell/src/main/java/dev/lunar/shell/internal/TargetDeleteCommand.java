package dev.lunar.shell.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code lunar:target-delete}: removes a target. Its LUN and ACL objects stay configured (they are
 * separate objects that name the target by IQN) so re-creating the target brings them back; the
 * command says how many there are.
 */
@Service
@Command(scope = "lunar", name = "target-delete",
        description = "Deletes a target (refused while initiators are logged in, unless --force)")
public class TargetDeleteCommand implements Action {

    @Argument(index = 0, name = "target", required = true, description = "Target name or IQN")
    @Completion(TargetCompleter.class)
    String target;

    @Option(name = "--force", description = "Delete even while sessions are logged in (they end)")
    boolean force;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        ConfigObject object = lookup.target(target);
        String iqn = ConfigLookup.iqn(object);
        lookup.service().delete(ObjectKind.TARGET, object.name(), force);
        System.out.println("Target " + object.name() + " (" + iqn + ") deleted.");
        int luns = lookup.lunsOf(iqn).size();
        int acls = lookup.aclsOf(iqn).size();
        if (luns + acls > 0) {
            System.out.println("Its " + luns + " LUN(s) and " + acls + " ACL(s) stay configured for " + iqn
                    + "; lunar:lun-delete and lunar:acl-remove remove them.");
        }
        return null;
    }
}
