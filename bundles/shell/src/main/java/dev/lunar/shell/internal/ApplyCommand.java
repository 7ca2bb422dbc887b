package dev.lunar.shell.internal;

import dev.lunar.api.ApplyPlan;
import dev.lunar.api.ConfigDocument;
import dev.lunar.api.ConfigPids;
import dev.lunar.api.ConfigurationService;
import dev.lunar.api.PlanStep;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;

/**
 * {@code lunar:apply FILE [--dry-run]}: makes the running configuration equal a document written
 * by {@code lunar:export} (objects missing from the file are deleted), printing the plan. The
 * service checks the whole document before it changes anything and leaves equal objects alone.
 */
@Service
@Command(scope = "lunar", name = "apply",
        description = "Makes the configuration equal a JSON document (lunar:export's format); prints the changes")
public class ApplyCommand implements Action {

    /** What a document file may weigh: the service refuses more anyway; say so before reading. */
    static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

    @Argument(index = 0, name = "file", required = true, description = "The document (JSON) to apply")
    @Completion(FileCompleter.class)
    String file;

    @Option(name = "--dry-run", description = "Only print what would change; change nothing")
    boolean dryRun;

    @Reference(optional = true)
    ConfigurationService configs;

    @Override
    public Object execute() {
        ConfigurationService service = Availability.running(configs, ConfigurationService.class,
                "Lunar's configuration service");
        ConfigDocument desired = service.parseJson(readText(file));
        ApplyPlan plan = service.apply(desired, dryRun);
        printPlan(System.out, plan, file);
        return null;
    }

    /**
     * Reads a UTF-8 text file for a command.
     *
     * @throws IllegalArgumentException with a sentence when it is missing, a directory, too big,
     *     unreadable or not UTF-8
     */
    static String readText(String name) {
        Path path = Path.of(name);
        try {
            if (Files.isDirectory(path)) {
                throw new IllegalArgumentException(name + " is a directory; give the path of a JSON file");
            }
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) {
                throw new IllegalArgumentException(name + " has " + size + " bytes; a configuration document has at "
                        + "most 16 MiB, so this is probably not one");
            }
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(path)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("there is no file " + path.toAbsolutePath()
                    + " (relative paths start in Lunar's home directory)");
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(name + " is not UTF-8 text");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + name + ": " + e.getMessage());
        }
    }

    /** Prints one line per step ("+ create", "~ update" with the keys that change, "- delete") and a summary. */
    static void printPlan(PrintStream out, ApplyPlan plan, String source) {
        if (plan.isEmpty()) {
            out.println("Nothing to change: the configuration already matches " + source + ".");
            return;
        }
        for (PlanStep step : plan.steps()) {
            out.println(line(step));
        }
        int n = plan.steps().size();
        String changes = n + (n == 1 ? " change" : " changes");
        out.println(plan.applied() ? changes + " applied."
                : "Dry run: " + changes + " planned, nothing was changed (run without --dry-run to apply).");
    }

    static String line(PlanStep step) {
        String object = step.kind().label() + " " + step.name();
        return switch (step.action()) {
            case CREATE -> "+ create " + object + " " + properties(step.after());
            case DELETE -> "- delete " + object;
            case UPDATE -> "~ update " + object + ": " + String.join(", ", differences(step.before(), step.after()));
        };
    }

    private static String properties(Map<String, String> p) {
        List<String> parts = new ArrayList<>();
        p.forEach((k, v) -> parts.add(k + "=" + v));
        return "{" + String.join(", ", parts) + "}";
    }

    /** "size 64MiB -> 128MiB", "+removable=true", "-readOnly", "chapSecret changed" (never its value). */
    static List<String> differences(Map<String, String> before, Map<String, String> after) {
        TreeSet<String> keys = new TreeSet<>(before.keySet());
        keys.addAll(after.keySet());
        List<String> parts = new ArrayList<>();
        for (String k : keys) {
            String b = before.get(k);
            String a = after.get(k);
            if (b == null) {
                parts.add("+" + k + "=" + a);
            } else if (a == null) {
                parts.add("-" + k);
            } else if (!a.equals(b)) {
                // Plans are redacted; the service marks a secret that changes "******** (changed)".
                parts.add(ConfigPids.isSecret(k) ? k + " changed" : k + " " + b + " -> " + a);
            }
        }
        return parts.isEmpty() ? List.of("no visible difference") : parts;
    }
}
