package dev.lunar.backend.file.internal;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.testkit.backend.BlockDeviceContractTest;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;

/** The contract on sparse temporary files, with zero-copy reads (the default). */
class FileContractTest extends BlockDeviceContractTest {

    @TempDir
    Path dir;

    private final FileBackend backend = new FileBackend();
    private final AtomicInteger files = new AtomicInteger();

    /** Extra options every device of this run gets (subclasses vary the I/O path). */
    protected Map<String, String> extraOptions() {
        return Map.of();
    }

    @Override
    protected BlockDevice openDevice(Map<String, String> options) throws BackendException {
        Map<String, String> o = new HashMap<>(options);
        o.putAll(extraOptions());
        Path file = dir.resolve("lun" + files.incrementAndGet() + ".img");
        o.put("path", file.toString());
        if (Boolean.parseBoolean(o.get("readOnly"))) {
            // A read-only LUN needs an existing file: make one of the requested size.
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(Long.parseLong(o.remove("size")));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return backend.open("contract" + files.get(), o);
    }
}
