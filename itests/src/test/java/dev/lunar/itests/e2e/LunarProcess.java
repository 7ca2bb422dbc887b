package dev.lunar.itests.e2e;

import dev.lunar.itests.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Lunar distribution running as a separate process, the way an operator runs it: a private
 * copy of karaf-assembly/target/assembly on free loopback ports, started with
 * {@code bin/karaf server}, driven over ssh and stopped cleanly.
 *
 * <p>Every wait is bounded and every failure carries the tail of {@code data/log/karaf.log} and of
 * the console output, so a red end-to-end test says why without a rerun.
 */
public final class LunarProcess implements AutoCloseable {

    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(180);
    // The portal binds within seconds of the shell answering; a minute covers a loaded CI machine.
    private static final Duration PORTAL_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SHELL_TIMEOUT = Duration.ofSeconds(60);
    private static final String SHELL_USER = "lunar";

    private final Path home;
    private final int iscsiPort;
    private final int sshPort;
    private final int rmiRegistryPort;
    private final int rmiServerPort;
    private final Path key;
    private Process process;
    private boolean stoppedCleanly;

    private LunarProcess(Path home, int[] ports) {
        this.home = home;
        this.iscsiPort = ports[0];
        this.sshPort = ports[1];
        this.rmiRegistryPort = ports[2];
        this.rmiServerPort = ports[3];
        this.key = home.resolve("lunar-test-key");
    }

    /**
     * Copies the distribution, rewrites its ports, starts Karaf and waits until its shell answers
     * (not for the iSCSI port: see {@link #awaitIscsiPort()}).
     */
    public static LunarProcess start() {
        Path distribution = Path.of(System.getProperty("lunar.distribution.dir",
                "../karaf-assembly/target/assembly"));
        if (!Files.isExecutable(distribution.resolve("bin/karaf"))) {
            throw new IllegalStateException("no Lunar distribution at " + distribution.toAbsolutePath()
                    + ": build karaf-assembly first (mvn verify from the root does)");
        }
        Path work = Path.of(System.getProperty("lunar.work.dir", "target/lunar-work"));
        LunarProcess lunar;
        try {
            Files.createDirectories(work);
            Path home = Files.createTempDirectory(work.toAbsolutePath(), "lunar-");
            copyTree(distribution, home);
            lunar = new LunarProcess(home, FreePorts.pick(4));
            lunar.configure();
        } catch (IOException e) {
            throw new UncheckedIOException("could not prepare a Lunar runtime under " + work, e);
        }
        lunar.launch();
        return lunar;
    }

    public Path home() {
        return home;
    }

    public int iscsiPort() {
        return iscsiPort;
    }

    public int sshPort() {
        return sshPort;
    }

    /** {@code iscsi://127.0.0.1:<port>} plus {@code suffix} (e.g. "/iqn.../0"). */
    public String iscsiUrl(String suffix) {
        return "iscsi://127.0.0.1:" + iscsiPort + suffix;
    }

    private void configure() throws IOException {
        setProperty("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(sshPort));
        setProperty("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", Integer.toString(rmiRegistryPort));
        setProperty("etc/org.apache.karaf.management.cfg", "rmiServerPort", Integer.toString(rmiServerPort));
        setProperty("etc/dev.lunar.portal-default.cfg", "port", Integer.toString(iscsiPort));

        Tools.require("ssh-keygen", "openssh-client");
        ToolResult keygen = Tools.run(Duration.ofSeconds(60), "ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "",
                "-C", "lunar itest", "-f", key.toString());
        if (!keygen.succeeded()) {
            throw new IllegalStateException(keygen.describe());
        }
        String publicKey = Files.readString(Path.of(key + ".pub"), StandardCharsets.UTF_8).trim().split("\\s+")[1];
        Files.writeString(home.resolve("etc/keys.properties"),
                "\n" + SHELL_USER + "=" + publicKey + ",_g_:admingroup\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
    }

    /** Sets {@code key = value} in a Karaf .cfg file, replacing the line if the key is there. */
    public void setProperty(String file, String key, String value) throws IOException {
        Path path = home.resolve(file);
        String text = Files.exists(path) ? Files.readString(path, StandardCharsets.UTF_8) : "";
        Pattern line = Pattern.compile("(?m)^\\s*" + Pattern.quote(key) + "\\s*[=:].*$");
        Matcher matcher = line.matcher(text);
        String replacement = key + " = " + value;
        text = matcher.find() ? matcher.replaceAll(Matcher.quoteReplacement(replacement))
                : text + (text.endsWith("\n") || text.isEmpty() ? "" : "\n") + replacement + "\n";
        Files.writeString(path, text, StandardCharsets.UTF_8);
    }

    private void launch() {
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/karaf").toString(), "server")
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("console.out").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> environment = builder.environment();
        // The JDK running the tests (17, enforced by ./lunar) runs Karaf too.
        environment.put("JAVA_HOME", System.getProperty("java.home"));
        environment.keySet().removeIf(name -> name.startsWith("KARAF_"));
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + home.resolve("bin/karaf"), e);
        }
        Instant deadline = Instant.now().plus(BOOT_TIMEOUT);
        while (!portOpen(sshPort) || !shell("lunar:status").succeeded()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Karaf exited with " + process.exitValue() + " while booting\n"
                        + diagnostics());
            }
            if (Instant.now().isAfter(deadline)) {
                String why = diagnostics();
                close();
                throw new IllegalStateException("Karaf's shell did not answer within " + BOOT_TIMEOUT + "\n" + why);
            }
            sleep(500);
        }
    }

    /**
     * Waits until the default portal accepts TCP connections; fails with the status report and
     * the log when it does not within the boot timeout.
     */
    public void awaitIscsiPort() {
        Instant deadline = Instant.now().plus(PORTAL_TIMEOUT);
        while (!portOpen(iscsiPort)) {
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("nothing accepts iSCSI connections on 127.0.0.1:" + iscsiPort
                        + " after " + PORTAL_TIMEOUT + "; lunar:status says:\n" + shell("lunar:status").output()
                        + diagnostics());
            }
            sleep(500);
        }
    }

    /** Runs one Karaf shell command over ssh with this runtime's key. */
    public ToolResult shell(String command) {
        Tools.require("ssh", "openssh-client");
        return Tools.run(SHELL_TIMEOUT, Map.of(), List.of("ssh", "-p", Integer.toString(sshPort), "-i", key.toString(),
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", SHELL_USER + "@127.0.0.1", "--", command));
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Process handles of the launcher script and everything it started (the Karaf JVM). */
    public List<ProcessHandle> processes() {
        List<ProcessHandle> all = new ArrayList<>();
        if (process != null) {
            all.add(process.toHandle());
            process.descendants().forEach(all::add);
        }
        return all;
    }

    /**
     * Stops Karaf the way {@code ./lunar stop} does (bin/stop: the shutdown port) and waits for
     * every process of it to end; kills what is left after the timeout. Idempotent.
     */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        List<ProcessHandle> all = processes();
        if (process.isAlive()) {
            Tools.run(STOP_TIMEOUT, Map.of("JAVA_HOME", System.getProperty("java.home")),
                    List.of(home.resolve("bin/stop").toString()));
        }
        Instant deadline = Instant.now().plus(STOP_TIMEOUT);
        boolean clean = true;
        for (ProcessHandle handle : all) {
            try {
                long left = Math.max(1, Duration.between(Instant.now(), deadline).toMillis());
                handle.onExit().get(left, TimeUnit.MILLISECONDS);
            } catch (Exception notStopped) {
                clean = false;
                handle.destroyForcibly();
            }
        }
        stoppedCleanly = clean;
        process = null;
    }

    /**
     * Stops Karaf cleanly (as {@link #close()}) and starts it again on the same home and ports,
     * as {@code ./lunar stop && ./lunar start} does; returns when the shell answers. Whatever
     * {@code etc/} and {@code data/} hold then is what the new process finds (delete {@code data/}
     * between {@link #close()} and this call to start from the configuration files alone).
     *
     * @throws IllegalStateException when the old process had to be killed or the new one does not boot
     */
    public void restart() {
        close();
        if (!stoppedCleanly) {
            throw new IllegalStateException("Karaf did not stop cleanly before the restart\n" + diagnostics());
        }
        // A port still held would show as a boot or portal failure with the log attached.
        launch();
    }

    /** Whether the last {@link #close()} ended every process without killing one. */
    public boolean stoppedCleanly() {
        return stoppedCleanly;
    }

    /** The last lines of Karaf's log and console output. */
    public String diagnostics() {
        return tail(home.resolve("data/log/karaf.log"), 60) + tail(home.resolve("console.out"), 30);
    }

    private static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "--- " + file + ": missing\n";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return "--- last " + lines + " lines of " + file + ":\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "--- " + file + ": unreadable (" + e.getMessage() + ")\n";
        }
    }

    static boolean portOpen(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
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

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
