package dev.lunar.shell.internal;

import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetService;
import java.util.Collection;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** Completes the TSIHs of the sessions logged in now. */
@Service
public class SessionCompleter extends CandidateCompleter {

    @Reference(optional = true)
    TargetService targets;

    @Override
    Collection<String> candidates() {
        return targets.sessions().stream().map(SessionInfo::tsih).map(String::valueOf).toList();
    }
}
