package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.TaskAttribute;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The range locks as WRITE, COMPARE AND WRITE and ORWRITE see them, through the harness. */
class LbaRangeLocksTest {

    private ScsiHarness h;
    private long liveBefore;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        h = new ScsiHarness();
    }

    @AfterEach
    void noLeaks() {
        assertEquals(liveBefore, BufferLeakDetector.live(), "buffers leaked");
    }

    private static byte[] fill(int blocks, int v) {
        byte[] b = new byte[blocks * 512];
        Arrays.fill(b, (byte) v);
        return b;
    }

    private TestPort write10(long lba, byte[] data) {
        return h.send(h.nexus, 0, TaskAttribute.SIMPLE, data, 0,
                ScsiHarness.cdb(0x2a, 0, 0, 0, 0, (int) lba, 0, 0, data.length / 512, 0));
    }

    private TestPort orWrite(long lba, byte[] mask) {
        int n = mask.length / 512;
        return h.runOut(mask, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0, (int) lba, 0, 0, 0, n, 0, 0);
    }

    @Test
    void laterRequestWaitsBehindAnEarlierWaitingOneItOverlaps() {
        h.device.hold(true);
        TestPort first = orWrite(0, fill(4, 1)); // holds [0,4) while its read is in flight
        TestPort second = write10(0, fill(8, 2)); // [0,8): waits for the first
        TestPort third = write10(6, fill(1, 3)); // [6,7): free on the medium, but behind the second
        TestPort unrelated = write10(20, fill(1, 4));
        assertEquals(0, second.dataOutRequests());
        assertEquals(0, third.dataOutRequests(), "no overtaking of a waiting overlapping request");
        assertEquals(1, unrelated.dataOutRequests());
        while (h.device.releaseHeld() > 0) {
            // completions grant the waiting requests in arrival order
        }
        first.assertGood();
        second.assertGood();
        third.assertGood();
        unrelated.assertGood();
        byte[] expect = fill(8, 2);
        Arrays.fill(expect, 6 * 512, 7 * 512, (byte) 3);
        assertArrayEquals(expect, h.device.bytes(0, 8), "applied in arrival order");
        assertEquals(0, LbaRangeLocks.of(h.lu).size());
    }

    @Test
    void waitingRequestThatIsAbortedLeavesTheQueue() {
        h.device.hold(true);
        TestPort first = orWrite(0, fill(1, 1));
        TestPort waiting = write10(0, fill(1, 2));
        assertEquals(2, LbaRangeLocks.of(h.lu).size());
        Command w = h.lu.taskSet().select(c -> c.task() == waiting).get(0);
        w.abort(() -> { });
        assertEquals(1, LbaRangeLocks.of(h.lu).size());
        while (h.device.releaseHeld() > 0) {
            // drain
        }
        first.assertGood();
        assertEquals(0, waiting.dataOutRequests(), "an aborted waiter never runs");
        assertEquals(0, LbaRangeLocks.of(h.lu).size());
    }

    @Test
    void zeroLengthWritesTakeNoLock() {
        h.device.hold(true);
        orWrite(0, fill(1, 1));
        TestPort zero = write10(0, new byte[0]);
        zero.assertGood();
        h.device.hold(false);
        h.device.releaseHeld();
    }
}
