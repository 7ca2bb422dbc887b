package dev.lunar.backend.file.internal;

import java.util.Map;

/** The contract with reads copied into pooled direct buffers ({@code zeroCopyRead=false}), write-through. */
class FileCopyingReadContractTest extends FileContractTest {

    @Override
    protected Map<String, String> extraOptions() {
        return Map.of("zeroCopyRead", "false", "ioThreads", "2");
    }
}
