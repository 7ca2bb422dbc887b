package dev.lunar.testkit.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.backend.Backend;
import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.buffer.DataBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link Backend#open}: what the SCSI core and an admin rely on before any I/O.
 * A backend's unit tests subclass it next to {@link BlockDeviceContractTest}.
 *
 * <ul>
 *   <li>The core passes every key of a LUN configuration as an option, so keys a backend does not
 *       know (Config Admin's {@code service.pid}, the LUN's target and number) are ignored.</li>
 *   <li>A wrong value is a {@link BackendException} whose message names the option, never a
 *       runtime exception and never a half-opened device.</li>
 *   <li>Opening and closing repeatedly leaks neither buffers nor threads, and a closed LUN's
 *       storage can be opened again at once.</li>
 * </ul>
 */
public abstract class BackendContractTest {

    private long liveBuffersAtStart;

    /** The backend under test (a fresh instance per test is fine). */
    protected abstract Backend backend();

    /**
     * Options that open a small, working device for LUN {@code name} (a few MiB); a backend that
     * stores data somewhere gives a place unique to {@code name}. The same name may be opened
     * again after its device was closed and must then find the same storage.
     */
    protected abstract Map<String, String> validOptions(String name);

    @BeforeEach
    final void recordLiveBuffers() {
        liveBuffersAtStart = BufferLeakDetector.live();
    }

    @AfterEach
    final void checkLeaks() {
        assertEquals(liveBuffersAtStart, BufferLeakDetector.live(), "buffers leaked by open/close");
    }

    private BlockDevice open(String name, Map<String, String> options) throws BackendException {
        BlockDevice d = backend().open(name, options);
        assertNotNull(d, "open returned null");
        return d;
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> m = new HashMap<>(base);
        m.put(key, value);
        return m;
    }

    @Test
    void kindIsANonEmptyWord() {
        String kind = backend().kind();
        assertNotNull(kind);
        assertTrue(kind.matches("[a-z][a-z0-9-]*"), "kind '" + kind + "' is not a lower-case word");
    }

    @Test
    void validOptionsOpenAWorkingDevice() throws Exception {
        BlockDevice d = open("bc-valid", validOptions("bc-valid"));
        try {
            assertTrue(d.geometry().blockCount() > 0);
            IoProbe<DataBuffer> read = new IoProbe<>("first read");
            d.read(0, 1, read);
            read.awaitSuccess().release();
        } finally {
            d.close();
        }
    }

    @Test
    void unknownKeysFromTheLunConfigurationAreIgnored() throws Exception {
        Map<String, String> o = new HashMap<>(validOptions("bc-extra"));
        o.put("service.pid", "dev.lunar.lun~bc-extra");
        o.put("service.factoryPid", "dev.lunar.lun");
        o.put("target", "iqn.2026-11.dev.lunar:test");
        o.put("lun", "3");
        o.put("backend", backend().kind());
        open("bc-extra", o).close();
    }

    @Test
    void wrongValuesAreBackendExceptionsThatNameTheOption() {
        Map<String, String> base = validOptions("bc-bad");
        String[][] bad = {
            {"blockSize", "1000"},
            {"blockSize", "lots"},
            {"readOnly", "maybe"},
            {"writeCache", "sometimes"},
        };
        for (String[] kv : bad) {
            BackendException e = assertThrows(BackendException.class,
                    () -> backend().open("bc-bad", with(base, kv[0], kv[1])).close(), kv[0] + "=" + kv[1]);
            String message = e.getMessage();
            assertNotNull(message);
            assertTrue(message.contains(kv[0]), "'" + message + "' does not name option " + kv[0]);
            assertFalse(message.contains("Exception"), "'" + message + "' reads like a stack trace, not a sentence");
        }
    }

    @Test
    void openAndCloseRepeatedlyLeaksNoThreadsAndReopensAtOnce() throws Exception {
        // Warm up whatever a first open starts once per JVM, then measure.
        open("bc-cycle", validOptions("bc-cycle")).close();
        int threadsBefore = Thread.activeCount();
        for (int i = 0; i < 20; i++) {
            BlockDevice d = open("bc-cycle", validOptions("bc-cycle"));
            IoProbe<Void> flush = new IoProbe<>("flush " + i);
            d.flush(flush);
            flush.awaitSuccess();
            d.close();
            d.close(); // idempotent
        }
        // Pool threads end asynchronously after close; wait (bounded) for them to go.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(IoProbe.WAIT_SECONDS);
        while (Thread.activeCount() > threadsBefore + 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(Thread.activeCount() <= threadsBefore + 2,
                "threads before: " + threadsBefore + ", after 20 open/close cycles: " + Thread.activeCount());
    }
}
