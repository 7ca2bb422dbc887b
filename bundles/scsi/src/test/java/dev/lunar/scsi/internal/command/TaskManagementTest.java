package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.scsi.TaskAttribute;
import dev.lunar.spi.scsi.TaskManagementFunction;
import dev.lunar.spi.scsi.TmfRequest;
import dev.lunar.spi.scsi.TmfResponse;
import dev.lunar.spi.scsi.TmfResult;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TaskManagementTest {

    private final ScsiHarness h = new ScsiHarness();
    private static final byte[] READ1 = cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0);
    private static final byte[] TUR = cdb(0, 0, 0, 0, 0, 0);

    private AtomicReference<TmfResponse> tmf(ScsiNexus n, TaskManagementFunction f, int lun, long tag) {
        AtomicReference<TmfResponse> r = new AtomicReference<>();
        n.manage(new TmfRequest(f, dev.lunar.scsi.internal.target.ScsiTarget.encodeLun(lun), tag), r::set);
        return r;
    }

    private TestPort start(ScsiNexus n, long tag, byte[] cdb, TaskAttribute a) {
        TestPort p = new TestPort(0, cdb, tag, a, 512, null);
        n.execute(p);
        return p;
    }

    @Test
    void abortTaskWithBackendIoInFlightWaitsForIt() {
        long live = BufferLeakDetector.live();
        h.device.hold(true);
        TestPort p = start(h.nexus, 100, READ1, TaskAttribute.SIMPLE);
        AtomicReference<TmfResponse> r = tmf(h.nexus, TaskManagementFunction.ABORT_TASK, 0, 100);
        assertNull(r.get(), "no response while the backend still has the I/O");
        assertFalse(p.done());
        h.device.releaseHeld();
        assertTrue(p.wasAborted());
        assertEquals(TmfResult.FUNCTION_COMPLETE, r.get().result());
        assertEquals(live, BufferLeakDetector.live(), "the read buffer of the aborted task was released");
    }

    @Test
    void abortDormantTaskIsImmediate() {
        h.device.hold(true);
        TestPort a = start(h.nexus, 1, READ1, TaskAttribute.ORDERED);
        TestPort b = start(h.nexus, 2, READ1, TaskAttribute.SIMPLE);
        AtomicReference<TmfResponse> r = tmf(h.nexus, TaskManagementFunction.ABORT_TASK, 0, 2);
        assertEquals(TmfResult.FUNCTION_COMPLETE, r.get().result());
        assertTrue(b.wasAborted());
        h.device.releaseHeld();
        a.assertGood();
        assertEquals(1, h.device.reads, "the aborted task never reached the backend");
    }

    @Test
    void abortWhileWaitingForDataOutIsImmediate() {
        TestPort w = new TestPort(0, cdb(0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0), 9, TaskAttribute.SIMPLE, 0, new byte[512])
                .holdDataOut();
        h.nexus.execute(w);
        AtomicReference<TmfResponse> r = tmf(h.nexus, TaskManagementFunction.ABORT_TASK, 0, 9);
        assertEquals(TmfResult.FUNCTION_COMPLETE, r.get().result());
        assertTrue(w.wasAborted());
        w.deliverDataOut();
        assertEquals(0, h.device.writes);
    }

    @Test
    void abortUnknownTaskIsTaskNotFound() {
        assertEquals(TmfResult.TASK_NOT_FOUND, tmf(h.nexus, TaskManagementFunction.ABORT_TASK, 0, 12345).get().result());
    }

    @Test
    void tmfOnUnmappedLunIsIncorrectLun() {
        assertEquals(TmfResult.INCORRECT_LOGICAL_UNIT_NUMBER,
                tmf(h.nexus, TaskManagementFunction.LOGICAL_UNIT_RESET, 9, -1).get().result());
    }

    @Test
    void abortTaskSetOnlyTouchesTheCallersTasks() {
        ScsiNexus other = h.secondNexus();
        h.device.hold(true);
        TestPort mine = start(h.nexus, 1, READ1, TaskAttribute.SIMPLE);
        TestPort theirs = start(other, 1, READ1, TaskAttribute.SIMPLE);
        AtomicReference<TmfResponse> r = tmf(h.nexus, TaskManagementFunction.ABORT_TASK_SET, 0, -1);
        h.device.releaseHeld();
        assertTrue(mine.wasAborted());
        theirs.assertGood();
        assertEquals(TmfResult.FUNCTION_COMPLETE, r.get().result());
    }

    @Test
    void clearTaskSetAbortsEveryonesTasksAndTellsTheOthers() {
        ScsiNexus other = h.secondNexus();
        h.device.hold(true);
        TestPort mine = start(h.nexus, 1, READ1, TaskAttribute.SIMPLE);
        TestPort theirs = start(other, 1, READ1, TaskAttribute.SIMPLE);
        tmf(h.nexus, TaskManagementFunction.CLEAR_TASK_SET, 0, -1);
        h.device.releaseHeld();
        assertTrue(mine.wasAborted());
        assertTrue(theirs.wasAborted());
        h.send(other, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertCheckCondition(0x6, 0x2f, 0x00);
        h.send(h.nexus, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertGood();
    }

    @Test
    void logicalUnitResetAbortsAndRaisesBusDeviceResetForEveryNexus() {
        ScsiNexus other = h.secondNexus();
        h.device.hold(true);
        TestPort p = start(other, 5, READ1, TaskAttribute.SIMPLE);
        AtomicReference<TmfResponse> r = tmf(h.nexus, TaskManagementFunction.LOGICAL_UNIT_RESET, 0, -1);
        h.device.releaseHeld();
        assertTrue(p.wasAborted());
        assertEquals(TmfResult.FUNCTION_COMPLETE, r.get().result());
        h.device.hold(false);
        h.send(other, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertCheckCondition(0x6, 0x29, 0x03);
        h.send(h.nexus, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertCheckCondition(0x6, 0x29, 0x03);
        h.send(h.nexus, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertGood();
    }

    @Test
    void targetResetCoversEveryLu() {
        assertEquals(TmfResult.FUNCTION_COMPLETE,
                tmf(h.nexus, TaskManagementFunction.TARGET_WARM_RESET, 0, -1).get().result());
        h.send(h.nexus, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertCheckCondition(0x6, 0x29, 0x02);
    }

    @Test
    void nexusResetRaisesNexusLossAndARelogStartsWithPowerOn() {
        ScsiNexus other = h.secondNexus();
        assertEquals(TmfResult.FUNCTION_COMPLETE,
                tmf(other, TaskManagementFunction.I_T_NEXUS_RESET, 0, -1).get().result());
        h.send(h.nexus, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertGood();
        h.send(other, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertCheckCondition(0x6, 0x29, 0x07);

        h.device.hold(true);
        TestPort p = start(other, 3, READ1, TaskAttribute.SIMPLE);
        other.close();
        h.device.releaseHeld();
        assertTrue(p.wasAborted());
        // Something else happens while it is away...
        h.lu.unitAttentions().establishForAll(dev.lunar.scsi.internal.sense.SenseCodes.UA_MODE_PARAMETERS_CHANGED,
                h.nexus.name());
        // ...and the same I_T nexus logs in again: one POWER ON condition replaces it all, which
        // is what initiators clear at login (libiscsi gives up on anything else).
        ScsiNexus again = h.core.openNexus(ScsiHarness.TARGET, ScsiHarness.INITIATOR2, ScsiHarness.TARGET_PORT, 1, false);
        h.device.hold(false);
        h.send(again, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertCheckCondition(0x6, 0x29, 0x00);
        h.send(again, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertGood();
    }

    @Test
    void queries() {
        h.device.hold(true);
        start(h.nexus, 42, READ1, TaskAttribute.SIMPLE);
        assertEquals(TmfResult.FUNCTION_SUCCEEDED, tmf(h.nexus, TaskManagementFunction.QUERY_TASK, 0, 42).get().result());
        assertEquals(TmfResult.TASK_NOT_FOUND, tmf(h.nexus, TaskManagementFunction.QUERY_TASK, 0, 43).get().result());
        assertEquals(TmfResult.FUNCTION_SUCCEEDED,
                tmf(h.nexus, TaskManagementFunction.QUERY_TASK_SET, 0, -1).get().result());
        h.device.releaseHeld();
        assertEquals(TmfResult.FUNCTION_COMPLETE,
                tmf(h.nexus, TaskManagementFunction.QUERY_TASK_SET, 0, -1).get().result());
        assertEquals(TmfResult.FUNCTION_COMPLETE,
                tmf(h.nexus, TaskManagementFunction.QUERY_ASYNC_EVENT, 0, -1).get().result());
        h.lu.unitAttentions().establish(h.nexus.name(), dev.lunar.scsi.internal.sense.SenseCodes.UA_CAPACITY_CHANGED);
        TmfResponse q = tmf(h.nexus, TaskManagementFunction.QUERY_ASYNC_EVENT, 0, -1).get();
        assertEquals(TmfResult.FUNCTION_SUCCEEDED, q.result());
        assertEquals(0x062a09, q.additionalInfo());
    }

    @Test
    void removingALunWaitsBoundedThenAbortsWhatIsLeft() {
        h.device.hold(true);
        TestPort p = start(h.nexus, 8, READ1, TaskAttribute.SIMPLE);
        boolean drained = h.core.removeLogicalUnit(h.lu, 20);
        assertFalse(drained, "the held read cannot finish");
        // New commands no longer reach the LU.
        h.send(h.nexus, 0, TaskAttribute.SIMPLE, null, 0, TUR).assertCheckCondition(0x5, 0x25, 0x00);
        assertFalse(p.done(), "aborted only once its backend I/O is back");
        h.device.releaseHeld();
        assertTrue(p.wasAborted());
        assertEquals(0, h.lu.taskSet().size());
    }

    @Test
    void removingAnIdleLunDrainsAtOnce() {
        assertTrue(h.core.removeLogicalUnit(h.lu, 1000));
    }

    @Test
    void clearAcaIsRejectedWithoutAca() {
        assertEquals(TmfResult.FUNCTION_REJECTED, tmf(h.nexus, TaskManagementFunction.CLEAR_ACA, 0, -1).get().result());
    }
}
