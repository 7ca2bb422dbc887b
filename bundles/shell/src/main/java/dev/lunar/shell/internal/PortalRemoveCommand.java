package dev.lunar.shell.internal;

import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code lunar:portal-remove}: stops listening on a portal and removes its configuration. */
@Service
@Command(scope = "lunar", name = "portal-remove", description = "Removes a portal")
public class PortalRemoveCommand implements Action {

    @Argument(index = 0, name = "name", required = true, description = "Portal name")
    @Completion(PortalNameCompleter.class)
    String name;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        lookup.require(ObjectKind.PORTAL, name);
        lookup.service().delete(ObjectKind.PORTAL, name, false);
        System.out.println("Portal " + name + " removed.");
        return null;
    }
}
