package dev.lunar.shell.internal;

import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetService;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code lunar:session-list}: who is logged in, from where, over which transport. */
@Service
@Command(scope = "lunar", name = "session-list", description = "Lists the logged-in iSCSI sessions")
public class SessionListCommand implements Action {

    @Option(name = "--verbose", aliases = "-v", description = "Also show each session's negotiated parameters")
    boolean verbose;

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    TargetService targets;

    @Override
    public Object execute() {
        List<SessionInfo> sessions = Availability.running(targets, TargetService.class, "The iSCSI engine").sessions();
        ObjectTables.sessions(sessions).print(System.out, !noFormat);
        if (verbose) {
            for (SessionInfo session : sessions) {
                System.out.println();
                System.out.println("Session " + session.tsih() + " parameters");
                SessionInfoCommand.parameters(session).print(System.out, !noFormat);
            }
        }
        return null;
    }
}
