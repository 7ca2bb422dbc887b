package dev.lunar.itests.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The example vendor transport (examples/vendor-transport: kind {@value #KIND}, wire tcp) in a
 * {@link LunarProcess}, the way an operator handles it: the jar dropped into {@code deploy/} and
 * deleted from it (Karaf's fileinstall installs and uninstalls it within a second or two), a portal
 * naming its kind written into {@code etc/}, and {@code lunar:status} read until the change shows.
 *
 * <p>For any end-to-end test that needs a second TCP-wire transport kind (hot deploy, transport
 * moves): {@code deploy(lunar); addPortal(lunar, "vendor", port); awaitStatus(lunar, ...,
 * s -> s.portalState("vendor").equals(Optional.of("LISTENING")))}.
 */
public final class VendorTransportDeployment {

    /** System property with the jar's path (itests/pom.xml sets it to the module's target/ jar). */
    public static final String JAR_PROPERTY = "lunar.vendor.transport.jar";
    public static final String KIND = "vendor-tcp";
    public static final String SYMBOLIC_NAME = "dev.lunar.example-vendor-transport";
    /** The file name in deploy/. */
    public static final String DEPLOYED_NAME = "lunar-example-vendor-transport.jar";
    /** fileinstall polls deploy/ and etc/ every second; the rest is bundle start and portal bind. */
    public static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(60);

    private VendorTransportDeployment() {
    }

    /** The built jar; fails with what to build when it is missing. */
    public static Path jar() {
        Path jar = Path.of(System.getProperty(JAR_PROPERTY, "../examples/vendor-transport/target/"
                + "lunar-example-vendor-transport-" + System.getProperty("lunar.version", "0.1.0-SNAPSHOT") + ".jar"));
        assertTrue(Files.isRegularFile(jar), () -> "no example vendor transport at " + jar.toAbsolutePath()
                + ": build it first (mvn -o -pl examples/vendor-transport install)");
        return jar;
    }

    /** Copies the jar beside deploy/ and renames it in, so fileinstall never sees half a jar. Returns at once. */
    public static void deploy(LunarProcess lunar) {
        Path deploy = lunar.home().resolve("deploy");
        Path partial = lunar.home().resolve(DEPLOYED_NAME + ".partial");
        try {
            Files.copy(jar(), partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, deploy.resolve(DEPLOYED_NAME), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not deploy the vendor transport into " + deploy, e);
        }
    }

    /** Deletes the jar from deploy/ (fileinstall uninstalls the bundle). Returns at once. */
    public static void undeploy(LunarProcess lunar) {
        try {
            Files.delete(lunar.home().resolve("deploy").resolve(DEPLOYED_NAME));
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove the vendor transport from deploy/", e);
        }
    }

    /**
     * Writes {@code etc/dev.lunar.portal-NAME.cfg} (loopback, {@code port}, transport
     * {@value #KIND}) under another name first and renames it in. Returns at once.
     */
    public static void addPortal(LunarProcess lunar, String name, int port) {
        String text = "# written by an end-to-end test\naddress = 127.0.0.1\nport = " + port + "\ntransport = " + KIND
                + "\n";
        Path partial = lunar.home().resolve("portal-" + name + ".cfg.partial");
        try {
            Files.writeString(partial, text, StandardCharsets.UTF_8);
            Files.move(partial, lunar.home().resolve("etc/dev.lunar.portal-" + name + ".cfg"),
                    StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Polls {@code lunar:status --no-format} until {@code done} holds; fails naming {@code what}. */
    public static Status awaitStatus(LunarProcess lunar, String what, Predicate<Status> done) {
        Instant deadline = Instant.now().plus(CHANGE_TIMEOUT);
        ToolResult last;
        do {
            last = lunar.shell("lunar:status --no-format");
            if (last.succeeded()) {
                Status status = new Status(last.output().lines().toList());
                if (done.test(status)) {
                    return status;
                }
            }
            sleep(500);
        } while (Instant.now().isBefore(deadline) && lunar.isAlive());
        throw new AssertionError("not seen within " + CHANGE_TIMEOUT + ": " + what + "; last lunar:status: "
                + last.describe() + "\n" + lunar.diagnostics());
    }

    /** Waits until the vendor bundle is Active and portal {@code name} LISTENING. */
    public static Status awaitListening(LunarProcess lunar, String name) {
        return awaitStatus(lunar, "bundle " + SYMBOLIC_NAME + " Active and portal " + name + " LISTENING",
                s -> s.bundleState(SYMBOLIC_NAME).equals(Optional.of("Active"))
                        && s.portalState(name).equals(Optional.of("LISTENING")));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * The tables of {@code lunar:status --no-format}: a section title line ("Bundles",
     * "Portals", ...), tab-separated rows, a blank line.
     */
    public record Status(List<String> lines) {

        /** The cells of the first row of table {@code section} whose cell {@code column} is {@code value}. */
        public Optional<List<String>> row(String section, int column, String value) {
            boolean inSection = false;
            for (String line : lines) {
                if (line.isBlank()) {
                    inSection = false;
                } else if (line.equals(section)) {
                    inSection = true;
                } else if (inSection) {
                    List<String> cells = Arrays.stream(line.split("\t", -1)).map(String::trim).toList();
                    if (cells.size() > column && cells.get(column).equals(value)) {
                        return Optional.of(cells);
                    }
                }
            }
            return Optional.empty();
        }

        /** Portal row: name, address, port, transport, state, detail. */
        public Optional<List<String>> portal(String name) {
            return row("Portals", 0, name);
        }

        public Optional<String> portalState(String name) {
            return portal(name).map(cells -> cells.get(4));
        }

        /** A Lunar bundle's state (bundle rows: ID, symbolic name, version, state); empty when not installed. */
        public Optional<String> bundleState(String symbolicName) {
            return row("Bundles", 1, symbolicName).map(cells -> cells.get(3));
        }

        @Override
        public String toString() {
            return String.join("\n", lines);
        }
    }
}
