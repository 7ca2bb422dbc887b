package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TaskAttribute;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CompareAndWriteCommandsTest {

    private ScsiHarness h;
    private long liveBefore;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        h = new ScsiHarness(); // 1024 blocks of 512, backend max 16 blocks per I/O
    }

    @AfterEach
    void noLeaks() {
        assertEquals(liveBefore, BufferLeakDetector.live(), "buffers leaked");
    }

    static byte[] fill(int len, int value) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) value);
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static int[] caw(long lba, int blocks, int flags) {
        return new int[] {0x89, flags, (int) (lba >>> 56) & 0xff, (int) (lba >>> 48) & 0xff,
            (int) (lba >>> 40) & 0xff, (int) (lba >>> 32) & 0xff, (int) (lba >>> 24) & 0xff,
            (int) (lba >>> 16) & 0xff, (int) (lba >>> 8) & 0xff, (int) lba & 0xff, 0, 0, 0, blocks, 0, 0};
    }

    @Test
    void matchingDataIsReplaced() {
        h.device.fill(10, fill(3 * 512, 'A'));
        TestPort p = h.runOut(concat(fill(3 * 512, 'A'), fill(3 * 512, 'B')), caw(10, 3, 0));
        p.assertGood();
        assertEquals(3 * 1024, p.transferLengthSet());
        assertArrayEquals(fill(3 * 512, 'B'), h.device.bytes(10, 3));
    }

    @Test
    void largeCompareIsSplitToBackendSize() {
        h.device.fill(0, fill(40 * 512, 'A'));
        TestPort p = h.runOut(concat(fill(40 * 512, 'A'), fill(40 * 512, 'B')), caw(0, 40, 0x08));
        p.assertGood();
        assertArrayEquals(fill(40 * 512, 'B'), h.device.bytes(0, 40));
        assertEquals(16, h.device.maxBlocksPerIo);
        assertEquals(3, h.device.fuaWrites, "FUA reaches every backend write");
    }

    @Test
    void miscompareLeavesMediumAndReportsOffsetOfFirstDifference() {
        byte[] medium = fill(2 * 512, 'A');
        h.device.fill(5, medium);
        byte[] verify = fill(2 * 512, 'A');
        verify[2 * 512 - 27] = 'C';
        TestPort p = h.runOut(concat(verify, fill(2 * 512, 'B')), caw(5, 2, 0));
        p.assertCheckCondition(Sense.MISCOMPARE, 0x1d, 0x00);
        byte[] s = p.sense();
        assertTrue((s[0] & 0x80) != 0, "VALID: INFORMATION holds the offset");
        int info = ((s[3] & 0xff) << 24) | ((s[4] & 0xff) << 16) | ((s[5] & 0xff) << 8) | (s[6] & 0xff);
        assertEquals(2 * 512 - 27, info);
        assertArrayEquals(medium, h.device.bytes(5, 2));
    }

    @Test
    void moreThanMaximumLengthIsInvalidField() {
        int n = BlockLimits.MAX_COMPARE_AND_WRITE_BLOCKS + 1;
        TestPort p = h.runOut(new byte[2 * n * 512], caw(0, n, 0));
        p.assertInvalidField(13, -1);
        assertEquals(0, h.device.reads);
    }

    @Test
    void zeroBlocksIsGoodAndMovesNothing() {
        TestPort p = h.run(caw(0, 0, 0));
        p.assertGood();
        assertEquals(0, p.dataOutRequests());
        assertEquals(0, h.device.reads + h.device.writes);
    }

    @Test
    void zeroBlocksWithDataOutIsInvalidField() {
        // 256 blocks do not fit the one-byte field and arrive as 0 with 512 blocks of Data-Out.
        TestPort p = h.runOut(new byte[2 * 256 * 512], caw(0, 256 & 0xff, 0));
        p.assertInvalidField(13, -1);
        assertEquals(0, p.dataOutRequests());
        assertEquals(0, h.device.reads + h.device.writes);
    }

    @Test
    void beyondEndIsLbaOutOfRange() {
        h.runOut(new byte[4 * 512], caw(1023, 2, 0)).assertCheckCondition(0x5, 0x21, 0x00);
        h.runOut(new byte[2 * 512], caw(-1L, 1, 0)).assertCheckCondition(0x5, 0x21, 0x00);
    }

    @Test
    void wrprotectIsInvalidField() {
        h.runOut(new byte[2 * 512], caw(0, 1, 0x20)).assertInvalidField(1, 7);
    }

    @Test
    void dataOutOfTheWrongSizeIsRefusedBeforeAnyIo() {
        // The CDB says 1 block (2 blocks of Data-Out) but the initiator sends 4 or 1.
        h.runOut(new byte[4 * 512], caw(0, 1, 0)).assertInvalidField(13, -1);
        h.runOut(new byte[512], caw(0, 1, 0)).assertInvalidField(13, -1);
        assertEquals(0, h.device.reads + h.device.writes);
    }

    @Test
    void backendReadFailureEndsWithItsSense() {
        h.device.failNext(Sense.UNRECOVERED_READ_ERROR);
        h.runOut(new byte[2 * 512], caw(0, 1, 0)).assertCheckCondition(0x3, 0x11, 0x00);
    }

    @Test
    void overlappingWriteWaitsUntilCompareAndWriteIsDone() {
        h.device.fill(0, fill(4 * 512, 'A'));
        h.device.hold(true);
        TestPort caw = h.runOut(concat(fill(4 * 512, 'A'), fill(4 * 512, 'B')), caw(0, 4, 0));
        assertEquals(1, h.device.heldCount(), "CAW read in flight");
        // WRITE(10) of blocks 2..3 arrives meanwhile: it must not reach the backend before CAW's write.
        TestPort w = h.send(h.nexus, 0, TaskAttribute.SIMPLE, fill(2 * 512, 'W'), 0,
                ScsiHarness.cdb(0x2a, 0, 0, 0, 0, 2, 0, 0, 2, 0));
        assertEquals(0, w.dataOutRequests(), "write waits for the range lock");
        while (h.device.releaseHeld() > 0) {
            // read, CAW write, then the waiting WRITE
        }
        caw.assertGood();
        w.assertGood();
        byte[] expect = concat(fill(2 * 512, 'B'), fill(2 * 512, 'W'));
        assertArrayEquals(expect, h.device.bytes(0, 4));
        assertEquals(0, LbaRangeLocks.of(h.lu).size(), "every range released");
    }

    @Test
    void nonOverlappingWriteDoesNotWait() {
        h.device.hold(true);
        TestPort caw = h.runOut(concat(fill(512, 0), fill(512, 'B')), caw(0, 1, 0));
        TestPort w = h.send(h.nexus, 0, TaskAttribute.SIMPLE, fill(512, 'W'), 0,
                ScsiHarness.cdb(0x2a, 0, 0, 0, 0, 1, 0, 0, 1, 0));
        assertEquals(1, w.dataOutRequests());
        assertFalse(caw.done());
        while (h.device.releaseHeld() > 0) {
            // drain
        }
        caw.assertGood();
        w.assertGood();
    }

    @Test
    void abortedCompareAndWriteReleasesItsRange() {
        h.device.hold(true);
        TestPort caw = h.runOut(concat(fill(512, 0), fill(512, 'B')), caw(0, 1, 0));
        Command cmd = h.lu.taskSet().select(t -> true).get(0);
        cmd.abort(() -> { });
        h.device.releaseHeld();
        assertTrue(caw.wasAborted());
        assertEquals(0, LbaRangeLocks.of(h.lu).size());
        h.device.hold(false);
        h.runOut(fill(512, 'W'), 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertGood();
        assertArrayEquals(fill(512, 'W'), h.device.bytes(0, 1));
    }
}
