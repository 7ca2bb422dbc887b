package dev.lunar.backend.ramdisk.internal;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.testkit.backend.BlockDeviceContractTest;
import java.util.Map;

class RamDiskContractTest extends BlockDeviceContractTest {

    private final RamDiskBackend backend = new RamDiskBackend();

    @Override
    protected BlockDevice openDevice(Map<String, String> options) throws BackendException {
        return backend.open("contract", options);
    }
}
