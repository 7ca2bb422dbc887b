package dev.lunar.shell.internal;

import dev.lunar.api.ConfigObject;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.ObjectKind;
import dev.lunar.api.TargetInfo;
import dev.lunar.api.TargetService;
import java.util.Collection;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * Completes targets by configuration name and by IQN (commands accept either). Configured targets
 * first; the running ones when the configuration service is not there.
 */
@Service
public class TargetCompleter extends CandidateCompleter {

    @Reference(optional = true)
    ConfigurationService configs;

    @Reference(optional = true)
    TargetService targets;

    @Override
    Collection<String> candidates() {
        Collection<String> names = new TreeSet<>();
        if (configs != null) {
            for (ConfigObject target : configs.list(ObjectKind.TARGET)) {
                names.add(target.name());
                names.add(ConfigLookup.iqn(target));
            }
        } else if (targets != null) {
            for (TargetInfo target : targets.targets()) {
                names.add(target.name());
                names.add(target.iqn());
            }
        }
        names.remove("");
        return names;
    }
}
