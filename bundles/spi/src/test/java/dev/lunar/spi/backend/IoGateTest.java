package dev.lunar.spi.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class IoGateTest {

    @Test
    void admitsUntilClosedThenRefuses() {
        IoGate gate = new IoGate();
        assertTrue(gate.enter());
        gate.exit();
        assertEquals(0, gate.closeAndDrain(1000));
        assertTrue(gate.isClosed());
        assertFalse(gate.enter());
    }

    @Test
    void closeWaitsForAdmittedIoAndReportsWhatIsLeftAtTheDeadline() throws Exception {
        IoGate gate = new IoGate();
        assertTrue(gate.enter());
        assertTrue(gate.enter());
        gate.exit();
        // One I/O never leaves: the bounded wait gives up and says how many were cut.
        assertEquals(1, gate.closeAndDrain(20));

        IoGate draining = new IoGate();
        assertTrue(draining.enter());
        CountDownLatch closing = new CountDownLatch(1);
        Thread io = new Thread(() -> {
            try {
                closing.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            draining.exit();
        });
        io.start();
        closing.countDown();
        assertEquals(0, draining.closeAndDrain(30_000));
        io.join();
    }
}
