package dev.lunar.shell.internal;

import dev.lunar.api.SessionInfo;
import dev.lunar.api.TargetService;
import java.util.List;
import java.util.TreeMap;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/**
 * {@code lunar:session-info}: one session, its negotiated operational parameters (RFC 7143 §13)
 * and its I/O totals.
 */
@Service
@Command(scope = "lunar", name = "session-info", description = "Shows a session: negotiated parameters and I/O totals")
public class SessionInfoCommand implements Action {

    @Argument(index = 0, name = "tsih", required = true, description = "Target session identifying handle")
    @Completion(SessionCompleter.class)
    int tsih;

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    TargetService targets;

    @Override
    public Object execute() {
        TargetService service = Availability.running(targets, TargetService.class, "The iSCSI engine");
        SessionInfo session = find(service, tsih);
        boolean format = !noFormat;
        ObjectTables.sessions(List.of(session)).print(System.out, format);
        System.out.println();
        System.out.println("Negotiated parameters");
        parameters(session).print(System.out, format);
        System.out.println();
        System.out.println("I/O since login");
        try {
            List<StatsReport.Sample> samples = service.sessionStats().stream().filter(s -> s.tsih() == tsih)
                    .map(s -> new StatsReport.Sample(Integer.toString(s.tsih()), s.initiator(), s.io())).toList();
            StatsReport.printTotals(System.out, format, "TSIH", "Initiator", samples);
        } catch (UnsupportedOperationException notYet) {
            System.out.println(Availability.notAvailable("session I/O counting"));
        }
        return null;
    }

    /**
     * The session with this TSIH.
     *
     * @throws IllegalArgumentException when none is logged in
     */
    static SessionInfo find(TargetService service, int tsih) {
        return service.sessions().stream().filter(s -> s.tsih() == tsih).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("There is no session with TSIH " + tsih
                        + "; lunar:session-list shows the sessions logged in."));
    }

    static ShellTable parameters(SessionInfo session) {
        ShellTable table = new ShellTable().emptyTableText("none negotiated");
        table.column("Key");
        table.column("Value");
        new TreeMap<>(session.parameters()).forEach((key, value) -> table.addRow().addContent(key, value));
        return table;
    }
}
