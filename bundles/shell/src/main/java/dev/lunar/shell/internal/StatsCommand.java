package dev.lunar.shell.internal;

import dev.lunar.api.LunService;
import dev.lunar.api.TargetService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code lunar:stats}: I/O rates of LUNs and sessions. The services keep monotonic counters and a
 * latency histogram; this command samples them twice, {@code --interval} seconds apart, and prints
 * the difference (so it costs the data path nothing while nobody asks). {@code --interval 0}
 * prints the totals since each LUN opened or session logged in.
 */
@Service
@Command(scope = "lunar", name = "stats",
        description = "Shows IOPS, MB/s and latency percentiles of LUNs and sessions over an interval")
public class StatsCommand implements Action {

    @Option(name = "--lun", description = "Only this LUN")
    @Completion(LunNameCompleter.class)
    String lun;

    @Option(name = "--session", description = "Only this session (TSIH)")
    @Completion(SessionCompleter.class)
    Integer session;

    @Option(name = "--interval", description = "Seconds between the two samples (default 1); 0: totals since start")
    int interval = 1;

    @Option(name = "--no-format", description = "Disable table rendered output")
    boolean noFormat;

    @Reference(optional = true)
    LunService luns;

    @Reference(optional = true)
    TargetService targets;

    /** One table: where its samples come from and how it is labelled. */
    private record Section(String title, String keyColumn, String ownerColumn, String feature,
            Supplier<List<StatsReport.Sample>> sampler, String filterKey, String notFound) {

        List<StatsReport.Sample> sample() {
            List<StatsReport.Sample> all = sampler.get();
            if (filterKey == null) {
                return all;
            }
            List<StatsReport.Sample> one = all.stream().filter(s -> s.key().equals(filterKey)).toList();
            if (one.isEmpty()) {
                throw new IllegalArgumentException(notFound);
            }
            return one;
        }
    }

    @Override
    public Object execute() {
        if (interval < 0 || interval > 3600) {
            throw new IllegalArgumentException("--interval must be from 0 to 3600 seconds, not " + interval + ".");
        }
        List<Section> sections = sections();
        List<List<StatsReport.Sample>> first = new ArrayList<>();
        for (Section section : sections) {
            first.add(sampleOrNull(section));
        }
        long start = System.nanoTime();
        if (interval > 0) {
            try {
                TimeUnit.SECONDS.sleep(interval);
            } catch (InterruptedException ctrlC) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        boolean format = !noFormat;
        for (int i = 0; i < sections.size(); i++) {
            Section section = sections.get(i);
            if (i > 0) {
                System.out.println();
            }
            System.out.println(section.title() + (interval > 0 ? " (per second over " + interval + " s)" : " (since start)"));
            if (first.get(i) == null) {
                System.out.println(Availability.notAvailable(section.feature()));
                continue;
            }
            if (interval == 0) {
                StatsReport.printTotals(System.out, format, section.keyColumn(), section.ownerColumn(), first.get(i));
            } else {
                List<StatsReport.Sample> second = sampleOrNull(section);
                if (second == null) {
                    System.out.println(Availability.notAvailable(section.feature()));
                    continue;
                }
                StatsReport.printRates(System.out, format, section.keyColumn(), section.ownerColumn(), first.get(i),
                        second, System.nanoTime() - start);
            }
        }
        return null;
    }

    /**
     * The tables asked for: both without a filter, otherwise the filtered ones. A filtered
     * section whose service cannot count is an error; an unfiltered one just says so.
     */
    private List<Section> sections() {
        boolean all = lun == null && session == null;
        List<Section> sections = new ArrayList<>();
        if (all || lun != null) {
            LunService service = Availability.running(luns, LunService.class, "The SCSI core");
            sections.add(new Section("LUNs", "LUN", "Target", "LUN I/O counting",
                    () -> service.lunStats().stream().map(LunInfoCommand::sample).toList(), lun,
                    "There is no LUN named '" + lun + "' with statistics; lunar:lun-list shows the LUNs."));
        }
        if (all || session != null) {
            TargetService service = Availability.running(targets, TargetService.class, "The iSCSI engine");
            String tsih = session == null ? null : session.toString();
            sections.add(new Section("Sessions", "TSIH", "Initiator", "session I/O counting",
                    () -> service.sessionStats().stream().map(s -> new StatsReport.Sample(
                            Integer.toString(s.tsih()), s.initiator(), s.io())).toList(), tsih,
                    "There is no session with TSIH " + tsih + "; lunar:session-list shows the sessions."));
        }
        if (!all) {
            for (Section section : sections) {
                // Asked for by name: "cannot count" is the answer, not a footnote.
                Availability.feature(section::sample, section.feature());
            }
        }
        return sections;
    }

    private static List<StatsReport.Sample> sampleOrNull(Section section) {
        try {
            return section.sample();
        } catch (UnsupportedOperationException notYet) {
            return null;
        }
    }
}
