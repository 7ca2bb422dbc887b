package dev.lunar.backend.ramdisk.internal;

import dev.lunar.spi.backend.Backend;
import dev.lunar.testkit.backend.BackendContractTest;
import java.util.Map;

class RamDiskBackendContractTest extends BackendContractTest {

    private final RamDiskBackend backend = new RamDiskBackend();

    @Override
    protected Backend backend() {
        return backend;
    }

    @Override
    protected Map<String, String> validOptions(String name) {
        return Map.of("size", "4M");
    }
}
