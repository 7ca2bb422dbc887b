package dev.lunar.backend.file.internal;

import java.util.Map;

/**
 * The contract with O_DIRECT: 4096-byte blocks (Java aligns direct I/O to the file system block),
 * reads into aligned pooled buffers, writes through aligned bounce buffers when the caller's are not.
 */
class FileDirectIoContractTest extends FileContractTest {

    @Override
    protected Map<String, String> extraOptions() {
        return Map.of("direct", "true");
    }

    @Override
    protected int blockSize() {
        return 4096;
    }
}
