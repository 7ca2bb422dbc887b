package dev.lunar.backend.file.internal;

import dev.lunar.spi.backend.Backend;
import dev.lunar.testkit.backend.BackendContractTest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

class FileBackendContractTest extends BackendContractTest {

    @TempDir
    Path dir;

    private final FileBackend backend = new FileBackend();

    @Override
    protected Backend backend() {
        return backend;
    }

    @Override
    protected Map<String, String> validOptions(String name) {
        return Map.of("path", dir.resolve(name + ".img").toString(), "size", "4M");
    }
}
