package dev.lunar.shell.internal;

import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetService;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code lunar:session-kill}: asks an initiator to log out (Async Message, RFC 7143 §11.9.1) and
 * closes its connections when it does not. Waits a bounded time for the session to be gone, so a
 * script that kills and then deletes does not race the logout.
 */
@Service
@Command(scope = "lunar", name = "session-kill", description = "Ends a session (asks the initiator to log out first)")
public class SessionKillCommand implements Action {

    /** Longer than the engine's logout grace, so the usual outcome is "ended", not "still closing". */
    static final long WAIT_SECONDS = 30;

    @Argument(index = 0, name = "tsih", required = true, description = "Target session identifying handle")
    @Completion(SessionCompleter.class)
    int tsih;

    @Option(name = "--reason", description = "Why, for the log")
    String reason = "ended by an administrator (lunar:session-kill)";

    @Reference(optional = true)
    TargetService targets;

    @Override
    public Object execute() throws InterruptedException {
        TargetService service = Availability.running(targets, TargetService.class, "The iSCSI engine");
        SessionInfo session = SessionInfoCommand.find(service, tsih);
        Optional<CompletionStage<Void>> ending = Availability.feature(() -> service.killSession(tsih, reason),
                "ending a session");
        if (ending.isEmpty()) {
            // It logged out between the lookup and the kill.
            System.out.println("Session " + tsih + " (" + session.initiator() + ") had already ended.");
            return null;
        }
        try {
            ending.get().toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
            System.out.println("Session " + tsih + " (" + session.initiator() + ") ended.");
        } catch (TimeoutException stillClosing) {
            System.out.println("Session " + tsih + " (" + session.initiator() + ") was told to end and is still"
                    + " closing after " + WAIT_SECONDS + " s; lunar:session-list shows when it is gone.");
        } catch (ExecutionException failed) {
            throw new IllegalStateException("Session " + tsih + " could not be ended: " + failed.getCause().getMessage(),
                    failed.getCause());
        }
        return null;
    }
}
