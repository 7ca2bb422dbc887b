package dev.lunar.shell.internal;

import dev.lunar.api.MoveReport;
import dev.lunar.api.TargetService;
import java.util.Optional;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/**
 * {@code lunar:transport-move}: moves live connections from one transport kind to another of the
 * same wire without the initiator noticing (DESIGN.md §3.5: quiesce at a PDU boundary, detach,
 * adopt). Blocks while the engine moves them; prints one row per connection moved or not.
 */
@Service
@Command(scope = "lunar", name = "transport-move",
        description = "Moves live connections between two transport kinds of the same wire")
public class TransportMoveCommand implements Action {

    @Option(name = "--from", required = true, description = "Transport kind the connections are on now")
    @Completion(TransportKindCompleter.class)
    String from;

    @Option(name = "--to", required = true, description = "Transport kind to move them to (same wire)")
    @Completion(TransportKindCompleter.class)
    String to;

    @Option(name = "--session", description = "Only this session's connections (TSIH); all of --from when absent")
    @Completion(SessionCompleter.class)
    Integer session;

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    TargetService targets;

    @Override
    public Object execute() {
        TargetService service = Availability.running(targets, TargetService.class, "The iSCSI engine");
        if (session != null) {
            SessionInfoCommand.find(service, session);
        }
        MoveReport report;
        try {
            report = Availability.feature(() -> service.moveConnections(from, to, Optional.ofNullable(session)),
                    "moving connections between transports");
        } catch (IllegalArgumentException refused) {
            // The engine says why in a clause ("no transport of kind 'x' is running; ..."); the
            // shell prints it after "Error executing command:", so make it a sentence.
            throw new IllegalArgumentException(sentence(refused.getMessage()), refused);
        } catch (IllegalStateException unavailable) {
            // The engine's hand-over component is down (a clause too).
            throw new IllegalStateException(sentence(unavailable.getMessage()), unavailable);
        }
        if (report.moved().isEmpty() && report.failed().isEmpty()) {
            System.out.println("No connection " + (session == null ? "" : "of session " + session + " ")
                    + "is carried by transport " + from + "; nothing moved.");
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("Result");
        table.column("Connection");
        for (String id : report.moved()) {
            table.addRow().addContent("moved to " + to, id);
        }
        for (String why : report.failed()) {
            table.addRow().addContent("not moved", why);
        }
        table.print(System.out, !noFormat);
        return null;
    }

    /** A clause as a sentence: capital first letter, full stop at the end. */
    static String sentence(String clause) {
        if (clause == null || clause.isBlank()) {
            return "The move was refused without a reason.";
        }
        String s = Character.toUpperCase(clause.charAt(0)) + clause.substring(1);
        return s.endsWith(".") ? s : s + ".";
    }
}
