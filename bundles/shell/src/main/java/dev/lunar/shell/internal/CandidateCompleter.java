package dev.lunar.shell.internal;

import java.util.Collection;
import java.util.List;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

/**
 * Completes from a list a management service gives at the moment TAB is pressed. A service that
 * is absent or throws yields no candidates: completion must never print an error in the middle of
 * the line being typed.
 */
abstract class CandidateCompleter implements Completer {

    /** The current candidates; may throw when the service is not there. */
    abstract Collection<String> candidates();

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> out) {
        Collection<String> names;
        try {
            names = candidates();
        } catch (RuntimeException serviceUnavailable) {
            names = List.of();
        }
        return new StringsCompleter(names).complete(session, commandLine, out);
    }
}
