package dev.lunar.shell.internal;

import dev.lunar.api.BackendInfo;
import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
import java.util.Collection;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * Completes backend kinds: the ones bound now, or, where this version cannot list backends, the
 * kinds the configured LUNs use.
 */
@Service
public class BackendKindCompleter extends CandidateCompleter {

    @Reference(optional = true)
    LunService luns;

    @Override
    Collection<String> candidates() {
        Collection<String> kinds = new TreeSet<>();
        try {
            luns.backends().stream().map(BackendInfo::kind).forEach(kinds::add);
        } catch (UnsupportedOperationException notYet) {
            luns.luns().stream().map(LunInfo::backend).forEach(kinds::add);
        }
        return kinds;
    }
}
