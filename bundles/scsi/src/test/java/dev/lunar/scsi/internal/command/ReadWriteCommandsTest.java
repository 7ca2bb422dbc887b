package dev.lunar.scsi.internal.command;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.Sense;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReadWriteCommandsTest {

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

    private static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void write10ThenRead10RoundTrips() {
        byte[] data = pattern(2 * 512, 7);
        TestPort w = h.runOut(data, 0x2a, 0, 0, 0, 0, 10, 0, 0, 2, 0);
        w.assertGood();
        assertEquals(1024, w.transferLengthSet());
        assertArrayEquals(data, h.device.bytes(10, 2));
        TestPort r = h.run(0x28, 0, 0, 0, 0, 10, 0, 0, 2, 0);
        r.assertGood();
        assertEquals(1024, r.transferLengthSet());
        assertArrayEquals(data, r.dataIn());
    }

    /**
     * Issue 7: a READ or WRITE that fits one backend I/O runs on the command itself; a
     * {@link SplitTransfer} (and its closures) exists only for a transfer that needs several.
     */
    @Test
    void singlePieceTransfersMakeNoSplitTransfer() {
        byte[] data = pattern(16 * 512, 5);
        long before = SplitTransfer.created();
        h.runOut(data, 0x2a, 0, 0, 0, 0, 20, 0, 0, 16, 0).assertGood();
        TestPort r = h.run(0x28, 0, 0, 0, 0, 20, 0, 0, 16, 0);
        r.assertGood();
        assertArrayEquals(data, r.dataIn());
        assertEquals(before, SplitTransfer.created(), "16 blocks = the backend's maximum: one piece, no split");
        assertEquals(1, h.device.reads);
        h.run(0x28, 0, 0, 0, 0, 20, 0, 0, 17, 0).assertGood();
        assertEquals(before + 1, SplitTransfer.created(), "17 blocks need two backend I/Os");
    }

    /**
     * Issue 7: port calls go straight to the port, in order, with no queue, even when the port
     * delivers Data-Out inline and the command completes inside that call (the completion then
     * waits in the command's final-call fields until {@code receiveData} returns).
     */
    @Test
    void inlineTransfersCallThePortWithoutQueueingAndInOrder() {
        CommandTable table = CommandTable.standard();
        List<Command> seen = new ArrayList<>();
        table.addGate(c -> seen.add(c));
        ScsiHarness inline = new ScsiHarness(table, MemoryBlockDevice.geometry(1024, 16));
        seen.clear(); // the harness's TEST UNIT READYs
        byte[] data = pattern(8 * 512, 1);
        TestPort w = inline.runOut(data, 0x2a, 0, 0, 0, 0, 30, 0, 0, 8, 0);
        w.assertGood();
        TestPort r = inline.run(0x28, 0, 0, 0, 0, 30, 0, 0, 8, 0);
        r.assertGood();
        assertArrayEquals(data, r.dataIn());
        assertEquals(2, seen.size());
        assertFalse(seen.get(0).queuedACall(), "WRITE completed inside receiveData without a queue");
        assertFalse(seen.get(1).queuedACall(), "READ called the port without a queue");
        assertEquals(0, inline.lu.taskSet().size(), "both left the task set");
        assertEquals(0, LbaRangeLocks.of(inline.lu).size(), "the WRITE's range was released");
    }

    @Test
    void largeReadIsSplitToBackendSizeAndReassembledByOffset() {
        byte[] data = pattern(100 * 512, 3);
        h.device.fill(5, data);
        TestPort r = h.run(0x88, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 100, 0, 0);
        r.assertGood();
        assertArrayEquals(data, r.dataIn());
        assertEquals(16, h.device.maxBlocksPerIo, "no backend I/O above its max transfer");
        assertEquals(7, h.device.reads, "100 blocks in pieces of 16");
    }

    @Test
    void splitReadCompletesOutOfOrderPieces() {
        byte[] data = pattern(40 * 512, 9);
        h.device.fill(0, data);
        h.device.hold(true);
        TestPort r = h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 40, 0);
        assertFalse(r.done());
        // Pieces come back as the backend finishes them; the Data-In image must still be right.
        while (h.device.releaseHeld() > 0) {
            // keep going: each completion issues the next piece
        }
        r.assertGood();
        assertArrayEquals(data, r.dataIn());
    }

    @Test
    void largeWriteIsSplitAndFetchedInPieces() {
        byte[] data = pattern(50 * 512, 1);
        TestPort w = h.runOut(data, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 50, 0, 0);
        w.assertGood();
        assertArrayEquals(data, h.device.bytes(0, 50));
        assertEquals(4, w.dataOutRequests());
        assertEquals(16, h.device.maxBlocksPerIo);
    }

    @Test
    void fuaReachesTheBackend() {
        h.runOut(new byte[512], 0x2a, 0x08, 0, 0, 0, 0, 0, 0, 1, 0).assertGood();
        assertEquals(1, h.device.fuaWrites);
        h.runOut(new byte[512], 0x2a, 0x10, 0, 0, 0, 0, 0, 0, 1, 0).assertGood(); // DPO ignored
        assertEquals(1, h.device.fuaWrites);
    }

    @Test
    void read6LengthZeroMeans256Blocks() {
        TestPort r = h.run(0x08, 0, 0, 0, 0, 0);
        r.assertGood();
        assertEquals(256 * 512, r.transferLengthSet());
        assertEquals(256 * 512, r.dataIn().length);
    }

    @Test
    void read10LengthZeroMovesNothing() {
        TestPort r = h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        r.assertGood();
        assertEquals(0, r.transferLengthSet());
        assertEquals(0, h.device.reads);
    }

    @Test
    void beyondEndOfMediumIsLbaOutOfRange() {
        h.run(0x28, 0, 0, 0, 0x03, 0xff, 0, 0, 2, 0).assertCheckCondition(0x5, 0x21, 0x00);
        // 0 blocks one past the end (libiscsi read10_0blocks)
        h.run(0x28, 0, 0, 0, 0x04, 0x01, 0, 0, 0, 0).assertCheckCondition(0x5, 0x21, 0x00);
        // LBA -1 with 1 block: overflow must not wrap around
        h.run(0x88, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 0)
                .assertCheckCondition(0x5, 0x21, 0x00);
        h.runOut(new byte[512], 0x2a, 0, 0, 0, 0x04, 0x00, 0, 0, 1, 0).assertCheckCondition(0x5, 0x21, 0x00);
        assertEquals(0, h.device.writes);
    }

    @Test
    void protectFieldsAreInvalidWithoutProtectionInformation() {
        h.run(0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0).assertInvalidField(1, 7);
        h.runOut(new byte[512], 0x8a, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0).assertInvalidField(1, 7);
    }

    @Test
    void transferAboveMaximumIsInvalidField() {
        int max = BlockLimits.MAX_TRANSFER_BYTES / 512 + 1;
        ScsiHarness big = new ScsiHarness(MemoryBlockDevice.geometry(max + 10, 16));
        big.run(0xa8, 0, 0, 0, 0, 0, max >>> 24, max >>> 16, max >>> 8, max, 0, 0).assertInvalidField(6, -1);
    }

    @Test
    void backendErrorBecomesSense() {
        h.device.failNext(Sense.UNRECOVERED_READ_ERROR);
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertCheckCondition(0x3, 0x11, 0x00);
    }

    @Test
    void backendErrorInTheMiddleOfASplitReadReleasesTheOtherPieces() {
        h.device.hold(true);
        TestPort r = h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 64, 0);
        h.device.failNext(Sense.UNRECOVERED_READ_ERROR);
        while (h.device.releaseHeld() > 0) {
            // drain
        }
        r.assertCheckCondition(0x3, 0x11, 0x00);
    }

    @Test
    void writeProtectedBySoftwareWriteProtect() {
        h.lu.modePages().setSoftwareWriteProtect(true);
        h.runOut(new byte[512], 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertCheckCondition(0x7, 0x27, 0x00);
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertGood();
    }

    @Test
    void notReadyWithoutBackend() {
        h.lu.detach(dev.lunar.scsi.internal.lun.LogicalUnit.State.WAITING, "gone");
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertCheckCondition(0x2, 0x04, 0x01);
        h.run(0x00, 0, 0, 0, 0, 0).assertCheckCondition(0x2, 0x04, 0x01);
        h.lu.detach(dev.lunar.scsi.internal.lun.LogicalUnit.State.FAILED, "broken");
        h.run(0x00, 0, 0, 0, 0, 0).assertCheckCondition(0x2, 0x04, 0x03);
        h.lu.attach(h.device);
        h.run(0x00, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void writeWithExpectedDataOutEndingInsideABlockWritesNothing() {
        TestPort w = new TestPort(0, ScsiHarness.cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 2, 0), 500,
                dev.lunar.spi.scsi.TaskAttribute.SIMPLE, 0, new byte[700]);
        h.nexus.execute(w);
        w.assertCheckCondition(0x5, 0x0e, 0x03);
        assertEquals(1024, w.transferLengthSet(), "the port reports the overflow from this");
        assertEquals(0, h.device.writes);
        assertEquals(0, w.dataOutRequests());
    }

    @Test
    void writeWithExpectedDataOutOfWholeBlocksWritesOnlyThoseBlocks() {
        byte[] a = new byte[1024];
        Arrays.fill(a, (byte) 'a');
        h.runOut(a, 0x2a, 0, 0, 0, 0, 0, 0, 0, 2, 0).assertGood();
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) 'b');
        // iSCSIResiduals: WRITE of two blocks with EDTL of one block writes the first, GOOD.
        TestPort w = new TestPort(0, ScsiHarness.cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 2, 0), 501,
                dev.lunar.spi.scsi.TaskAttribute.SIMPLE, 0, b);
        h.nexus.execute(w);
        w.assertGood();
        assertEquals(1024, w.transferLengthSet(), "the port reports the overflow from this");
        assertTrue(Arrays.equals(b, h.device.bytes(0, 1)));
        assertTrue(Arrays.equals(Arrays.copyOf(a, 512), h.device.bytes(1, 1)));
    }

    @Test
    void writeWithNoDataOutAtAllWritesNothingAndSucceeds() {
        TestPort w = new TestPort(0, ScsiHarness.cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0), 502,
                dev.lunar.spi.scsi.TaskAttribute.SIMPLE, 0, new byte[0]);
        h.nexus.execute(w);
        w.assertGood();
        assertEquals(512, w.transferLengthSet());
        assertEquals(0, h.device.writes);
    }

    @Test
    void writeAndVerifyWithExpectedDataOutOfOneBlockWritesOneBlock() {
        byte[] b = new byte[512];
        Arrays.fill(b, (byte) 'b');
        TestPort w = new TestPort(0, ScsiHarness.cdb(0xae, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0), 503,
                dev.lunar.spi.scsi.TaskAttribute.SIMPLE, 0, b);
        h.nexus.execute(w);
        w.assertGood();
        assertTrue(Arrays.equals(b, h.device.bytes(0, 1)));
        assertTrue(Arrays.equals(new byte[512], h.device.bytes(1, 1)));
    }

    @Test
    void dataIsNotMixedBetweenPieces() {
        byte[] a = new byte[512 * 20];
        Arrays.fill(a, (byte) 0x5a);
        h.runOut(a, 0x2a, 0, 0, 0, 0, 0, 0, 0, 20, 0).assertGood();
        assertTrue(Arrays.equals(a, h.device.bytes(0, 20)));
    }
}
