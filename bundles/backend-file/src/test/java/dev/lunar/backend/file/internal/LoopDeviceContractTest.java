package dev.lunar.backend.file.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.testkit.backend.BlockDeviceContractTest;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract on a real block device: a loop device over a sparse temporary file, attached with
 * {@code losetup} per device and detached after each test. Needs root and a working loop driver;
 * without them every test is skipped, saying why.
 */
class LoopDeviceContractTest extends BlockDeviceContractTest {

    @TempDir
    Path dir;

    private final FileBackend backend = new FileBackend();
    private final List<String> loops = new ArrayList<>();
    private int files;

    @BeforeAll
    static void loopDevicesWork() {
        String why = LoopDevices.unavailableReason();
        assumeTrue(why == null, why);
    }

    @Override
    protected BlockDevice openDevice(Map<String, String> options) throws BackendException {
        Map<String, String> o = new HashMap<>(options);
        Path backing = dir.resolve("loop" + (++files) + ".img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(Long.parseLong(o.remove("size")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String loop = LoopDevices.attach(backing);
        loops.add(loop);
        o.put("path", loop);
        return backend.open("loop" + files, o);
    }

    @Override
    protected boolean supportsResize() {
        return false; // a block device's size is the device's; FileBackendTest covers the refusal
    }

    @Override
    protected void afterDevicesClosed() {
        loops.forEach(LoopDevices::detach);
        loops.clear();
    }

    /** {@code losetup} driven from tests. */
    static final class LoopDevices {

        private LoopDevices() {
        }

        /** Null when loop devices can be attached here, else why not. */
        static String unavailableReason() {
            if (!"root".equals(System.getProperty("user.name"))) {
                return "loop devices need root (running as " + System.getProperty("user.name") + ")";
            }
            try {
                Path probe = Files.createTempFile("lunar-loop-probe", ".img");
                try {
                    try (RandomAccessFile f = new RandomAccessFile(probe.toFile(), "rw")) {
                        f.setLength(1 << 20);
                    }
                    detach(attach(probe));
                    return null;
                } finally {
                    Files.deleteIfExists(probe);
                }
            } catch (IOException | RuntimeException e) {
                return "losetup does not work here (no loop driver in this container?): " + e.getMessage();
            }
        }

        static String attach(Path backing) {
            String out = run("losetup", "--find", "--show", backing.toString());
            if (!out.startsWith("/dev/")) {
                throw new IllegalStateException("losetup printed " + out);
            }
            return out;
        }

        static void detach(String loop) {
            run("losetup", "--detach", loop);
        }

        private static String run(String... command) {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes()).trim();
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
                }
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted running " + command[0], e);
            }
        }
    }
}
