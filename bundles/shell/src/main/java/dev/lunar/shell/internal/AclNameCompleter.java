package dev.lunar.shell.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import java.util.Collection;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** Completes the names of the configured ACLs. */
@Service
public class AclNameCompleter extends CandidateCompleter {

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    Collection<String> candidates() {
        return configs.list(ObjectKind.ACL).stream().map(ConfigObject::name).toList();
    }
}
