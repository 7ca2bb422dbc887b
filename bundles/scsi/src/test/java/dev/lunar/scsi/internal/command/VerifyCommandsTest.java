package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TaskAttribute;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VerifyCommandsTest {

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

    static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    static int[] cdb16(int op, int flags, long lba, long blocks) {
        return new int[] {op, flags, (int) (lba >>> 56) & 0xff, (int) (lba >>> 48) & 0xff,
            (int) (lba >>> 40) & 0xff, (int) (lba >>> 32) & 0xff, (int) (lba >>> 24) & 0xff,
            (int) (lba >>> 16) & 0xff, (int) (lba >>> 8) & 0xff, (int) lba & 0xff,
            (int) (blocks >>> 24) & 0xff, (int) (blocks >>> 16) & 0xff, (int) (blocks >>> 8) & 0xff,
            (int) blocks & 0xff, 0, 0};
    }

    static int[] cdb10(int op, int flags, long lba, int blocks) {
        return new int[] {op, flags, (int) (lba >>> 24) & 0xff, (int) (lba >>> 16) & 0xff,
            (int) (lba >>> 8) & 0xff, (int) lba & 0xff, 0, blocks >>> 8, blocks & 0xff, 0};
    }

    static int[] cdb12(int op, int flags, long lba, long blocks) {
        return new int[] {op, flags, (int) (lba >>> 24) & 0xff, (int) (lba >>> 16) & 0xff,
            (int) (lba >>> 8) & 0xff, (int) lba & 0xff, (int) (blocks >>> 24) & 0xff,
            (int) (blocks >>> 16) & 0xff, (int) (blocks >>> 8) & 0xff, (int) blocks & 0xff, 0, 0};
    }

    private static long information(TestPort p) {
        byte[] s = p.sense();
        assertTrue((s[0] & 0x80) != 0, "VALID");
        return ((s[3] & 0xffL) << 24) | ((s[4] & 0xff) << 16) | ((s[5] & 0xff) << 8) | (s[6] & 0xff);
    }

    // ------------------------------------------------------------------ VERIFY

    @Test
    void verifyWithByteCheckComparesAcrossPieces() {
        byte[] data = pattern(40 * 512, 1);
        h.device.fill(100, data);
        TestPort p = h.runOut(data, cdb10(0x2f, 0x02, 100, 40));
        p.assertGood();
        assertEquals(40 * 512, p.transferLengthSet());
        assertEquals(16, h.device.maxBlocksPerIo);
        h.runOut(data, cdb12(0xaf, 0x02, 100, 40)).assertGood();
        h.runOut(data, cdb16(0x8f, 0x02, 100, 40)).assertGood();
    }

    @Test
    void verifyMismatchReportsOffsetOfFirstDifferentByte() {
        byte[] data = pattern(40 * 512, 1);
        h.device.fill(100, data);
        byte[] sent = data.clone();
        sent[35 * 512 + 3] ^= 1;
        TestPort p = h.runOut(sent, cdb16(0x8f, 0x02, 100, 40));
        p.assertCheckCondition(Sense.MISCOMPARE, 0x1d, 0x00);
        assertEquals(35 * 512 + 3, information(p));
    }

    @Test
    void verifyWithoutByteCheckOnlyReadsTheMedium() {
        TestPort p = h.runOut(pattern(512, 9), cdb10(0x2f, 0, 0, 40));
        p.assertGood();
        assertEquals(0, p.dataOutRequests(), "BYTCHK 0: no Data-Out even if the data differ");
        assertEquals(3, h.device.reads);
        h.device.failNext(Sense.UNRECOVERED_READ_ERROR);
        h.run(cdb10(0x2f, 0, 0, 1)).assertCheckCondition(0x3, 0x11, 0x00);
    }

    @Test
    void verifyOneBlockAgainstEveryBlock() {
        byte[] block = pattern(512, 4);
        for (int i = 0; i < 20; i++) {
            h.device.fill(10 + i, block);
        }
        TestPort p = h.runOut(block, cdb16(0x8f, 0x06, 10, 20));
        p.assertGood();
        assertEquals(512, p.transferLengthSet());
        TestPort bad = h.runOut(block, cdb16(0x8f, 0x06, 10, 21));
        bad.assertCheckCondition(Sense.MISCOMPARE, 0x1d, 0x00);
        assertEquals(20 * 512, information(bad), "block 20 is zeros: its byte 0 differs");
    }

    @Test
    void verifyFieldAndRangeChecks() {
        h.run(cdb10(0x2f, 0x04, 0, 1)).assertInvalidField(1, 2); // BYTCHK 10b
        h.run(cdb10(0x2f, 0x20, 0, 1)).assertInvalidField(1, 7); // VRPROTECT
        h.run(cdb10(0x2f, 0, 1024, 1)).assertCheckCondition(0x5, 0x21, 0x00);
        h.run(cdb16(0x8f, 0, -1L, 1)).assertCheckCondition(0x5, 0x21, 0x00);
        h.run(cdb12(0xaf, 0, 1023, 2)).assertCheckCondition(0x5, 0x21, 0x00);
        TestPort zero = h.run(cdb10(0x2f, 0x02, 0, 0));
        zero.assertGood();
        assertEquals(0, zero.dataOutRequests());
    }

    @Test
    void verifyWithShortDataOutIsRefused() {
        TestPort p = h.runOut(new byte[512], cdb10(0x2f, 0x02, 0, 2));
        assertEquals(ScsiStatus.CHECK_CONDITION, p.status());
        assertEquals(0, h.device.reads);
    }

    // ------------------------------------------------------------------ WRITE AND VERIFY

    @Test
    void writeAndVerifyWritesWithFuaAndReadsBack() {
        byte[] data = pattern(20 * 512, 5);
        TestPort p = h.runOut(data, cdb10(0x2e, 0x02, 50, 20));
        p.assertGood();
        assertArrayEquals(data, h.device.bytes(50, 20));
        assertEquals(2, h.device.fuaWrites);
        assertEquals(2, h.device.reads, "read back after every write");
        h.runOut(data, cdb12(0xae, 0, 70, 20)).assertGood();
        h.runOut(data, cdb16(0x8e, 0, 90, 20)).assertGood();
        assertArrayEquals(data, h.device.bytes(90, 20));
    }

    @Test
    void writeAndVerifyChecks() {
        h.runOut(new byte[512], cdb10(0x2e, 0x20, 0, 1)).assertInvalidField(1, 7);
        h.runOut(new byte[512], cdb10(0x2e, 0x04, 0, 1)).assertInvalidField(1, 2);
        h.runOut(new byte[1024], cdb10(0x2e, 0, 1023, 2)).assertCheckCondition(0x5, 0x21, 0x00);
        h.run(cdb16(0x8e, 0, 0, 0)).assertGood();
        assertEquals(0, h.device.writes);
    }

    // ------------------------------------------------------------------ ORWRITE

    @Test
    void orWriteCombinesWithTheMedium() {
        byte[] medium = new byte[20 * 512];
        Arrays.fill(medium, (byte) 0x0f);
        h.device.fill(0, medium);
        byte[] mask = new byte[20 * 512];
        Arrays.fill(mask, (byte) 0x30);
        TestPort p = h.runOut(mask, cdb16(0x8b, 0x08, 0, 20));
        p.assertGood();
        byte[] expected = new byte[20 * 512];
        Arrays.fill(expected, (byte) 0x3f);
        assertArrayEquals(expected, h.device.bytes(0, 20));
        assertEquals(2, h.device.fuaWrites);
    }

    @Test
    void orWriteChecks() {
        h.runOut(new byte[512], cdb16(0x8b, 0x20, 0, 1)).assertInvalidField(1, 7);
        h.runOut(new byte[512], cdb16(0x8b, 0, 1024, 1)).assertCheckCondition(0x5, 0x21, 0x00);
        h.run(cdb16(0x8b, 0, 0, 0)).assertGood();
        h.run(cdb16(0x8b, 0, 0, BlockLimits.maxTransferBlocks(h.lu.geometry()) + 1))
                .assertCheckCondition(0x5, 0x21, 0x00); // beyond a 1024-block LU first
    }

    @Test
    void orWriteIsAtomicAgainstAnOverlappingWrite() {
        h.device.hold(true);
        byte[] mask = new byte[512];
        Arrays.fill(mask, (byte) 0x01);
        TestPort or = h.runOut(mask, cdb16(0x8b, 0, 0, 1));
        TestPort w = h.send(h.nexus, 0, TaskAttribute.SIMPLE, pattern(512, 2), 0,
                ScsiHarness.cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0));
        assertEquals(0, w.dataOutRequests(), "the WRITE waits for ORWRITE's read-modify-write");
        while (h.device.releaseHeld() > 0) {
            // drain
        }
        or.assertGood();
        w.assertGood();
        assertArrayEquals(pattern(512, 2), h.device.bytes(0, 1));
    }

    // ------------------------------------------------------------------ WRITE ATOMIC

    static int[] writeAtomic(int flags, long lba, int boundary, int blocks) {
        return new int[] {0x9c, flags, (int) (lba >>> 56) & 0xff, (int) (lba >>> 48) & 0xff,
            (int) (lba >>> 40) & 0xff, (int) (lba >>> 32) & 0xff, (int) (lba >>> 24) & 0xff,
            (int) (lba >>> 16) & 0xff, (int) (lba >>> 8) & 0xff, (int) lba & 0xff,
            boundary >>> 8, boundary & 0xff, blocks >>> 8, blocks & 0xff, 0, 0};
    }

    @Test
    void writeAtomicWritesEverything() {
        byte[] data = pattern(8 * 512, 3);
        TestPort p = h.runOut(data, writeAtomic(0x08, 7, 0, 8));
        p.assertGood();
        assertArrayEquals(data, h.device.bytes(7, 8));
        assertEquals(1, h.device.fuaWrites, "one backend write when it fits");
    }

    @Test
    void writeAtomicChecks() {
        h.runOut(new byte[512], writeAtomic(0x20, 0, 0, 1)).assertInvalidField(1, 7);
        h.runOut(new byte[512], writeAtomic(0, 0, 1, 1)).assertInvalidField(10, -1);
        int n = BlockLimits.MAX_ATOMIC_BLOCKS + 1;
        h.runOut(new byte[n * 512], writeAtomic(0, 0, 0, n)).assertInvalidField(12, -1);
        h.runOut(new byte[512], writeAtomic(0, 1024, 0, 1)).assertCheckCondition(0x5, 0x21, 0x00);
        h.run(writeAtomic(0, 0, 0, 0)).assertGood();
        assertEquals(0, h.device.writes);
    }

    // ------------------------------------------------------------------ PRE-FETCH

    @Test
    void preFetchReadsTheRangeAndAnswersGood() {
        TestPort p = h.run(cdb10(0x34, 0, 0, 40));
        p.assertGood();
        assertEquals(3, h.device.reads);
        assertEquals(0, p.dataIn().length);
        h.run(cdb16(0x90, 0, 1000, 0)).assertGood(); // 0 blocks: to the end
        assertEquals(5, h.device.reads);
    }

    @Test
    void preFetchImmediateAnswersFirst() {
        h.device.hold(true);
        TestPort p = h.run(cdb16(0x90, 0x02, 0, 20));
        p.assertGood();
        while (h.device.releaseHeld() > 0) {
            // the detached reads go on after GOOD
        }
        assertEquals(2, h.device.reads);
    }

    @Test
    void preFetchBeyondEndIsLbaOutOfRange() {
        h.run(cdb10(0x34, 0, 1025, 0)).assertCheckCondition(0x5, 0x21, 0x00);
        h.run(cdb10(0x34, 0, 1020, 5)).assertCheckCondition(0x5, 0x21, 0x00);
        h.run(cdb16(0x90, 0, -1L, 1)).assertCheckCondition(0x5, 0x21, 0x00);
    }
}
