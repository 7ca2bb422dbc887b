package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CopyCommandsTest {

    private ScsiHarness h;
    private LogicalUnit lu1;
    private MemoryBlockDevice dev1;
    private long liveBefore;

    @BeforeEach
    void setUp() {
        liveBefore = BufferLeakDetector.live();
        h = new ScsiHarness(); // LUN 0: 1024 blocks of 512, backend max 16 blocks per I/O
        dev1 = new MemoryBlockDevice(MemoryBlockDevice.geometry(2048, 8));
        lu1 = new LogicalUnit("lun1", ScsiHarness.TARGET, 1, "memory", 64, null);
        lu1.attach(dev1);
        h.core.addLogicalUnit(lu1);
        h.clearUnitAttentions(h.nexus);
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

    /** Builds an EXTENDED COPY (LID1) parameter list. */
    static final class ListBuilder {
        int listId = 1;
        int flags; // STR, LIST ID USAGE, PRIORITY
        final List<byte[]> cscds = new ArrayList<>();
        final List<byte[]> segments = new ArrayList<>();

        ListBuilder usage(int usage) {
            flags = (flags & ~0x18) | (usage << 3);
            return this;
        }

        ListBuilder cscd(LogicalUnit lu) {
            return cscd(0xe4, 0, lu.identity().naa(), 512);
        }

        ListBuilder cscd(int type, int byte1, byte[] naa, int blockLength) {
            ByteBuffer d = ByteBuffer.allocate(32);
            d.put(0, (byte) type);
            d.put(1, (byte) byte1);
            d.put(4, (byte) 0x01); // binary
            d.put(5, (byte) 0x03); // association 0, NAA
            d.put(7, (byte) naa.length);
            d.put(8, naa);
            d.put(29, (byte) (blockLength >>> 16));
            d.put(30, (byte) (blockLength >>> 8));
            d.put(31, (byte) blockLength);
            cscds.add(d.array());
            return this;
        }

        ListBuilder segment(int src, int dst, int blocks, long srcLba, long dstLba) {
            ByteBuffer d = ByteBuffer.allocate(28);
            d.put(0, (byte) 0x02);
            d.putShort(2, (short) 0x18);
            d.putShort(4, (short) src);
            d.putShort(6, (short) dst);
            d.putShort(10, (short) blocks);
            d.putLong(12, srcLba);
            d.putLong(20, dstLba);
            segments.add(d.array());
            return this;
        }

        ListBuilder rawSegment(int type, int length) {
            ByteBuffer d = ByteBuffer.allocate(length);
            d.put(0, (byte) type);
            d.putShort(2, (short) (length - 4));
            segments.add(d.array());
            return this;
        }

        byte[] build() {
            int c = cscds.stream().mapToInt(a -> a.length).sum();
            int s = segments.stream().mapToInt(a -> a.length).sum();
            ByteBuffer b = ByteBuffer.allocate(16 + c + s);
            b.put((byte) listId).put((byte) flags).putShort((short) c).putInt(0).putInt(s).putInt(0);
            cscds.forEach(b::put);
            segments.forEach(b::put);
            return b.array();
        }
    }

    private TestPort xcopy(byte[] list) {
        return xcopy(list, list.length);
    }

    private TestPort xcopy(byte[] list, int length) {
        return h.runOut(list, 0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, 0, 0);
    }

    private TestPort receiveCopyResults(ScsiNexus n, int sa, int listId) {
        return h.send(n, 0, TaskAttribute.SIMPLE, null, 1024,
                ScsiHarness.cdb(0x84, sa, listId, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0));
    }

    @Test
    void copiesWithinTheLogicalUnitInBackendSizedPieces() {
        byte[] data = pattern(40 * 512, 3);
        h.device.fill(0, data);
        TestPort p = xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 40, 0, 500).build());
        p.assertGood();
        assertArrayEquals(data, h.device.bytes(500, 40));
        assertEquals(16, h.device.maxBlocksPerIo);
    }

    @Test
    void copiesToAnotherLogicalUnitOfTheTarget() {
        byte[] data = pattern(30 * 512, 5);
        h.device.fill(10, data);
        byte[] more = pattern(5 * 512, 9);
        h.device.fill(100, more);
        TestPort p = xcopy(new ListBuilder().cscd(h.lu).cscd(lu1)
                .segment(0, 1, 30, 10, 1000).segment(0, 1, 5, 100, 2000).build());
        p.assertGood();
        assertArrayEquals(data, dev1.bytes(1000, 30));
        assertArrayEquals(more, dev1.bytes(2000, 5));
        assertEquals(8, dev1.maxBlocksPerIo, "pieces fit the smaller backend");
    }

    @Test
    void emptyParameterListIsGood() {
        xcopy(new byte[0], 0).assertGood();
    }

    @Test
    void truncatedListsAreParameterListLengthErrors() {
        byte[] list = new ListBuilder().cscd(h.lu).segment(0, 0, 8, 0, 100).build();
        xcopy(list, 16 + 32 - 1).assertCheckCondition(0x5, 0x1a, 0x00);
        xcopy(list, list.length - 1).assertCheckCondition(0x5, 0x1a, 0x00);
        xcopy(new byte[8], 8).assertCheckCondition(0x5, 0x1a, 0x00);
    }

    @Test
    void descriptorLimits() {
        ListBuilder targets = new ListBuilder();
        for (int i = 0; i <= 8; i++) {
            targets.cscd(h.lu);
        }
        xcopy(targets.segment(0, 0, 1, 0, 1).build()).assertCheckCondition(0x5, 0x26, 0x06);
        ListBuilder segs = new ListBuilder().cscd(h.lu);
        for (int i = 0; i <= 16; i++) {
            segs.segment(0, 0, 1, 0, 1);
        }
        xcopy(segs.build()).assertCheckCondition(0x5, 0x26, 0x08);
        ListBuilder both = new ListBuilder();
        for (int i = 0; i <= 8; i++) {
            both.cscd(h.lu);
        }
        for (int i = 0; i <= 16; i++) {
            both.segment(0, 0, 1, 0, 1);
        }
        xcopy(both.build()).assertCheckCondition(0x5, 0x1a, 0x00);
    }

    @Test
    void unsupportedDescriptorTypes() {
        TestPort t = xcopy(new ListBuilder().cscd(0xe0, 0, h.lu.identity().naa(), 512).segment(0, 0, 1, 0, 1).build());
        t.assertCheckCondition(0x5, 0x26, 0x07);
        xcopy(new ListBuilder().cscd(h.lu).rawSegment(0x03, 20).build()).assertCheckCondition(0x5, 0x26, 0x09);
    }

    @Test
    void headerAndDescriptorFieldChecks() {
        TestPort reservedUsage = xcopy(new ListBuilder().usage(1).cscd(h.lu).segment(0, 0, 1, 0, 1).build());
        reservedUsage.assertCheckCondition(0x5, 0x26, 0x00);
        assertEquals(1, reservedUsage.senseKeySpecific() & 0xffff);
        TestPort proxyToken = xcopy(new ListBuilder().cscd(0xe4, 0x40, h.lu.identity().naa(), 512)
                .segment(0, 0, 1, 0, 1).build());
        proxyToken.assertCheckCondition(0x5, 0x26, 0x00);
        assertEquals(17, proxyToken.senseKeySpecific() & 0xffff, "points at LU ID TYPE of the first CSCD");
        // Reserved LU ID TYPE values are ignored (SPC-4): the designator still finds the LU.
        xcopy(new ListBuilder().cscd(0xe4, 0xc0, h.lu.identity().naa(), 512).segment(0, 0, 1, 0, 1).build())
                .assertGood();
    }

    @Test
    void unreachableTargetsAbortTheCopy() {
        // NUL device
        xcopy(new ListBuilder().cscd(0xe4, 0x20, h.lu.identity().naa(), 512).segment(0, 0, 1, 0, 1).build())
                .assertCheckCondition(Sense.COPY_ABORTED, 0x0d, 0x02);
        // destination index beyond the CSCD list
        xcopy(new ListBuilder().cscd(h.lu).segment(0, 1, 1, 0, 1).build())
                .assertCheckCondition(Sense.COPY_ABORTED, 0x0d, 0x02);
        // a designator no LU of this target has
        xcopy(new ListBuilder().cscd(0xe4, 0, new byte[] {0x30, 1, 2, 3, 4, 5, 6, 7}, 512).segment(0, 0, 1, 0, 1)
                .build()).assertCheckCondition(Sense.COPY_ABORTED, 0x0d, 0x02);
        assertEquals(0, h.device.reads + h.device.writes);
    }

    @Test
    void rangeBeyondCapacityAbortsBeforeAnyIo() {
        TestPort dst = xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 16, 0, 1020).build());
        dst.assertCheckCondition(Sense.COPY_ABORTED, 0x00, 0x00);
        assertEquals(0xa00014, dst.senseKeySpecific(), "SKSV, SD: segment pointer at DESTINATION LBA (byte 20)");
        TestPort src = xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 2048, 0, 0).build());
        src.assertCheckCondition(Sense.COPY_ABORTED, 0x00, 0x00);
        assertEquals(0xa0000c, src.senseKeySpecific(), "segment pointer at SOURCE LBA (byte 12)");
        assertEquals(0, h.device.reads + h.device.writes);
    }

    @Test
    void backendFailureEndsTheCopyWithItsSense() {
        h.device.failNext(Sense.UNRECOVERED_READ_ERROR);
        xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 4, 0, 100).build()).assertCheckCondition(0x3, 0x11, 0x00);
    }

    @Test
    void copyStatusIsHeldForListIdUsageZeroAndDroppedWithTheNexus() {
        receiveCopyResults(h.nexus, 0x00, 1).assertInvalidField(2, -1);
        xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 20, 0, 200).build()).assertGood();
        TestPort s = receiveCopyResults(h.nexus, 0x00, 1);
        s.assertGood();
        ByteBuffer b = ByteBuffer.wrap(s.dataIn());
        assertEquals(12, s.dataIn().length);
        assertEquals(8, b.getInt(0));
        assertEquals(0x01, b.get(4), "completed without errors");
        assertEquals(1, b.getShort(5));
        assertEquals(0, b.get(7), "bytes");
        assertEquals(20 * 512, b.getInt(8));
        // Another I_T nexus does not see it; LIST ID USAGE 10b is not held.
        receiveCopyResults(h.secondNexus(), 0x00, 1).assertInvalidField(2, -1);
        xcopy(new ListBuilder().usage(2).cscd(h.lu).segment(0, 0, 1, 0, 300).build()).assertGood();
        receiveCopyResults(h.nexus, 0x00, 1).assertInvalidField(2, -1);
        // Nexus loss forgets held results.
        xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 1, 0, 300).build()).assertGood();
        h.nexus.close();
        ScsiNexus again = h.core.openNexus(ScsiHarness.TARGET, ScsiHarness.INITIATOR, ScsiHarness.TARGET_PORT, 1, false);
        h.clearUnitAttentions(again);
        receiveCopyResults(again, 0x00, 1).assertInvalidField(2, -1);
    }

    @Test
    void failedSegmentDetailsCarryTheSense() {
        xcopy(new ListBuilder().cscd(h.lu).segment(0, 1, 1, 0, 1).build())
                .assertCheckCondition(Sense.COPY_ABORTED, 0x0d, 0x02);
        TestPort s = receiveCopyResults(h.nexus, 0x00, 1);
        s.assertGood();
        assertEquals(0x02, s.dataIn()[4], "completed with errors");
        TestPort f = receiveCopyResults(h.nexus, 0x04, 1);
        f.assertGood();
        ByteBuffer b = ByteBuffer.wrap(f.dataIn());
        assertEquals(0x02, b.get(56), "CHECK CONDITION");
        assertEquals(18, b.getShort(58));
        assertEquals(Sense.COPY_ABORTED, b.get(60 + 2) & 0x0f);
        assertEquals(0x0d, b.get(60 + 12));
    }

    @Test
    void operatingParametersMatchWhatIsEnforced() {
        TestPort p = receiveCopyResults(h.nexus, 0x03, 0);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        assertEquals(p.dataIn().length - 4, b.getInt(0));
        assertEquals(1, b.get(4) & 1, "SNLID");
        assertEquals(8, b.getShort(8));
        assertEquals(16, b.getShort(10));
        assertEquals(8 * 32 + 16 * 28, b.getInt(12));
        assertEquals(256 << 20, b.getInt(16));
        assertEquals(0, b.getInt(20), "no inline data");
        assertEquals(9, b.get(37), "data segment granularity: 512-byte blocks");
        assertEquals(2, b.get(43));
        assertEquals(0x02, b.get(44));
        assertEquals((byte) 0xe4, b.get(45));
    }

    @Test
    void thirdPartyCopyVpdPageIsListedAndWellFormed() {
        TestPort pages = h.run(0x12, 1, 0x00, 0, 255, 0);
        pages.assertGood();
        boolean listed = false;
        for (int i = 4; i < pages.dataIn().length; i++) {
            listed |= (pages.dataIn()[i] & 0xff) == 0x8f;
        }
        assertTrue(listed, "8Fh in Supported VPD Pages");
        TestPort p = h.run(0x12, 1, 0x8f, 4, 0, 0);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        assertEquals(0x8f, b.get(1) & 0xff);
        assertEquals(p.dataIn().length - 4, b.getShort(2));
        List<Integer> types = new ArrayList<>();
        for (int off = 4; off < p.dataIn().length;) {
            int type = b.getShort(off) & 0xffff;
            int len = b.getShort(off + 2) & 0xffff;
            assertEquals(0, len % 4, "descriptor length a multiple of four");
            types.add(type);
            if (type == 0x0001) {
                assertEquals(8, b.get(off + 4), "commands supported list length");
                assertEquals((byte) 0x83, b.get(off + 5));
                assertEquals((byte) 0x84, b.get(off + 8));
            }
            off += 4 + len;
        }
        assertEquals(List.of(0x0001, 0x0004, 0x0008, 0x000c, 0x0106), types);
    }

    @Test
    void abortDuringCopyLeavesNoBuffersBehind() {
        h.device.fill(0, pattern(40 * 512, 1));
        h.device.hold(true);
        TestPort p = xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 40, 0, 500).build());
        h.device.releaseHeld(); // first read done, first write submitted and held
        Command cmd = h.lu.taskSet().select(t -> true).get(0);
        cmd.abort(() -> { });
        while (h.device.releaseHeld() > 0) {
            // drain
        }
        assertTrue(p.wasAborted());
        assertEquals(1, h.device.writes, "no piece starts after the abort");
    }

    @Test
    void copyToAWriteProtectedDestinationIsRefused() {
        Geometry ro = new Geometry(512, 2048, 0, 8, 0, 0, 0, 0, false, true, false, 1);
        MemoryBlockDevice roDev = new MemoryBlockDevice(ro);
        LogicalUnit lu2 = new LogicalUnit("lun2", ScsiHarness.TARGET, 2, "memory", 64, null);
        lu2.attach(roDev);
        h.core.addLogicalUnit(lu2);
        h.clearUnitAttentions(h.nexus);
        xcopy(new ListBuilder().cscd(h.lu).cscd(lu2).segment(0, 1, 4, 0, 0).build())
                .assertCheckCondition(Sense.DATA_PROTECT, 0x27, 0x00);
        assertEquals(0, roDev.writes);
        // The read-only LU may still be the source of a copy sent to it.
        roDev.fill(0, pattern(4 * 512, 2));
        for (int i = 0; i < 5; i++) { // consume LUN 2's power-on unit attention
            h.send(h.nexus, 2, TaskAttribute.SIMPLE, null, 0, ScsiHarness.cdb(0, 0, 0, 0, 0, 0));
        }
        TestPort p = h.send(h.nexus, 2, TaskAttribute.SIMPLE,
                new ListBuilder().cscd(lu2).cscd(h.lu).segment(0, 1, 4, 0, 600).build(), 0,
                ScsiHarness.cdb(0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16 + 64 + 28, 0, 0));
        p.assertGood();
        assertArrayEquals(pattern(4 * 512, 2), h.device.bytes(600, 4));
    }

    @Test
    void overlappingWriteWaitsForTheCopyToItsRange() {
        h.device.fill(0, pattern(4 * 512, 1));
        h.device.hold(true);
        TestPort copy = xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 4, 0, 100).build());
        TestPort w = h.send(h.nexus, 0, TaskAttribute.SIMPLE, pattern(512, 9), 0,
                ScsiHarness.cdb(0x2a, 0, 0, 0, 0, 101, 0, 0, 1, 0));
        assertEquals(0, w.dataOutRequests(), "the WRITE into the destination range waits");
        while (h.device.releaseHeld() > 0) {
            // drain
        }
        copy.assertGood();
        w.assertGood();
        assertArrayEquals(pattern(512, 9), h.device.bytes(101, 1), "the later WRITE lands last");
    }

    @Test
    void overlappingCopyWithinTheLogicalUnitBehavesLikeMemmove() {
        byte[] data = pattern(40 * 512, 7);
        h.device.fill(0, data);
        xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 40, 0, 10).build()).assertGood();
        assertArrayEquals(data, h.device.bytes(10, 40), "upwards overlap");
        xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 40, 10, 5).build()).assertGood();
        assertArrayEquals(data, h.device.bytes(5, 40), "downwards overlap");
    }

    @Test
    void sameListIdentifierWhileRunningIsOperationInProgress() {
        h.device.hold(true);
        TestPort first = xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 4, 0, 100).build());
        TestPort second = xcopy(new ListBuilder().cscd(h.lu).segment(0, 0, 4, 0, 200).build());
        second.assertCheckCondition(0x5, 0x00, 0x16);
        TestPort status = receiveCopyResults(h.nexus, 0x00, 1);
        status.assertGood();
        assertEquals(0x00, status.dataIn()[4], "operation in progress");
        // Another list identifier (and no list identifier at all) runs alongside.
        ListBuilder other = new ListBuilder().cscd(h.lu).segment(0, 0, 4, 0, 300);
        other.listId = 2;
        TestPort third = xcopy(other.build());
        TestPort unnamed = xcopy(new ListBuilder().usage(3).cscd(h.lu).segment(0, 0, 4, 0, 400).build());
        while (h.device.releaseHeld() > 0) {
            // drain
        }
        first.assertGood();
        third.assertGood();
        unnamed.assertGood();
        assertEquals(0x01, receiveCopyResults(h.nexus, 0x00, 1).dataIn()[4]);
    }
}
