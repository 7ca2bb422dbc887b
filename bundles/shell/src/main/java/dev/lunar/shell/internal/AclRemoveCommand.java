package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code lunar:acl-remove}: withdraws an initiator's access (its running sessions are not cut here). */
@Service
@Command(scope = "lunar", name = "acl-remove", description = "Removes an ACL")
public class AclRemoveCommand implements Action {

    @Argument(index = 0, name = "name", required = true, description = "ACL name")
    @Completion(AclNameCompleter.class)
    String name;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        ConfigObject acl = lookup.require(ObjectKind.ACL, name);
        lookup.service().delete(ObjectKind.ACL, name, false);
        String target = acl.properties().getOrDefault(ConfigPids.ACL_TARGET, "");
        System.out.println("ACL " + name + " removed.");
        if (!target.isEmpty() && lookup.aclsOf(target).isEmpty()) {
            System.out.println(target + " has no ACL left: every initiator that authenticates may log in.");
        }
        return null;
    }
}
