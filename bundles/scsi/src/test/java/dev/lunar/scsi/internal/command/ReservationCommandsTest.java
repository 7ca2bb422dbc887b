package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.scsi.internal.target.ScsiTarget;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.TaskAttribute;
import dev.lunar.spi.scsi.TaskManagementFunction;
import dev.lunar.spi.scsi.TmfRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReservationCommandsTest {

    static final int WE = 1;
    static final int EA = 3;
    static final int WERO = 5;
    static final int EARO = 6;
    static final int WEAR = 7;
    static final int EAAR = 8;

    private final ScsiHarness h = new ScsiHarness();
    private final ScsiNexus n1 = h.nexus;
    private final ScsiNexus n2 = h.secondNexus();

    // ------------------------------------------------------------------ helpers

    static byte[] parameters(long key, long sak, int flags) {
        ByteBuffer b = ByteBuffer.allocate(24);
        b.putLong(key).putLong(sak);
        b.put(20, (byte) flags);
        return b.array();
    }

    static byte[] proutCdb(int sa, int type, int length) {
        return cdb(0x5f, sa, type, 0, 0, length >>> 24, length >>> 16, length >>> 8, length, 0);
    }

    TestPort prout(ScsiNexus n, int sa, int type, long key, long sak) {
        return prout(n, sa, type, key, sak, 0);
    }

    TestPort prout(ScsiNexus n, int sa, int type, long key, long sak, int flags) {
        return await(h.send(n, 0, TaskAttribute.SIMPLE, parameters(key, sak, flags), 0, proutCdb(sa, type, 24)));
    }

    TestPort prin(ScsiNexus n, int sa, int alloc) {
        return h.send(n, 0, TaskAttribute.SIMPLE, null, alloc, cdb(0x5e, sa, 0, 0, 0, 0, 0, alloc >>> 8, alloc, 0));
    }

    TestPort read(ScsiNexus n) {
        return h.send(n, 0, TaskAttribute.SIMPLE, null, 512, cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0));
    }

    TestPort write(ScsiNexus n) {
        return h.send(n, 0, TaskAttribute.SIMPLE, new byte[512], 0, cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0));
    }

    TestPort run(ScsiNexus n, int... cdb) {
        return h.send(n, 0, TaskAttribute.SIMPLE, null, 4096, cdb(cdb));
    }

    /** PROUT with APTPL completes on the writer thread: wait (bounded) for it. */
    static TestPort await(TestPort p) {
        for (int i = 0; i < 10_000 && !p.done(); i++) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        assertTrue(p.done(), "command never completed");
        return p;
    }

    static void assertConflict(TestPort p) {
        assertTrue(p.done());
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, p.status());
    }

    long[] keys(ScsiNexus n) {
        TestPort p = prin(n, 0, 4096);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        int len = b.getInt(4);
        long[] k = new long[len / 8];
        for (int i = 0; i < k.length; i++) {
            k[i] = b.getLong(8 + 8 * i);
        }
        return k;
    }

    int generation(ScsiNexus n) {
        return ByteBuffer.wrap(prin(n, 0, 8).dataIn()).getInt(0);
    }

    /** READ RESERVATION: {key, type} or null when not reserved. */
    long[] reservation(ScsiNexus n) {
        TestPort p = prin(n, 1, 4096);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        if (b.getInt(4) == 0) {
            return null;
        }
        return new long[] {b.getLong(8), b.get(21) & 0x0f};
    }

    // ------------------------------------------------------------------ SPC-2 RESERVE / RELEASE

    @Test
    void reserve6BlocksOtherInitiatorsUntilReleased() {
        run(n1, 0x16, 0, 0, 0, 0, 0).assertGood();
        run(n1, 0x16, 0, 0, 0, 0, 0).assertGood(); // the holder may reserve again
        assertConflict(run(n2, 0x16, 0, 0, 0, 0, 0));
        run(n2, 0x17, 0, 0, 0, 0, 0).assertGood(); // RELEASE by a non-holder is a no-op
        assertConflict(run(n2, 0x1a, 0, 0x3f, 0, 255, 0)); // MODE SENSE(6)
        assertConflict(run(n2, 0, 0, 0, 0, 0, 0));
        run(n2, 0x12, 0, 0, 0, 96, 0).assertGood(); // INQUIRY passes
        run(n1, 0x1a, 0, 0x3f, 0, 255, 0).assertGood();
        read(n1).assertGood();
        run(n1, 0x17, 0, 0, 0, 0, 0).assertGood();
        run(n2, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0).assertGood(); // RESERVE(10)
        assertConflict(write(n1));
        run(n2, 0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0).assertGood();
        write(n1).assertGood();
    }

    @Test
    void thirdPartyReservationsAreRefused() {
        run(n1, 0x16, 0x10, 0, 0, 0, 0).assertInvalidField(1, 4);
        run(n1, 0x56, 0x02, 0, 0, 0, 0, 0, 0, 0, 0).assertInvalidField(1, 1);
        run(n1, 0x17, 0x01, 0, 0, 0, 0).assertInvalidField(1, 0);
    }

    @Test
    void reserve6EndsWithNexusLossAndLunResetButPersistentReservationsStay() {
        run(n1, 0x16, 0, 0, 0, 0, 0).assertGood();
        n1.close();
        run(n2, 0x16, 0, 0, 0, 0, 0).assertGood();
        java.util.concurrent.atomic.AtomicReference<Object> r = new java.util.concurrent.atomic.AtomicReference<>();
        n2.manage(new TmfRequest(TaskManagementFunction.LOGICAL_UNIT_RESET, ScsiTarget.encodeLun(0), 0), r::set);
        assertNotNull(r.get());
        h.clearUnitAttentions(n2);
        ScsiNexus n3 = h.core.openNexus(ScsiHarness.TARGET, "iqn.2026-01.dev.lunar:init3,i,0x3", ScsiHarness.TARGET_PORT,
                1, false);
        h.clearUnitAttentions(n3);
        run(n3, 0x16, 0, 0, 0, 0, 0).assertGood();
        run(n3, 0x17, 0, 0, 0, 0, 0).assertGood();

        prout(n2, 6, 0, 0, 0x1111).assertGood();
        prout(n2, 1, EA, 0x1111, 0).assertGood();
        n2.manage(new TmfRequest(TaskManagementFunction.LOGICAL_UNIT_RESET, ScsiTarget.encodeLun(0), 0), r::set);
        h.clearUnitAttentions(n3);
        assertEquals(EA, reservation(n3)[1], "a LUN reset keeps persistent reservations");
        assertConflict(read(n3));
    }

    @Test
    void reserveAndReleaseConflictWhileRegistrationsExist() {
        prout(n1, 6, 0, 0, 0xabc).assertGood();
        assertConflict(run(n2, 0x16, 0, 0, 0, 0, 0));
        assertConflict(run(n1, 0x17, 0, 0, 0, 0, 0));
        prout(n1, 1, WE, 0xabc, 0).assertGood();
        run(n1, 0x16, 0, 0, 0, 0, 0).assertGood(); // the PR holder: accepted without effect (CRH = 1)
        assertEquals(null, h.lu.extension(dev.lunar.scsi.internal.pr.ReservationState.class,
                dev.lunar.scsi.internal.pr.ReservationState::new).spc2Holder());
        run(n1, 0x17, 0, 0, 0, 0, 0).assertGood();
        assertEquals(WE, reservation(n1)[1]);
        assertConflict(run(n2, 0x16, 0, 0, 0, 0, 0));
    }

    @Test
    void persistentReserveIsRefusedWhileAnotherNexusHoldsReserve6() {
        run(n1, 0x16, 0, 0, 0, 0, 0).assertGood();
        assertConflict(prout(n2, 6, 0, 0, 0x1));
        assertConflict(prin(n2, 0, 64));
        prout(n1, 6, 0, 0, 0x1).assertGood();
    }

    // ------------------------------------------------------------------ PERSISTENT RESERVE IN

    @Test
    void readKeysListsRegistrationsAndReportsFullLengthWhenTruncated() {
        assertEquals(0, keys(n1).length);
        prout(n1, 6, 0, 0, 0x1122334455667788L).assertGood();
        prout(n2, 6, 0, 0, 0x99L).assertGood();
        long[] k = keys(n1);
        assertEquals(2, k.length);
        assertEquals(0x1122334455667788L, k[0]);
        assertEquals(0x99L, k[1]);
        TestPort cut = prin(n1, 0, 8);
        cut.assertGood();
        assertEquals(8, cut.dataIn().length);
        assertEquals(16, ByteBuffer.wrap(cut.dataIn()).getInt(4), "ADDITIONAL LENGTH is not truncated");
        assertEquals(2, generation(n1));
    }

    @Test
    void unknownPersistentReserveInServiceActionsAreInvalid() {
        for (int sa = 0; sa < 4; sa++) {
            prin(n1, sa, 4096).assertGood();
        }
        for (int sa = 4; sa < 0x20; sa++) {
            prin(n1, sa, 4096).assertInvalidField(1, 4);
        }
    }

    @Test
    void reportCapabilities() {
        TestPort p = prin(n1, 2, 8);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(8, ((d[0] & 0xff) << 8) | (d[1] & 0xff));
        assertEquals(0x14, d[2] & 0xff, "CRH and ATP_C; no SIP_C; PTPL_C needs a state directory");
        assertEquals(0x80, d[3] & 0x80, "TMV");
        assertTrue(((d[3] >>> 4) & 7) <= 5, "ALLOW COMMANDS");
        assertEquals(0xea, d[4] & 0xff);
        assertEquals(0x01, d[5] & 0xff);
    }

    @Test
    void readFullStatusCarriesIscsiTransportIds() {
        prout(n1, 6, 0, 0, 0x10).assertGood();
        prout(n2, 6, 0, 0, 0x20).assertGood();
        prout(n2, 1, WE, 0x20, 0).assertGood();
        TestPort p = prin(n1, 3, 4096);
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        int total = b.getInt(4);
        assertEquals(p.dataIn().length - 8, total);
        int off = 8;
        int found = 0;
        while (off < 8 + total) {
            long key = b.getLong(off);
            boolean holder = (b.get(off + 12) & 1) != 0;
            int tidLen = b.getInt(off + 20);
            assertEquals(0, tidLen % 4);
            assertTrue(tidLen >= 24);
            assertEquals(0x45, b.get(off + 24) & 0xff, "format 01b, protocol iSCSI");
            assertEquals(tidLen - 4, b.getShort(off + 26));
            byte[] name = new byte[tidLen - 4];
            b.get(off + 28, name);
            String port = new String(name, StandardCharsets.UTF_8).replace("\0", "");
            if (key == 0x10) {
                assertEquals(ScsiHarness.INITIATOR, port);
                assertFalse(holder);
            } else {
                assertEquals(0x20, key);
                assertEquals(ScsiHarness.INITIATOR2, port);
                assertTrue(holder);
                assertEquals(WE, b.get(off + 13) & 0x0f);
            }
            assertEquals(1, b.getShort(off + 18), "RELATIVE TARGET PORT IDENTIFIER");
            off += 24 + tidLen;
            found++;
        }
        assertEquals(2, found);
    }

    // ------------------------------------------------------------------ PERSISTENT RESERVE OUT

    @Test
    void registerChecksTheExistingKey() {
        assertConflict(prout(n1, 0, 0, 0x5, 0x6)); // unregistered nexus with a non-zero key
        prout(n1, 0, 0, 0, 0x6).assertGood();
        assertConflict(prout(n1, 0, 0, 0x7, 0x8));
        prout(n1, 0, 0, 0x6, 0x8).assertGood();
        assertEquals(0x8, keys(n1)[0]);
        prout(n1, 6, 0, 0x1234, 0x9).assertGood(); // REGISTER AND IGNORE EXISTING KEY
        assertEquals(0x9, keys(n1)[0]);
        prout(n1, 0, 0, 0x9, 0).assertGood(); // unregister
        assertEquals(0, keys(n1).length);
        assertEquals(4, generation(n1));
        prout(n1, 0, 0, 0, 0).assertGood(); // unregistered, key 0: nothing happens
        assertEquals(4, generation(n1));
    }

    @Test
    void parameterListLengthAndUnsupportedBits() {
        byte[] p = parameters(0, 1, 0);
        h.send(n1, 0, TaskAttribute.SIMPLE, p, 0, proutCdb(0, 0, 20)).assertCheckCondition(0x5, 0x1a, 0x00);
        byte[] longer = new byte[28];
        System.arraycopy(p, 0, longer, 0, 24);
        h.send(n1, 0, TaskAttribute.SIMPLE, longer, 0, proutCdb(0, 0, 28)).assertCheckCondition(0x5, 0x1a, 0x00);
        h.send(n1, 0, TaskAttribute.SIMPLE, longer, 0, proutCdb(1, WE, 28)).assertCheckCondition(0x5, 0x1a, 0x00);
        prout(n1, 0, 0, 0, 1, 0x08).assertCheckCondition(0x5, 0x26, 0x00); // SPEC_I_PT
        prout(n1, 0, 0, 0, 1, 0x01).assertCheckCondition(0x5, 0x26, 0x00); // APTPL without a state directory
        prout(n1, 0, 0, 0, 1).assertGood();
        prout(n1, 1, WE, 1, 0, 0x04).assertCheckCondition(0x5, 0x26, 0x00); // ALL_TG_PT on RESERVE
        prout(n1, 1, 0x2, 1, 0).assertInvalidField(2, 3); // reserved type
        prout(n1, 1, 0x11, 1, 0).assertInvalidField(2, 7); // scope other than LU_SCOPE
        h.send(n1, 0, TaskAttribute.SIMPLE, null, 0, cdb(0x5f, 8, 0, 0, 0, 0, 0, 0, 24, 0)).assertInvalidField(1, 4);
    }

    @Test
    void reserveNeedsARegistrationAndTheRightKey() {
        assertConflict(prout(n1, 1, WE, 0, 0));
        prout(n1, 6, 0, 0, 0xa).assertGood();
        assertConflict(prout(n1, 1, WE, 0xb, 0));
        prout(n1, 1, WE, 0xa, 0).assertGood();
        prout(n1, 1, WE, 0xa, 0).assertGood(); // same type again: no-op
        assertConflict(prout(n1, 1, EA, 0xa, 0));
        prout(n2, 6, 0, 0, 0xb).assertGood();
        assertConflict(prout(n2, 1, WE, 0xb, 0));
        assertEquals(0, generation(n1) - 2, "RESERVE does not change PRgeneration");
    }

    /** Access of a second initiator, registered then unregistered (libiscsi ProutReserve.Access*). */
    private void access(int type, boolean regRead, boolean regWrite, boolean unregRead, boolean unregWrite) {
        prout(n1, 6, 0, 0, 0x1).assertGood();
        prout(n2, 6, 0, 0, 0x2).assertGood();
        prout(n1, 1, type, 0x1, 0).assertGood();
        long[] r = reservation(n1);
        assertEquals(type, r[1]);
        assertEquals(type >= WEAR ? 0 : 1, r[0], "all-registrants reservations report key 0");
        read(n1).assertGood();
        write(n1).assertGood();
        expect(read(n2), regRead);
        expect(write(n2), regWrite);
        prout(n2, 0, 0, 0x2, 0).assertGood();
        expect(read(n2), unregRead);
        expect(write(n2), unregWrite);
        run(n2, 0x12, 0, 0, 0, 96, 0).assertGood();
        run(n2, 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0).assertGood(); // READ CAPACITY(10) always passes
        prout(n1, 2, type, 0x1, 0).assertGood();
        prout(n1, 0, 0, 0x1, 0).assertGood();
        write(n2).assertGood();
    }

    private static void expect(TestPort p, boolean works) {
        if (works) {
            p.assertGood();
        } else {
            assertConflict(p);
        }
    }

    @Test
    void accessUnderEveryType() {
        access(EA, false, false, false, false);
        h.clearUnitAttentions(n2);
        access(WE, true, false, true, false);
        h.clearUnitAttentions(n2);
        access(EARO, true, true, false, false);
        h.clearUnitAttentions(n2);
        access(WERO, true, true, true, false);
        h.clearUnitAttentions(n2);
        access(EAAR, true, true, false, false);
        h.clearUnitAttentions(n2);
        access(WEAR, true, true, true, false);
    }

    @Test
    void unregisteringTheHolderReleasesUnlessAllRegistrants() {
        for (int type : new int[] {WE, EA, WERO, EARO}) {
            prout(n1, 6, 0, 0, 0x1).assertGood();
            prout(n2, 6, 0, 0, 0x2).assertGood();
            prout(n1, 1, type, 0x1, 0).assertGood();
            prout(n1, 0, 0, 0x1, 0).assertGood();
            assertEquals(null, reservation(n1), "type " + type);
            if (type == WERO || type == EARO) {
                run(n2, 0, 0, 0, 0, 0, 0).assertCheckCondition(0x6, 0x2a, 0x04);
            }
            prout(n2, 0, 0, 0x2, 0).assertGood();
        }
        for (int type : new int[] {WEAR, EAAR}) {
            prout(n1, 6, 0, 0, 0x1).assertGood();
            prout(n2, 6, 0, 0, 0x2).assertGood();
            prout(n1, 1, type, 0x1, 0).assertGood();
            prout(n1, 0, 0, 0x1, 0).assertGood();
            assertEquals(type, reservation(n1)[1], "still reserved for the other registrant");
            prout(n2, 2, type, 0x2, 0).assertGood();
            assertEquals(null, reservation(n1));
            prout(n2, 0, 0, 0x2, 0).assertGood();
        }
    }

    @Test
    void releaseRules() {
        prout(n1, 6, 0, 0, 0x1).assertGood();
        prout(n2, 6, 0, 0, 0x2).assertGood();
        prout(n1, 2, WE, 0x1, 0).assertGood(); // nothing reserved
        prout(n1, 1, WERO, 0x1, 0).assertGood();
        prout(n2, 2, WERO, 0x2, 0).assertGood(); // not the holder: no effect
        assertEquals(WERO, reservation(n1)[1]);
        assertConflict(prout(n1, 2, WERO, 0x7, 0));
        prout(n1, 2, WE, 0x1, 0).assertCheckCondition(0x5, 0x26, 0x04);
        prout(n1, 2, WERO, 0x1, 0).assertGood();
        assertEquals(null, reservation(n1));
        run(n2, 0, 0, 0, 0, 0, 0).assertCheckCondition(0x6, 0x2a, 0x04); // RESERVATIONS RELEASED
        run(n1, 0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void clearRemovesEverythingAndTellsTheOthers() {
        prout(n1, 6, 0, 0, 0x1).assertGood();
        prout(n2, 6, 0, 0, 0x2).assertGood();
        prout(n1, 1, EA, 0x1, 0).assertGood();
        int gen = generation(n1);
        assertConflict(prout(n2, 3, 0, 0x3, 0));
        prout(n2, 3, 0, 0x2, 0).assertGood();
        assertEquals(0, keys(n2).length);
        assertEquals(null, reservation(n2));
        assertEquals(gen + 1, generation(n2));
        run(n1, 0, 0, 0, 0, 0, 0).assertCheckCondition(0x6, 0x2a, 0x03);
        run(n2, 0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void preemptRemovesARegistrationAndBumpsGeneration() {
        prout(n1, 6, 0, 0, 0x1).assertGood();
        prout(n2, 6, 0, 0, 0x2).assertGood();
        int gen = generation(n1);
        prout(n2, 4, EA, 0x2, 0x1).assertGood();
        run(n1, 0, 0, 0, 0, 0, 0).assertCheckCondition(0x6, 0x2a, 0x05);
        long[] k = keys(n1);
        assertEquals(1, k.length);
        assertEquals(0x2, k[0]);
        assertEquals(gen + 1, generation(n1));
        assertEquals(null, reservation(n1), "no reservation existed, none is created");
        assertConflict(prout(n2, 4, EA, 0x2, 0x77)); // nobody has that key
        prout(n2, 4, EA, 0x2, 0).assertCheckCondition(0x5, 0x26, 0x00);
    }

    @Test
    void preemptTakesOverTheReservation() {
        prout(n1, 6, 0, 0, 0x1).assertGood();
        prout(n2, 6, 0, 0, 0x2).assertGood();
        prout(n1, 1, WE, 0x1, 0).assertGood();
        prout(n2, 4, EA, 0x2, 0x1).assertGood();
        long[] r = reservation(n2);
        assertEquals(0x2, r[0]);
        assertEquals(EA, r[1]);
        run(n1, 0, 0, 0, 0, 0, 0).assertCheckCondition(0x6, 0x2a, 0x05);
        assertConflict(read(n1));
    }

    @Test
    void preemptWithKeyZeroClearsAnAllRegistrantsReservation() {
        prout(n1, 6, 0, 0, 0x1).assertGood();
        prout(n2, 6, 0, 0, 0x2).assertGood();
        prout(n1, 1, WEAR, 0x1, 0).assertGood();
        prout(n2, 4, WE, 0x2, 0).assertGood();
        run(n1, 0, 0, 0, 0, 0, 0).assertCheckCondition(0x6, 0x2a, 0x05);
        long[] r = reservation(n1);
        assertEquals(0x2, r[0]);
        assertEquals(WE, r[1]);
        assertEquals(1, keys(n2).length);
    }

    @Test
    void preemptAndAbortAbortsTheVictimsTasks() {
        prout(n1, 6, 0, 0, 0x1).assertGood();
        prout(n2, 6, 0, 0, 0x2).assertGood();
        prout(n1, 1, WE, 0x1, 0).assertGood();
        long live = BufferLeakDetector.live();
        h.device.hold(true);
        TestPort victim = read(n1);
        assertFalse(victim.done());
        h.device.hold(false);
        TestPort p = h.send(n2, 0, TaskAttribute.SIMPLE, parameters(0x2, 0x1, 0), 0, proutCdb(5, EA, 24));
        assertFalse(p.done(), "completes once the victim's I/O is back");
        h.device.releaseHeld();
        await(p).assertGood();
        assertTrue(victim.wasAborted());
        assertEquals(live, BufferLeakDetector.live());
        assertEquals(0x2, reservation(n2)[0]);
    }

    @Test
    void registerAndMoveHandsTheReservationToAnotherPort() {
        prout(n1, 6, 0, 0, 0x1).assertGood();
        prout(n1, 1, EA, 0x1, 0).assertGood();
        byte[] tid = dev.lunar.scsi.internal.pr.TransportIds.encode(ScsiHarness.INITIATOR2);
        ByteBuffer b = ByteBuffer.allocate(24 + tid.length);
        b.putLong(0x1).putLong(0x5);
        b.put(17, (byte) 0x02); // UNREG
        b.putShort(18, (short) 1);
        b.putInt(20, tid.length);
        b.put(24, tid);
        TestPort p = h.send(n1, 0, TaskAttribute.SIMPLE, b.array(), 0, proutCdb(7, 0, b.capacity()));
        p.assertGood();
        long[] r = reservation(n2);
        assertEquals(0x5, r[0]);
        assertEquals(EA, r[1]);
        long[] k = keys(n2);
        assertEquals(1, k.length, "the source was unregistered");
        read(n2).assertGood();
        assertConflict(read(n1));
        // Moving to oneself is refused.
        byte[] self = dev.lunar.scsi.internal.pr.TransportIds.encode(ScsiHarness.INITIATOR2);
        b.putLong(0, 0x5).put(17, (byte) 0);
        b.put(24, self);
        h.send(n2, 0, TaskAttribute.SIMPLE, b.array(), 0, proutCdb(7, 0, b.capacity()))
                .assertCheckCondition(0x5, 0x26, 0x00);
    }

    @Test
    void allTargetPortsRegistrationCoversOtherPorts() {
        prout(n1, 6, 0, 0, 0x1, 0x04).assertGood();
        ScsiNexus otherPort = h.core.openNexus(ScsiHarness.TARGET, ScsiHarness.INITIATOR,
                ScsiHarness.TARGET + ",t,0x2", 2, false);
        h.clearUnitAttentions(otherPort);
        prout(otherPort, 1, EA, 0x1, 0).assertGood(); // registered through the first port
        read(otherPort).assertGood();
        assertConflict(read(n2));
    }

    // ------------------------------------------------------------------ APTPL

    @Test
    void aptplSurvivesANewDeviceServer(@TempDir Path dir) throws Exception {
        Fixture a = new Fixture(dir);
        ScsiNexus x = a.nexus(ScsiHarness.INITIATOR);
        TestPort cap = a.send(x, null, cdb(0x5e, 2, 0, 0, 0, 0, 0, 0, 8, 0));
        assertEquals(0x15, cap.dataIn()[2] & 0xff, "PTPL_C with a state directory");
        await(a.send(x, parameters(0, 0x77, 0x01), proutCdb(6, 0, 24))).assertGood();
        await(a.send(x, parameters(0x77, 0, 0), proutCdb(1, WERO, 24))).assertGood();
        assertTrue(Files.exists(dir.resolve("persistent-reservations")));
        assertFalse(Files.exists(dir.resolve("persistent-reservations.tmp")));

        Fixture b = new Fixture(dir);
        assertNotNull(b.lu.extensionIfPresent(dev.lunar.scsi.internal.pr.ReservationState.class),
                "restored when the LU is mapped, before any command");
        ScsiNexus y = b.nexus(ScsiHarness.INITIATOR);
        ScsiNexus z = b.nexus(ScsiHarness.INITIATOR2);
        TestPort rr = b.send(y, null, cdb(0x5e, 1, 0, 0, 0, 0, 0, 0, 64, 0));
        rr.assertGood();
        ByteBuffer d = ByteBuffer.wrap(rr.dataIn());
        assertEquals(16, d.getInt(4));
        assertEquals(0x77, d.getLong(8));
        assertEquals(WERO, d.get(21));
        assertEquals(0x01, b.send(y, null, cdb(0x5e, 2, 0, 0, 0, 0, 0, 0, 8, 0)).dataIn()[3] & 0x01, "PTPL_A");
        assertConflict(b.send(z, new byte[512], cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0)));

        // APTPL = 0 in a later registration: nothing survives the next restart.
        await(b.send(y, parameters(0x77, 0x78, 0), proutCdb(0, 0, 24))).assertGood();
        assertFalse(Files.exists(dir.resolve("persistent-reservations")));
        Fixture c = new Fixture(dir);
        ScsiNexus w = c.nexus(ScsiHarness.INITIATOR);
        assertEquals(0, ByteBuffer.wrap(c.send(w, null, cdb(0x5e, 0, 0, 0, 0, 0, 0, 0, 64, 0)).dataIn()).getInt(4));
    }

    @Test
    void corruptAptplFileIsSetAsideNotFatal(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("persistent-reservations"), "garbage\n");
        Fixture a = new Fixture(dir);
        ScsiNexus x = a.nexus(ScsiHarness.INITIATOR);
        TestPort p = a.send(x, null, cdb(0x5e, 0, 0, 0, 0, 0, 0, 0, 64, 0));
        p.assertGood();
        assertTrue(Files.exists(dir.resolve("persistent-reservations.corrupt")));
    }

    /** A device server whose LU keeps its state in a directory. */
    private static final class Fixture {
        final DeviceServerCore core = new DeviceServerCore(CommandTable.standard());
        final LogicalUnit lu;
        long tag = 1;

        Fixture(Path dir) {
            lu = new LogicalUnit("lun0", ScsiHarness.TARGET, 0, "memory", 64, dir);
            lu.attach(new MemoryBlockDevice(MemoryBlockDevice.geometry(1024, 16)));
            core.addLogicalUnit(lu);
        }

        ScsiNexus nexus(String initiator) {
            ScsiNexus n = core.openNexus(ScsiHarness.TARGET, initiator, ScsiHarness.TARGET_PORT, 1, false);
            for (int i = 0; i < 10; i++) {
                TestPort p = send(n, null, cdb(0, 0, 0, 0, 0, 0));
                if (p.status() != ScsiStatus.CHECK_CONDITION) {
                    break;
                }
            }
            return n;
        }

        TestPort send(ScsiNexus n, byte[] out, byte[] cdb) {
            TestPort p = new TestPort(0, cdb, tag++, TaskAttribute.SIMPLE, 4096, out);
            n.execute(p);
            return p;
        }
    }
}
