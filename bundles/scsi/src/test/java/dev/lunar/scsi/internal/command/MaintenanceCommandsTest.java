package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MaintenanceCommandsTest {

    private final ScsiHarness h = new ScsiHarness();

    private TestPort rsoc(boolean rctd, int options, int opcode, int sa) {
        return h.run(0xa3, 0x0c, (rctd ? 0x80 : 0) | options, opcode, sa >>> 8, sa, 0, 0, 0xff, 0xff, 0, 0);
    }

    /** opcode << 8 | SA (SA -1 → 0xff) → descriptor bytes. */
    private Map<Integer, byte[]> allCommands(boolean rctd) {
        TestPort p = rsoc(rctd, 0, 0, 0);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        int len = b.getInt(0);
        assertEquals(p.dataIn().length - 4, len);
        Map<Integer, byte[]> out = new HashMap<>();
        int each = rctd ? 20 : 8;
        assertEquals(0, len % each);
        for (int off = 4; off < 4 + len; off += each) {
            byte[] d = Arrays.copyOfRange(p.dataIn(), off, off + each);
            boolean servactv = (d[5] & 1) != 0;
            int sa = ((d[2] & 0xff) << 8) | (d[3] & 0xff);
            if (!servactv) {
                assertEquals(0, sa, "SERVACTV clear means SERVICE ACTION 0");
            }
            out.put(((d[0] & 0xff) << 8) | (servactv ? sa : 0xff), d);
        }
        return out;
    }

    @Test
    void reportSupportedOperationCodesListsTheTable() {
        Map<Integer, byte[]> all = allCommands(false);
        assertEquals(h.core.table().all().size(), all.size());
        byte[] read10 = all.get(0x28ff);
        assertEquals(10, ((read10[6] & 0xff) << 8) | (read10[7] & 0xff));
        assertEquals(0, read10[5] & 0x02, "no CTDP without RCTD");
        assertTrue(all.containsKey(0x5e00), "PERSISTENT RESERVE IN / READ KEYS");
        assertTrue(all.containsKey(0x5f07), "PERSISTENT RESERVE OUT / REGISTER AND MOVE");
        assertTrue(all.containsKey(0xa30c));
        assertTrue(all.containsKey(0x4802), "SANITIZE BLOCK ERASE");
        assertFalse(all.containsKey(0x4803), "no CRYPTO ERASE");
        assertEquals(16, all.get(0x8aff)[7]);
        assertEquals(6, all.get(0x00ff)[7]);
        assertEquals(12, all.get(0xa30c)[7]);
    }

    @Test
    void timeoutDescriptorsWithRctd() {
        for (byte[] d : allCommands(true).values()) {
            assertEquals(0x02, d[5] & 0x02, "CTDP");
            assertEquals(0x0a, ((d[8] & 0xff) << 8) | (d[9] & 0xff));
        }
        TestPort one = rsoc(true, 1, 0x28, 0);
        one.assertGood();
        assertEquals(0x80, one.dataIn()[1] & 0x80);
        assertEquals(4 + 10 + 12, one.dataIn().length);
    }

    @Test
    void oneCommandForms() {
        TestPort p = rsoc(false, 1, 0x28, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(3, d[1] & 0x07, "supported as in the standard");
        assertEquals(10, d[3]);
        assertEquals(0x28, d[4] & 0xff, "CDB USAGE DATA starts with the opcode");

        rsoc(false, 1, 0xa3, 0x0c).assertInvalidField(2, 2); // has service actions
        rsoc(false, 2, 0x28, 0).assertInvalidField(2, 2); // has none
        rsoc(false, 5, 0x28, 0).assertInvalidField(2, 2);

        TestPort sa = rsoc(false, 2, 0xa3, 0x0c);
        sa.assertGood();
        assertEquals(3, sa.dataIn()[1] & 0x07);
        assertEquals(12, sa.dataIn()[3]);
        assertEquals(0xa3, sa.dataIn()[4] & 0xff);
        assertEquals(0x0c, sa.dataIn()[5] & 0x1f, "the service action in its field");

        TestPort unknown = rsoc(false, 1, 0x02, 0);
        unknown.assertGood();
        assertEquals(1, unknown.dataIn()[1] & 0x07, "not supported");
        TestPort unknownSa = rsoc(false, 2, 0xa3, 0x1e);
        assertEquals(1, unknownSa.dataIn()[1] & 0x07);

        TestPort prout = rsoc(false, 3, 0x5f, 0x01);
        assertEquals(3, prout.dataIn()[1] & 0x07);
        assertArrayEquals(new byte[] {0x5f, 0x01, (byte) 0xff, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, 0x07}, Arrays.copyOfRange(prout.dataIn(), 4, 14), "RESERVE reads SCOPE and TYPE");
        assertEquals(3, rsoc(false, 3, 0x12, 0).dataIn()[1] & 0x07);
    }

    @Test
    void everyListedCommandAnswersTheOneCommandForm() {
        for (byte[] d : allCommands(false).values()) {
            boolean servactv = (d[5] & 1) != 0;
            int sa = ((d[2] & 0xff) << 8) | (d[3] & 0xff);
            TestPort p = rsoc(false, servactv ? 2 : 1, d[0] & 0xff, sa);
            p.assertGood();
            assertEquals(3, p.dataIn()[1] & 0x07);
            assertEquals(d[0], p.dataIn()[4]);
            assertEquals(((d[6] & 0xff) << 8) | (d[7] & 0xff), p.dataIn()[3] & 0xff);
        }
    }

    @Test
    void blockEraseIsHiddenWhereTheBackendCannotDeallocate() {
        Geometry thick = new Geometry(512, 1024, 0, 16, 0, 0, 0, 0, false, false, false, 1);
        ScsiHarness thickHarness = new ScsiHarness(thick);
        TestPort p = thickHarness.run(0xa3, 0x0c, 2, 0x48, 0, 0x02, 0, 0, 0xff, 0xff, 0, 0);
        assertEquals(1, p.dataIn()[1] & 0x07);
        thickHarness.run(0x48, 0x02, 0, 0, 0, 0, 0, 0, 0, 0).assertInvalidField(1, 4);
    }

    @Test
    void reportSupportedTaskManagementFunctions() {
        TestPort p = h.run(0xa3, 0x0d, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(4, d.length);
        assertEquals(0xde, d[0] & 0xff, "ATS ATSS CTSS LURS QTS TRS, no CACAS or WAKES");
        assertEquals(0x07, d[1] & 0xff, "QAES QTSS ITNRS");
        TestPort repd = h.run(0xa3, 0x0d, 0x80, 0, 0, 0, 0, 0, 0, 16, 0, 0);
        assertEquals(16, repd.dataIn().length);
        assertEquals(0x0c, repd.dataIn()[3]);
    }

    @Test
    void readDefectDataIsEmptyInTheRequestedFormat() {
        for (int format : new int[] {0, 1, 2, 3, 4, 5, 6}) {
            TestPort p = h.run(0x37, 0, 0x18 | format, 0, 0, 0, 0, 0, 255, 0);
            p.assertGood();
            assertArrayEquals(new byte[] {0, (byte) (0x18 | format), 0, 0}, p.dataIn());
            TestPort q = h.run(0xb7, 0x10 | format, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0);
            q.assertGood();
            assertArrayEquals(new byte[] {0, (byte) (0x10 | format), 0, 0, 0, 0, 0, 0}, q.dataIn());
        }
        TestPort reserved = h.run(0x37, 0, 0x07, 0, 0, 0, 0, 0, 255, 0);
        reserved.assertCheckCondition(0x1, 0x1c, 0x00);
        assertEquals(4, reserved.dataIn().length, "the empty list in the default format still goes");
        assertEquals(2, h.run(0x37, 0, 0, 0, 0, 0, 0, 0, 2, 0).dataIn().length, "allocation length");
    }

    // ------------------------------------------------------------------ SANITIZE

    private static byte[] overwriteParameters(int count, boolean invert, byte[] pattern) {
        ByteBuffer b = ByteBuffer.allocate(4 + pattern.length);
        b.put((byte) ((invert ? 0x80 : 0) | count)).put((byte) 0).putShort((short) pattern.length).put(pattern);
        return b.array();
    }

    private TestPort sanitize(ScsiNexus n, int byte1, byte[] params) {
        int len = params == null ? 0 : params.length;
        return h.send(n, 0, TaskAttribute.SIMPLE, params, 0, cdb(0x48, byte1, 0, 0, 0, 0, 0, len >>> 8, len, 0));
    }

    @Test
    void overwriteWritesThePatternEverywhere() {
        long live = BufferLeakDetector.live();
        h.device.fill(0, new byte[512 * 4]);
        sanitize(h.nexus, 0x01, overwriteParameters(1, false, new byte[] {1, 2, 3})).assertGood();
        byte[] all = h.device.bytes(0, 1024);
        for (int i = 0; i < all.length; i += 512) {
            assertEquals(1, all[i]);
            assertEquals(2, all[i + 1]);
            assertEquals(3, all[i + 2]);
            assertEquals(2, all[i + 511], "the pattern repeats within each block (511 % 3 = 1)");
        }
        assertEquals(live, BufferLeakDetector.live());
        assertTrue(h.device.maxBlocksPerIo <= 16, "bounded chunks");
    }

    @Test
    void overwriteWithInvertEndsInvertedAfterAnEvenCount() {
        sanitize(h.nexus, 0x01, overwriteParameters(2, true, new byte[] {0x0f})).assertGood();
        assertEquals((byte) 0xf0, h.device.bytes(1023, 1)[511]);
        assertEquals(128, h.device.writes, "two passes of 1024 blocks in 16-block writes");
    }

    @Test
    void overwriteParameterChecks() {
        byte[] block = new byte[512];
        for (int len = 0; len < 5; len++) {
            byte[] p = overwriteParameters(1, false, new byte[] {1, 2, 3, 4});
            h.send(h.nexus, 0, TaskAttribute.SIMPLE, p, 0, cdb(0x48, 0x01, 0, 0, 0, 0, 0, 0, len, 0))
                    .assertInvalidField(7, 7);
        }
        byte[] big = new byte[512 + 5];
        h.send(h.nexus, 0, TaskAttribute.SIMPLE, big, 0, cdb(0x48, 0x01, 0, 0, 0, 0, 0, 0x02, 0x05, 0))
                .assertInvalidField(7, 7);
        sanitize(h.nexus, 0x01, overwriteParameters(0, false, block)).assertCheckCondition(0x5, 0x26, 0x00);
        byte[] zeroLength = overwriteParameters(1, false, block);
        zeroLength[2] = 0;
        zeroLength[3] = 0;
        sanitize(h.nexus, 0x01, zeroLength).assertCheckCondition(0x5, 0x26, 0x00);
        byte[] tooLong = overwriteParameters(1, false, block);
        tooLong[2] = 0x02;
        tooLong[3] = 0x04;
        sanitize(h.nexus, 0x01, tooLong).assertCheckCondition(0x5, 0x26, 0x00);
        byte[] test = overwriteParameters(1, false, block);
        test[0] |= 0x20;
        sanitize(h.nexus, 0x01, test).assertCheckCondition(0x5, 0x26, 0x00);
        assertEquals(0, h.device.writes);
    }

    @Test
    void reservedCdbFieldsAreRefused() {
        sanitize(h.nexus, 0x42, null).assertInvalidField(1, 6);
        for (int i = 2; i < 7; i++) {
            byte[] c = cdb(0x48, 0x02, 0, 0, 0, 0, 0, 0, 0, 0);
            c[i] = (byte) i;
            h.send(h.nexus, 0, TaskAttribute.SIMPLE, null, 0, c).assertInvalidField(i, -1);
        }
        sanitize(h.nexus, 0x03, null).assertInvalidField(1, 4); // CRYPTO ERASE: not offered
        sanitize(h.nexus, 0x02, new byte[8]).assertInvalidField(7, 7);
        sanitize(h.nexus, 0x1f, new byte[8]).assertInvalidField(7, 7);
    }

    @Test
    void blockEraseDeallocatesTheWholeLu() {
        byte[] ones = new byte[512 * 1024];
        Arrays.fill(ones, (byte) 'a');
        h.device.fill(0, ones);
        sanitize(h.nexus, 0x02, null).assertGood();
        assertArrayEquals(new byte[512 * 1024], h.device.bytes(0, 1024));
        TestPort read = h.run(0x28, 0, 0, 0, 0x03, 0xff, 0, 0, 1, 0);
        read.assertGood();
        assertArrayEquals(new byte[512], read.dataIn());
    }

    @Test
    void pacingWaitsOnlyWhenAheadOfTheRate() {
        assertEquals(0, MaintenanceCommands.pacingDelayNanos(1 << 20, 0, 0), "unpaced");
        assertEquals(1_000_000_000L, MaintenanceCommands.pacingDelayNanos(1 << 20, 0, 1 << 20));
        assertEquals(250_000_000L, MaintenanceCommands.pacingDelayNanos(1 << 20, 750_000_000L, 1 << 20));
        assertEquals(0, MaintenanceCommands.pacingDelayNanos(1 << 20, 2_000_000_000L, 1 << 20), "behind: no wait");
    }

    @Test
    void pacedOverwriteStaysInProgressThenFinishes() throws Exception {
        // 512 KiB at 128 KiB/s: about four seconds, written in 8 KiB pieces, like a slow medium.
        h.lu.setSanitizeBytesPerSecond(128 << 10);
        sanitize(h.nexus, 0x81, overwriteParameters(1, false, new byte[] {7})).assertGood(); // IMMED
        h.run(0, 0, 0, 0, 0, 0).assertCheckCondition(0x2, 0x04, 0x1b);
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (h.run(0, 0, 0, 0, 0, 0).status() != ScsiStatus.GOOD) {
            assertTrue(System.nanoTime() < deadline, "paced sanitize never finished");
            Thread.sleep(50);
        }
        byte[] sevens = new byte[512 * 1024];
        Arrays.fill(sevens, (byte) 7);
        assertArrayEquals(sevens, h.device.bytes(0, 1024));
    }

    @Test
    void blockEraseIsNotPaced() {
        h.lu.setSanitizeBytesPerSecond(1);
        sanitize(h.nexus, 0x02, null).assertGood();
        h.run(0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void whileSanitizingOnlyInquiryReportLunsAndRequestSenseAreServed() {
        h.device.hold(true);
        TestPort s = sanitize(h.nexus, 0x82, null); // IMMED
        s.assertGood();
        h.run(0, 0, 0, 0, 0, 0).assertCheckCondition(0x2, 0x04, 0x1b);
        h.run(0x88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0).assertCheckCondition(0x2, 0x04, 0x1b);
        h.run(0x1b, 1, 0, 0, 0, 0).assertCheckCondition(0x2, 0x04, 0x1b);
        h.run(0x12, 0, 0, 0, 96, 0).assertGood();
        h.run(0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0).assertGood();
        sanitize(h.nexus, 0x02, null).assertCheckCondition(0x2, 0x04, 0x1b);
        while (h.device.heldCount() > 0) {
            h.device.releaseHeld();
        }
        h.device.hold(false);
        h.run(0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void requestSenseReportsSanitizeProgress() {
        h.device.hold(true);
        sanitize(h.nexus, 0x82, null).assertGood(); // BLOCK ERASE, IMMED
        TestPort rs = h.run(0x03, 0, 0, 0, 252, 0);
        rs.assertGood();
        byte[] d = rs.dataIn();
        assertEquals(0x02, d[2] & 0x0f);
        assertEquals(0x04, d[12] & 0xff);
        assertEquals(0x1b, d[13] & 0xff);
        assertEquals(0x80, d[15] & 0x80, "SKSV: the progress indication is valid");
        TestPort tur = h.run(0, 0, 0, 0, 0, 0);
        tur.assertCheckCondition(0x2, 0x04, 0x1b);
        assertEquals(0x800000, tur.senseKeySpecific() & 0x800000, "NOT READY carries the progress too");
        while (h.device.heldCount() > 0) {
            h.device.releaseHeld();
        }
        h.device.hold(false);
        TestPort after = h.run(0x03, 0, 0, 0, 252, 0);
        assertEquals(0, after.dataIn()[2] & 0x0f, "NO SENSE once the sanitize is done");
    }

    @Test
    void sanitizeWithoutImmedCompletesWhenDoneAndSurvivesItsAbort() {
        h.device.hold(true);
        TestPort s = sanitize(h.nexus, 0x02, null);
        assertFalse(s.done());
        while (h.device.heldCount() > 0) {
            h.device.releaseHeld();
        }
        s.assertGood();
        h.device.hold(false);
    }

    @Test
    void failedSanitizeLeavesFailureModeUntilExit() {
        h.device.failNext(Sense.WRITE_ERROR);
        sanitize(h.nexus, 0x01, overwriteParameters(1, false, new byte[] {7})).assertCheckCondition(0x3, 0x0c, 0x00);
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertCheckCondition(0x3, 0x31, 0x03);
        h.run(0x12, 0, 0, 0, 96, 0).assertGood();
        sanitize(h.nexus, 0x1f, null).assertInvalidField(1, 4); // AUSE was 0
        sanitize(h.nexus, 0x02, null).assertGood(); // a good sanitize ends failure mode
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertGood();

        h.device.failNext(Sense.WRITE_ERROR);
        sanitize(h.nexus, 0x21, overwriteParameters(1, false, new byte[] {7})).assertCheckCondition(0x3, 0x0c, 0x00);
        sanitize(h.nexus, 0x1f, null).assertGood(); // AUSE = 1: EXIT FAILURE MODE is accepted
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertGood();
    }

    @Test
    void sanitizeConflictsWithAnotherInitiatorsReservationAndWriteProtection() {
        ScsiNexus other = h.secondNexus();
        h.send(other, 0, TaskAttribute.SIMPLE, null, 0, cdb(0x16, 0, 0, 0, 0, 0)).assertGood();
        TestPort p = sanitize(h.nexus, 0x02, null);
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, p.status());
        h.send(other, 0, TaskAttribute.SIMPLE, null, 0, cdb(0x17, 0, 0, 0, 0, 0)).assertGood();

        Geometry ro = new Geometry(512, 64, 0, 16, 0, 1, 0, 1 << 16, true, true, false, 1);
        ScsiHarness readOnly = new ScsiHarness(ro);
        readOnly.run(0x48, 0x02, 0, 0, 0, 0, 0, 0, 0, 0).assertCheckCondition(0x7, 0x27, 0x00);
    }

    @Test
    void defaultUsageMapCoversTheCdbLength() {
        CommandDescriptor plain = new CommandDescriptor(0x1b, -1, "X", java.util.Set.of(), c -> { }, null);
        assertArrayEquals(new byte[] {0x1b, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07},
                MaintenanceCommands.usageOf(plain));
        CommandDescriptor sa = new CommandDescriptor(0x5e, 3, "Y", java.util.Set.of(), c -> { }, null);
        byte[] u = MaintenanceCommands.usageOf(sa);
        assertEquals(10, u.length);
        assertEquals(0xe3, u[1] & 0xff);
    }
}
