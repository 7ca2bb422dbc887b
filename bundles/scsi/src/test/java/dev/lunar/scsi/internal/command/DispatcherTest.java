package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.TaskAttribute;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DispatcherTest {

    private final ScsiHarness h = new ScsiHarness();

    private static final byte[] READ1 = cdb(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0);

    @Test
    void unknownOpcodeIsInvalidCommandOperationCode() {
        h.run(0xff, 0, 0, 0, 0, 0).assertCheckCondition(0x5, 0x20, 0x00);
    }

    @Test
    void emptyCdbIsAnsweredNotThrown() {
        TestPort p = h.send(h.nexus, 0, TaskAttribute.SIMPLE, null, 0, new byte[0]);
        p.assertCheckCondition(0x5, 0x20, 0x00);
    }

    @Test
    void unknownServiceActionPointsAtTheServiceActionField() {
        h.run(0x9e, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0).assertInvalidField(1, 4);
    }

    @Test
    void unmappedLunAnswersLunNotSupported() {
        TestPort p = h.send(h.nexus, 5, TaskAttribute.SIMPLE, null, 512, cdb(0x00, 0, 0, 0, 0, 0));
        p.assertCheckCondition(0x5, 0x25, 0x00);
    }

    @Test
    void nacaBitIsRejectedWithAFieldPointerOnTheControlByte() {
        h.run(0x00, 0, 0, 0, 0, 0x04).assertInvalidField(5, 2);
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0x04).assertInvalidField(9, 2);
    }

    @Test
    void acaAttributeWithoutAcaIsRejected() {
        TestPort p = h.send(h.nexus, 0, TaskAttribute.ACA, null, 0, cdb(0, 0, 0, 0, 0, 0));
        p.assertCheckCondition(0x5, 0x49, 0x00);
    }

    @Test
    void newNexusSeesPowerOnUnitAttentionOnceButNotOnInquiry() {
        ScsiNexus n = h.core.openNexus(ScsiHarness.TARGET, ScsiHarness.INITIATOR2, ScsiHarness.TARGET_PORT, 1, false);
        h.send(n, 0, TaskAttribute.SIMPLE, null, 255, cdb(0x12, 0, 0, 0, 36, 0)).assertGood();
        h.send(n, 0, TaskAttribute.SIMPLE, null, 0, cdb(0, 0, 0, 0, 0, 0)).assertCheckCondition(0x6, 0x29, 0x00);
        h.send(n, 0, TaskAttribute.SIMPLE, null, 0, cdb(0, 0, 0, 0, 0, 0)).assertGood();
    }

    @Test
    void senseFollowsDescriptorSenseMode() {
        h.lu.modePages().setDescriptorSense(true);
        TestPort p = h.run(0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0);
        assertEquals(0x72, p.sense()[0] & 0x7f);
        p.assertInvalidField(1, 7);
    }

    private TestPort hold(TaskAttribute attr, byte[] cdb) {
        return h.send(h.nexus, 0, attr, null, 512, cdb);
    }

    @Test
    void orderedTaskWaitsForOlderAndBlocksNewer() {
        h.device.hold(true);
        TestPort a = hold(TaskAttribute.SIMPLE, READ1);
        TestPort ordered = hold(TaskAttribute.ORDERED, READ1);
        TestPort c = hold(TaskAttribute.SIMPLE, READ1);
        assertEquals(1, h.device.heldCount(), "only the first SIMPLE task reached the backend");
        h.device.releaseHeld();
        a.assertGood();
        assertFalse(ordered.done());
        assertEquals(1, h.device.heldCount(), "the ORDERED task runs alone");
        assertFalse(c.done());
        h.device.releaseHeld();
        ordered.assertGood();
        assertEquals(1, h.device.heldCount(), "the newer SIMPLE task starts after the ORDERED one");
        h.device.releaseHeld();
        c.assertGood();
    }

    @Test
    void simpleTasksRunConcurrently() {
        h.device.hold(true);
        hold(TaskAttribute.SIMPLE, READ1);
        hold(TaskAttribute.SIMPLE, READ1);
        hold(TaskAttribute.SIMPLE, READ1);
        assertEquals(3, h.device.heldCount());
        h.device.releaseHeld();
    }

    @Test
    void headOfQueueStartsAheadOfDormantTasks() {
        h.device.hold(true);
        TestPort a = hold(TaskAttribute.ORDERED, READ1);
        TestPort b = hold(TaskAttribute.SIMPLE, READ1);
        TestPort hoq = hold(TaskAttribute.HEAD_OF_QUEUE, READ1);
        assertEquals(2, h.device.heldCount(), "ORDERED and HEAD OF QUEUE run, SIMPLE waits");
        assertFalse(b.done());
        h.device.releaseHeld();
        a.assertGood();
        hoq.assertGood();
        h.device.releaseHeld();
        b.assertGood();
    }

    @Test
    void taskSetFull() {
        ScsiHarness small = new ScsiHarness();
        LogicalUnit lu = new LogicalUnit("tiny", ScsiHarness.TARGET, 3, "memory", 2, null);
        MemoryBlockDevice dev = new MemoryBlockDevice(MemoryBlockDevice.geometry(64, 8)).hold(true);
        lu.attach(dev);
        small.core.addLogicalUnit(lu);
        small.clearUnitAttentions(small.nexus);
        List<TestPort> ports = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ports.add(small.send(small.nexus, 3, TaskAttribute.SIMPLE, null, 512, READ1));
        }
        // The first one reports the power-on UA and leaves; then two fit.
        ports.add(small.send(small.nexus, 3, TaskAttribute.SIMPLE, null, 512, READ1));
        assertEquals(ScsiStatus.CHECK_CONDITION, ports.get(0).status());
        assertEquals(ScsiStatus.TASK_SET_FULL, ports.get(3).status());
        dev.releaseHeld();
        ports.get(1).assertGood();
        ports.get(2).assertGood();
    }

    @Test
    void overlappedTagAbortsTheOldTaskAndRejectsTheNewOne() {
        h.device.hold(true);
        TestPort first = new TestPort(0, READ1, 77, TaskAttribute.SIMPLE, 512, null);
        h.nexus.execute(first);
        TestPort second = new TestPort(0, READ1, 77, TaskAttribute.SIMPLE, 512, null);
        h.nexus.execute(second);
        second.assertCheckCondition(0xb, 0x4e, 0x00);
        assertFalse(first.done(), "aborted only once its backend I/O is back");
        h.device.releaseHeld();
        assertTrue(first.wasAborted());
    }

    @Test
    void handlerExceptionBecomesInternalTargetFailure() {
        CommandTable t = CommandTable.standard();
        t.add(0xc0, "BROKEN", c -> {
            throw new IllegalStateException("boom");
        });
        ScsiHarness broken = new ScsiHarness(t, MemoryBlockDevice.geometry(64, 8));
        broken.run(0xc0, 0, 0, 0, 0, 0).assertCheckCondition(0x4, 0x44, 0x00);
    }

    @Test
    void everyCoreCommandPublishesACdbUsageMapMatchingItsOpcode() {
        for (CommandDescriptor d : CommandTable.standard().all()) {
            if (d.cdbUsage() == null) {
                continue; // families without a map yet; RSOC reports them without usage data
            }
            assertEquals(d.opcode(), d.cdbUsage()[0] & 0xff, d.name());
            int len = CommandDescriptor.cdbLength(d.opcode());
            if (len > 0) {
                assertEquals(len, d.cdbUsage().length, d.name());
            }
        }
        CommandDescriptor read10 = CommandTable.standard().lookup(0x28, 0);
        assertEquals(0x18, read10.cdbUsage()[1] & 0x18, "DPO/FUA examined, as MODE SENSE DPOFUA says");
    }

    @Test
    void duplicateRegistrationIsRefused() {
        CommandTable t = CommandTable.standard();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> t.add(0x28, "READ(10) again", Command::good));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> t.add(0x9e, 0x10, "READ CAPACITY(16) again", Command::good));
    }

    @Test
    void gateCanRefuseCommands() {
        CommandTable t = CommandTable.standard();
        t.addGate(c -> {
            if (c.opcode() == 0x28) {
                c.complete(ScsiStatus.RESERVATION_CONFLICT, null);
                return false;
            }
            return true;
        });
        ScsiHarness gated = new ScsiHarness(t, MemoryBlockDevice.geometry(64, 8));
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, gated.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).status());
        gated.run(0x00, 0, 0, 0, 0, 0).assertGood();
    }
}
