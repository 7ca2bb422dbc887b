package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProvisioningCommandsTest {

    private ScsiHarness h;
    private ThinMemoryDevice thin;
    private long liveBefore;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        h = new ScsiHarness(); // 1024 blocks of 512, backend max 16 blocks per I/O
        // Unmap pieces of at most 100 blocks, so long ranges are split.
        Geometry g = new Geometry(512, 1024, 0, 16, 0, 1, 0, 100, true, false, false, 1);
        thin = new ThinMemoryDevice(g);
        h.lu.detach(LogicalUnit.State.WAITING, "swap");
        h.lu.attach(thin);
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

    static int[] ws16(long lba, long blocks, int flags) {
        return new int[] {0x93, flags, (int) (lba >>> 56) & 0xff, (int) (lba >>> 48) & 0xff,
            (int) (lba >>> 40) & 0xff, (int) (lba >>> 32) & 0xff, (int) (lba >>> 24) & 0xff,
            (int) (lba >>> 16) & 0xff, (int) (lba >>> 8) & 0xff, (int) lba & 0xff,
            (int) (blocks >>> 24) & 0xff, (int) (blocks >>> 16) & 0xff, (int) (blocks >>> 8) & 0xff,
            (int) blocks & 0xff, 0, 0};
    }

    static int[] ws10(long lba, int blocks, int flags) {
        return new int[] {0x41, flags, (int) (lba >>> 24) & 0xff, (int) (lba >>> 16) & 0xff,
            (int) (lba >>> 8) & 0xff, (int) lba & 0xff, 0, blocks >>> 8, blocks & 0xff, 0};
    }

    private void write(long lba, byte[] data) {
        h.runOut(data, 0x2a, 0, 0, 0, (int) (lba >>> 8), (int) lba & 0xff, 0, 0, data.length / 512, 0)
                .assertGood();
    }

    @Test
    void writeSame10RepeatsTheBlock() {
        byte[] block = new byte[512];
        for (int i = 0; i < 512; i++) {
            block[i] = (byte) i;
        }
        TestPort p = h.runOut(block, ws10(100, 40, 0));
        p.assertGood();
        assertEquals(512, p.transferLengthSet());
        for (int i = 0; i < 40; i++) {
            assertArrayEquals(block, thin.bytes.bytes(100 + i, 1), "block " + i);
        }
        assertEquals(0, thin.bytes.bytes(140, 1)[5]);
        assertEquals(16, thin.bytes.maxBlocksPerIo, "writes within backend max transfer");
    }

    @Test
    void writeSame16WithUnmapAndZeroDataDeallocates() {
        write(0, fill(300 * 512 / 2, 0xff));
        write(150, fill(150 * 512, 0xff));
        TestPort p = h.runOut(new byte[512], ws16(0, 250, 0x08));
        p.assertGood();
        assertEquals(List.of("0+100", "100+100", "200+50"), thin.unmaps, "split at the backend's max unmap");
        assertArrayEquals(new byte[250 * 512], thin.bytes.bytes(0, 250));
        assertFalse(thin.isMapped(0));
        assertTrue(thin.isMapped(250));
    }

    @Test
    void writeSameWithUnmapDeallocatesWhateverTheBlockHolds() {
        write(10, fill(3 * 512, 0xff));
        TestPort p = h.runOut(fill(512, 7), ws16(10, 3, 0x08));
        p.assertGood();
        assertEquals(List.of("10+3"), thin.unmaps);
        assertArrayEquals(new byte[3 * 512], thin.bytes.bytes(10, 3));
        assertFalse(thin.isMapped(10));
    }

    @Test
    void writeSameWithNonZeroDataWithoutUnmapWrites() {
        TestPort p = h.runOut(fill(512, 7), ws16(10, 3, 0));
        p.assertGood();
        assertTrue(thin.unmaps.isEmpty());
        assertArrayEquals(fill(3 * 512, 7), thin.bytes.bytes(10, 3));
    }

    @Test
    void ndobWritesZerosWithoutDataOut() {
        write(20, fill(4 * 512, 9));
        TestPort p = h.run(ws16(20, 4, 0x01));
        p.assertGood();
        assertEquals(0, p.dataOutRequests());
        assertArrayEquals(new byte[4 * 512], thin.bytes.bytes(20, 4));
        assertTrue(thin.unmaps.isEmpty(), "UNMAP not set: written, not deallocated");
        h.run(ws16(20, 4, 0x09)).assertGood();
        assertEquals(List.of("20+4"), thin.unmaps);
    }

    @Test
    void writeSameFieldChecks() {
        h.runOut(new byte[512], ws16(0, 1, 0x10)).assertInvalidField(1, 4); // ANCHOR
        h.runOut(new byte[512], ws16(0, 1, 0x18)).assertInvalidField(1, 4); // ANCHOR + UNMAP
        h.runOut(new byte[512], ws16(0, 1, 0x20)).assertInvalidField(1, 7); // WRPROTECT
        h.runOut(new byte[512], ws10(0, 1, 0x04)).assertInvalidField(1, 2); // PBDATA
        h.runOut(new byte[512], ws10(0, 1, 0x02)).assertInvalidField(1, 1); // LBDATA
    }

    @Test
    void writeSameOfZeroBlocksWritesToTheEndOfTheLu() {
        byte[] block = new byte[512];
        Arrays.fill(block, (byte) 0x3c);
        h.runOut(block, ws16(1000, 0, 0)).assertGood();
        for (int lba = 1000; lba < 1024; lba++) {
            assertArrayEquals(block, thin.bytes.bytes(lba, 1), "LBA " + lba);
        }
        assertArrayEquals(new byte[512], thin.bytes.bytes(999, 1), "nothing before the LBA");
        h.runOut(block, ws10(1020, 0, 0)).assertGood();
        int writes = thin.bytes.writes;
        h.runOut(block, ws16(1024, 0, 0)).assertGood(); // at the end: nothing left to write
        assertEquals(writes, thin.bytes.writes);
        h.runOut(block, ws16(1025, 0, 0)).assertCheckCondition(0x5, 0x21, 0x00);
        h.runOut(block, ws10(-1, 0, 0)).assertCheckCondition(0x5, 0x21, 0x00);
    }

    @Test
    void writeSameOfZeroBlocksIsBoundByMaximumWriteSameLength() {
        long blocks = BlockLimits.MAX_WRITE_SAME_BLOCKS + 100;
        ScsiHarness big = new ScsiHarness(MemoryBlockDevice.geometry(blocks, 16));
        byte[] block = fill(512, 0x77);
        // From LBA 0 "to the end" is more than MAXIMUM WRITE SAME LENGTH blocks.
        big.runOut(block, ws16(0, 0, 0)).assertInvalidField(10, -1);
        assertEquals(0, big.device.writes);
        big.runOut(block, ws16(blocks - 20, 0, 0)).assertGood();
        assertArrayEquals(block, big.device.bytes(blocks - 1, 1));
        assertArrayEquals(new byte[512], big.device.bytes(blocks - 21, 1));
    }

    @Test
    void writeSameWithMoreOrLessThanOneBlockOfDataOutIsRefused() {
        h.runOut(new byte[1024], ws16(0, 1, 0x08)).assertCheckCondition(0x5, 0x0e, 0x03);
        h.runOut(new byte[256], ws10(0, 1, 0)).assertCheckCondition(0x5, 0x0e, 0x03);
        assertEquals(0, thin.bytes.writes);
        assertTrue(thin.unmaps.isEmpty());
    }

    @Test
    void blockLimitsSayZeroBlocksIsAllowed() {
        TestPort p = h.run(0x12, 1, 0xb0, 0, 0xff, 0);
        p.assertGood();
        assertEquals(0, p.dataIn()[4] & 0x01, "WSNZ = 0");
    }

    @Test
    void writeSameBeyondEndIsLbaOutOfRange() {
        h.runOut(new byte[512], ws16(1024, 1, 0)).assertCheckCondition(0x5, 0x21, 0x00);
        h.runOut(new byte[512], ws16(1020, 5, 0)).assertCheckCondition(0x5, 0x21, 0x00);
        h.runOut(new byte[512], ws16(-1L, 1, 0)).assertCheckCondition(0x5, 0x21, 0x00);
        h.runOut(new byte[512], ws10(1025, 0, 0)).assertCheckCondition(0x5, 0x21, 0x00);
    }

    @Test
    void writeSameLongerThanTheLimitIsInvalidField() {
        h.runOut(new byte[512], ws16(0, BlockLimits.MAX_WRITE_SAME_BLOCKS + 1, 0)).assertInvalidField(10, -1);
    }

    @Test
    void longWriteSameRunsWithoutDeepRecursion() {
        // 65520 blocks through a backend taking 16 per write and completing inline: 4095 writes.
        ScsiHarness hb = new ScsiHarness(MemoryBlockDevice.geometry((1 << 16) + 8, 16));
        hb.runOut(fill(512, 3), ws16(0, 65520, 0)).assertGood();
        assertArrayEquals(fill(512, 3), hb.device.bytes(65519, 1));
        assertEquals(4095, hb.device.writes);
        hb.runOut(new byte[512], ws16(0, 65520, 0x08)).assertGood();
        assertArrayEquals(new byte[512], hb.device.bytes(5, 1));
    }

    @Test
    void writeSameBackendFailureEndsWithItsSense() {
        thin.bytes.failNext(Sense.WRITE_ERROR);
        h.runOut(fill(512, 1), ws16(0, 40, 0)).assertCheckCondition(0x3, 0x0c, 0x00);
    }

    // ------------------------------------------------------------------ UNMAP

    static byte[] unmapList(long... lbaAndCount) {
        int n = lbaAndCount.length / 2;
        ByteBuffer b = ByteBuffer.allocate(8 + 16 * n);
        b.putShort((short) (6 + 16 * n));
        b.putShort((short) (16 * n));
        b.putInt(0);
        for (int i = 0; i < n; i++) {
            b.putLong(lbaAndCount[2 * i]);
            b.putInt((int) lbaAndCount[2 * i + 1]);
            b.putInt(0);
        }
        return b.array();
    }

    private TestPort unmap(byte[] list, int anchor) {
        return h.runOut(list, 0x42, anchor, 0, 0, 0, 0, 0, list.length >>> 8, list.length & 0xff, 0);
    }

    @Test
    void unmapDeallocatesEveryDescriptor() {
        write(0, fill(64 * 512, 0xaa));
        TestPort p = unmap(unmapList(2, 3, 40, 2, 60, 0), 0);
        p.assertGood();
        assertEquals(List.of("2+3", "40+2"), thin.unmaps);
        assertArrayEquals(new byte[3 * 512], thin.bytes.bytes(2, 3));
        assertArrayEquals(fill(512, 0xaa), thin.bytes.bytes(5, 1));
        assertFalse(thin.isMapped(41));
        assertTrue(thin.isMapped(42));
    }

    @Test
    void unmapWithEmptyParameterListIsGood() {
        h.run(0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0).assertGood();
        unmap(unmapList(), 0).assertGood();
        assertTrue(thin.unmaps.isEmpty());
    }

    @Test
    void unmapChecks() {
        unmap(unmapList(0, 1), 1).assertInvalidField(1, 0); // ANCHOR
        byte[] shortList = new byte[6];
        h.runOut(shortList, 0x42, 0, 0, 0, 0, 0, 0, 0, 6, 0).assertCheckCondition(0x5, 0x1a, 0x00);
        // Out of range anywhere in the list: nothing at all is deallocated.
        unmap(unmapList(0, 1, 1020, 5), 0).assertCheckCondition(0x5, 0x21, 0x00);
        assertTrue(thin.unmaps.isEmpty());
        // The thin device deallocates at most 100 blocks at once: MAXIMUM UNMAP LBA COUNT 100.
        TestPort p = unmap(unmapList(0, 1, 200, 101), 0);
        p.assertCheckCondition(0x5, 0x26, 0x00);
        assertEquals(8 + 16 + 8, p.senseKeySpecific() & 0xffff, "points at the second NUMBER OF LOGICAL BLOCKS");
        assertTrue(thin.unmaps.isEmpty());
    }

    @Test
    void tooManyDescriptorsIsInvalidParameter() {
        long[] d = new long[2 * (BlockLimits.MAX_UNMAP_DESCRIPTORS + 1)];
        for (int i = 0; i < d.length / 2; i++) {
            d[2 * i] = i;
            d[2 * i + 1] = 1;
        }
        byte[] l = unmapList(d);
        TestPort p = unmap(l, 0);
        p.assertCheckCondition(0x5, 0x26, 0x00);
        assertTrue(thin.unmaps.isEmpty());
    }

    @Test
    void unmapWithoutBackendSupportIsNotSupported() {
        Geometry noUnmap = new Geometry(512, 1024, 0, 16, 0, 0, 0, 0, false, false, false, 1);
        ScsiHarness hf = new ScsiHarness(noUnmap);
        byte[] l = unmapList(0, 1);
        hf.runOut(l, 0x42, 0, 0, 0, 0, 0, 0, 0, l.length, 0).assertCheckCondition(0x5, 0x20, 0x00);
    }

    // ------------------------------------------------------------------ GET LBA STATUS

    static int[] getLbaStatus(long lba, int alloc) {
        return new int[] {0x9e, 0x12, (int) (lba >>> 56) & 0xff, (int) (lba >>> 48) & 0xff,
            (int) (lba >>> 40) & 0xff, (int) (lba >>> 32) & 0xff, (int) (lba >>> 24) & 0xff,
            (int) (lba >>> 16) & 0xff, (int) (lba >>> 8) & 0xff, (int) lba & 0xff,
            alloc >>> 24, (alloc >>> 16) & 0xff, (alloc >>> 8) & 0xff, alloc & 0xff, 0, 0};
    }

    @Test
    void getLbaStatusReportsMappedAndDeallocatedRuns() {
        write(10, fill(5 * 512, 1));
        TestPort p = h.run(getLbaStatus(8, 1024));
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        int count = (b.getInt(0) - 4) / 16;
        assertEquals(3, count, "8-9 deallocated, 10-14 mapped, 15-end deallocated");
        assertEquals(8, b.getLong(8));
        assertEquals(2, b.getInt(16));
        assertEquals(1, b.get(20));
        assertEquals(10, b.getLong(24));
        assertEquals(5, b.getInt(32));
        assertEquals(0, b.get(36));
        assertEquals(15, b.getLong(40));
        assertEquals(1024 - 15, b.getInt(48));
        assertEquals(1, b.get(52));
        assertEquals(8 + 3 * 16, p.dataIn().length);
    }

    @Test
    void getLbaStatusAfterUnmapShowsDeallocated() {
        write(0, fill(16 * 512, 1));
        unmap(unmapList(4, 4), 0).assertGood();
        TestPort p = h.run(getLbaStatus(4, 24));
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        assertEquals(24, p.dataIn().length, "truncated to the allocation length");
        assertEquals(4, b.getLong(8));
        assertEquals(4, b.getInt(16));
        assertEquals(1, b.get(20));
    }

    @Test
    void getLbaStatusBeyondEndIsLbaOutOfRange() {
        h.run(getLbaStatus(1024, 24)).assertCheckCondition(0x5, 0x21, 0x00);
        h.run(getLbaStatus(-1L, 24)).assertCheckCondition(0x5, 0x21, 0x00);
        h.run(getLbaStatus(1023, 24)).assertGood();
    }

    @Test
    void getLbaStatusWithZeroAllocationLengthSendsNothing() {
        TestPort p = h.run(getLbaStatus(0, 0));
        p.assertGood();
        assertEquals(0, p.dataIn().length);
    }

    @Test
    void reportSupportedOperationCodesShowsTheFieldsWriteSameReads() {
        TestPort p = h.run(0xa3, 0x0c, 0x01, 0x93, 0, 0, 0, 0, 1, 0, 0, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(0x03, d[1] & 0x07, "supported as the standard describes it");
        assertEquals(16, ((d[2] & 0xff) << 8) | (d[3] & 0xff));
        assertEquals((byte) 0x93, d[4]);
        assertEquals((byte) 0xf9, d[5], "WRPROTECT ANCHOR UNMAP NDOB");
        assertEquals(0, d[4 + 14], "no group number");
    }
}
