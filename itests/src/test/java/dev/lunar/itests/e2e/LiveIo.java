package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the live-operation tests (transport update, transport move, backend update) share: QD32
 * {@code qemu-img bench} load against one target's LUN 0, and the evidence that an operation was
 * invisible to the initiators — the same client TCP connections ({@code ss}), the same session
 * lines, no new login in karaf.log — plus the engine's own log lines about the operation.
 */
final class LiveIo {

    private final LunarProcess lunar;
    private final String iqn;

    LiveIo(LunarProcess lunar, String iqn) {
        this.lunar = lunar;
        this.iqn = iqn;
    }

    String url() {
        return lunar.iscsiUrl("/" + iqn + "/0");
    }

    /** {@code qemu-img bench} at queue depth 32 with 4 KiB requests plus {@code arguments}. */
    ToolResult bench(String... arguments) {
        List<String> argv = new ArrayList<>(List.of("qemu-img", "bench", "-f", "raw", "-t", "none", "-d", "32",
                "-s", "4k"));
        argv.addAll(List.of(arguments));
        argv.add(url());
        Tools.require("qemu-img", "qemu-utils");
        return Tools.run(Duration.ofMinutes(10), Map.of(), argv);
    }

    /** {@link #bench}, which must succeed. */
    void benchOk(String... arguments) {
        ToolResult r = bench(arguments);
        assertTrue(r.succeeded(), r::describe);
    }

    /** Established client-side TCP connections to the default portal: "local -> peer" as {@code ss} shows them. */
    TreeSet<String> clientConnections() {
        ToolResult ss = Tools.run(Duration.ofSeconds(10), "ss", "-tnH", "state", "established",
                "( dport = :" + lunar.iscsiPort() + " )");
        assertTrue(ss.succeeded(), ss::describe);
        TreeSet<String> out = new TreeSet<>();
        for (String line : ss.output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4) {
                out.add(f[f.length - 2] + " -> " + f[f.length - 1]);
            }
        }
        return out;
    }

    /** The lines of {@code lunar:session-list} for the target (TSIH, initiator, remote address, transport), sorted. */
    List<String> sessionLines() {
        ToolResult list = lunar.shell("lunar:session-list --no-format");
        assertTrue(list.succeeded(), list::describe);
        List<String> out = new ArrayList<>();
        for (String line : list.output().split("\n")) {
            if (line.contains(iqn)) {
                out.add(line.trim());
            }
        }
        Collections.sort(out);
        return out;
    }

    String log() {
        try {
            return Files.readString(lunar.home().resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Logins to the target so far (the iscsi bundle logs one INFO line per login). */
    int logins() {
        Matcher m = Pattern.compile("logged in to " + Pattern.quote(iqn) + " via").matcher(log());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    void awaitLogins(int expected) throws InterruptedException {
        for (int i = 0; i < 600 && logins() < expected; i++) {
            Thread.sleep(100);
        }
        assertEquals(expected, logins(), "both benches should be logged in\n" + lunar.diagnostics());
    }

    /** Every match of {@code line} in karaf.log as the two numbers of groups {@code first} and {@code second}. */
    List<long[]> logged(Pattern line, int first, int second) {
        Matcher m = line.matcher(log());
        List<long[]> out = new ArrayList<>();
        while (m.find()) {
            out.add(new long[] {Long.parseLong(m.group(first)), Long.parseLong(m.group(second))});
        }
        return out;
    }

    /** The id of the bundle with this symbolic name, from {@code bundle:list}. */
    String bundleId(String symbolicName) {
        ToolResult list = lunar.shell("bundle:list -s -t 0 --no-format");
        assertTrue(list.succeeded(), list::describe);
        for (String line : list.output().split("\n")) {
            if (line.contains(symbolicName)) {
                return line.trim().split("\\s*\\|\\s*|\\s+")[0];
            }
        }
        throw new AssertionError("no bundle " + symbolicName + " in\n" + list.output());
    }
}
