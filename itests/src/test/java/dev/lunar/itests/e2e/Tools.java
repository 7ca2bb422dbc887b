package dev.lunar.itests.e2e;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs external programs (initiators, ssh, ssh-keygen) with a timeout and captured output. */
public final class Tools {

    private Tools() {
    }

    /**
     * Runs {@code argv} with stdin closed, waits at most {@code timeout}, and returns its exit code
     * and output. Output goes through a file, not a pipe, so a chatty tool can never block on a
     * full pipe while we wait for it. A tool still running at the timeout is killed, with its
     * children.
     */
    public static ToolResult run(Duration timeout, Map<String, String> environment, List<String> argv) {
        Path output = null;
        try {
            output = Files.createTempFile("lunar-tool", ".out");
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(environment);
            Process process = builder.start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            return new ToolResult(List.copyOf(argv), finished ? process.exitValue() : -1, text, !finished);
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + argv, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + argv, e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    public static ToolResult run(Duration timeout, String... argv) {
        return run(timeout, Map.of(), List.of(argv));
    }

    /** The absolute path of {@code program} on the PATH, or null. */
    public static Path which(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin")) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Fails (not skips: CI installs these through {@code ./lunar test}) with a sentence naming the
     * Debian package when {@code program} is missing.
     */
    public static Path require(String program, String debianPackage) {
        Path found = which(program);
        if (found == null) {
            throw new AssertionError(program + " is not installed: it comes with the Debian package " + debianPackage
                    + " (./lunar test installs it when run as root)");
        }
        return found;
    }
}
