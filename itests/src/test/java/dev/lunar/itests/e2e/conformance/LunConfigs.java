package dev.lunar.itests.e2e.conformance;

import dev.lunar.itests.e2e.LunarProcess;
import dev.lunar.itests.e2e.ToolResult;
import dev.lunar.itests.e2e.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adds targets and LUNs to a running distribution the way an admin does without the shell: a
 * Config Admin factory configuration file dropped into {@code etc/}, which Karaf's fileinstall
 * turns into configuration {@code <factoryPid>~<name>} within a second or two (DESIGN.md §3.6).
 * Keys are those of {@code dev.lunar.api.ConfigPids} and the backends' options.
 */
public final class LunConfigs {

    /** How long a new LUN may take to answer: fileinstall's poll plus backend open, on a busy CI box. */
    private static final Duration LUN_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(15);

    private LunConfigs() {
    }

    /** A target without CHAP (the portal is loopback only, DESIGN.md §3.7). */
    public static void addTarget(LunarProcess lunar, String name, String iqn) {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("iqn", iqn);
        keys.put("auth", "none");
        write(lunar, "dev.lunar.target-" + name + ".cfg", keys);
    }

    /**
     * A LUN of {@code iqn} on {@code backend}; {@code options} are the backend's (size, path,
     * readOnly, ...). Returns at once: call {@link #awaitLun} before using it.
     */
    public static void addLun(LunarProcess lunar, String name, String iqn, int lun, String backend,
            Map<String, String> options) {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("target", iqn);
        keys.put("lun", Integer.toString(lun));
        keys.put("backend", backend);
        keys.putAll(options);
        write(lunar, "dev.lunar.lun-" + name + ".cfg", keys);
    }

    /** Removes a configuration file written by this class (fileinstall deletes the configuration). */
    public static void remove(LunarProcess lunar, String fileName) {
        try {
            Files.deleteIfExists(lunar.home().resolve("etc").resolve(fileName));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until {@code url} (iscsi://host:port/iqn/lun) answers READ CAPACITY(16): the target
     * exists, the LUN is mapped and its backend is open. Fails with the last answer and Lunar's log.
     */
    public static void awaitLun(LunarProcess lunar, String url) {
        Tools.require("iscsi-readcapacity16", "libiscsi-bin");
        Instant deadline = Instant.now().plus(LUN_TIMEOUT);
        ToolResult last;
        do {
            last = Tools.run(PROBE_TIMEOUT, "iscsi-readcapacity16", url);
            if (last.succeeded()) {
                return;
            }
            sleep(500);
        } while (Instant.now().isBefore(deadline) && lunar.isAlive());
        throw new AssertionError("LUN " + url + " did not answer READ CAPACITY(16) within " + LUN_TIMEOUT
                + "; last try: " + last.describe() + "\n" + lunar.diagnostics());
    }

    /**
     * Writes the file under a name fileinstall ignores and renames it, so fileinstall never reads
     * half a file (it polls etc/ every second).
     */
    private static void write(LunarProcess lunar, String fileName, Map<String, String> keys) {
        StringBuilder text = new StringBuilder("# written by an end-to-end test\n");
        keys.forEach((key, value) -> text.append(key).append(" = ").append(value).append('\n'));
        Path etc = lunar.home().resolve("etc");
        Path partial = lunar.home().resolve(fileName + ".partial");
        try {
            Files.writeString(partial, text, StandardCharsets.UTF_8);
            Files.move(partial, etc.resolve(fileName), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + etc.resolve(fileName), e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
