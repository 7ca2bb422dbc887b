package dev.lunar.shell.internal;

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
 * {@code lunar:lun-delete}: removes a LUN configuration; the LUN closes once its outstanding I/O
 * is done. A file backend's file stays on disk.
 */
@Service
@Command(scope = "lunar", name = "lun-delete",
        description = "Deletes a LUN (refused while its target has sessions, unless --force)")
public class LunDeleteCommand implements Action {

    @Argument(index = 0, name = "name", required = true, description = "LUN name")
    @Completion(LunNameCompleter.class)
    String name;

    @Option(name = "--force", description = "Delete even while initiators are logged in to its target")
    boolean force;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        lookup.require(ObjectKind.LUN, name);
        lookup.service().delete(ObjectKind.LUN, name, force);
        System.out.println("LUN " + name + " deleted.");
        return null;
    }
}
