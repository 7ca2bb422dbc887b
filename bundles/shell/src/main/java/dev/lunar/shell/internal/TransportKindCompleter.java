package dev.lunar.shell.internal;

import dev.lunar.api.PortalInfo;
import dev.lunar.api.TargetService;
import dev.lunar.api.TransportInfo;
import java.util.Collection;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * Completes transport kinds: the ones bound now, or, where this version cannot list transports,
 * the kinds the portals use.
 */
@Service
public class TransportKindCompleter extends CandidateCompleter {

    @Reference(optional = true)
    TargetService targets;

    @Override
    Collection<String> candidates() {
        Collection<String> kinds = new TreeSet<>();
        try {
            targets.transports().stream().map(TransportInfo::kind).forEach(kinds::add);
        } catch (UnsupportedOperationException notYet) {
            targets.portals().stream().map(PortalInfo::transport).forEach(kinds::add);
        }
        return kinds;
    }
}
