package dev.lunar.shell.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code lunar:acl-list}: who may log in where and see what (CHAP users shown, secrets never). */
@Service
@Command(scope = "lunar", name = "acl-list", description = "Lists the ACLs, of all targets or of one")
public class AclListCommand implements Action {

    @Option(name = "--target", description = "Only this target's ACLs (name or IQN)")
    @Completion(TargetCompleter.class)
    String target;

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigLookup lookup = new ConfigLookup(configs);
        List<ConfigObject> acls = target == null ? lookup.service().list(ObjectKind.ACL)
                : lookup.aclsOf(ConfigLookup.iqn(lookup.target(target)));
        ObjectTables.acls(acls)
                .emptyTableText(target == null ? "no ACL is configured: every target admits every initiator that"
                        + " authenticates" : "no ACL: every initiator that authenticates may log in")
                .print(System.out, !noFormat);
        return null;
    }
}
