package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.TaskAttribute;
import org.junit.jupiter.api.Test;

class StatusCommandsTest {

    private final ScsiHarness h = new ScsiHarness();

    @Test
    void testUnitReady() {
        h.run(0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void requestSenseReportsAndClearsAUnitAttention() {
        h.lu.unitAttentions().establish(h.nexus.name(), SenseCodes.UA_CAPACITY_CHANGED);
        TestPort p = h.run(0x03, 0, 0, 0, 252, 0);
        p.assertGood();
        byte[] d = p.dataIn();
        assertEquals(0x70, d[0] & 0x7f);
        assertEquals(0x6, d[2] & 0x0f);
        assertEquals(0x2a, d[12] & 0xff);
        assertEquals(0x09, d[13] & 0xff);
        h.run(0, 0, 0, 0, 0, 0).assertGood();
        TestPort none = h.run(0x03, 1, 0, 0, 252, 0);
        assertEquals(0x72, none.dataIn()[0] & 0x7f, "DESC = 1 asks for descriptor format");
        assertEquals(0, none.dataIn()[1] & 0x0f, "NO SENSE");
    }

    @Test
    void requestSenseOnUnmappedLun() {
        TestPort p = h.send(h.nexus, 9, TaskAttribute.SIMPLE, null, 252, cdb(0x03, 0, 0, 0, 252, 0));
        p.assertGood();
        assertEquals(0x25, p.dataIn()[12] & 0xff);
    }

    @Test
    void startStopUnit() {
        h.run(0x1b, 0, 0, 0, 0x01, 0).assertGood();
        h.run(0x1b, 1, 0, 0, 0x00, 0).assertGood();
        assertEquals(1, h.device.flushes, "stopping writes the cache back");
        h.run(0x1b, 0, 0, 0, 0x04, 0).assertGood();
        assertEquals(1, h.device.flushes, "NO_FLUSH");
        h.run(0x1b, 1, 0, 0, 0x02, 0).assertInvalidField(4, 1);
        h.run(0x1b, 0, 0, 0, 0x12, 0).assertGood(); // power condition: LOEJ ignored
        h.run(0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void preventAllow() {
        h.run(0x1e, 0, 0, 0, 1, 0).assertGood();
        h.run(0x1e, 0, 0, 0, 0, 0).assertGood();
        h.run(0x1e, 0, 0, 0, 2, 0).assertInvalidField(4, 1);
    }

    @Test
    void fixedLuIsNotRemovable() {
        assertEquals(0, h.run(0x12, 0, 0, 0, 96, 0).dataIn()[1] & 0x80, "RMB = 0");
        h.run(0x1b, 0, 0, 0, 0x02, 0).assertInvalidField(4, 1);
        h.run(0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void removableMediumIsEjectedAndLoaded() {
        h.lu.setRemovable(true);
        assertEquals(0x80, h.run(0x12, 0, 0, 0, 96, 0).dataIn()[1] & 0x80, "RMB = 1");
        h.run(0x1b, 0, 0, 0, 0x02, 0).assertGood(); // LOEJ, START 0: eject
        assertEquals(1, h.device.flushes, "the medium leaves with its data written back");
        h.run(0, 0, 0, 0, 0, 0).assertCheckCondition(0x2, 0x3a, 0x00);
        h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).assertCheckCondition(0x2, 0x3a, 0x00);
        TestPort rs = h.run(0x03, 0, 0, 0, 252, 0);
        assertEquals(0x3a, rs.dataIn()[12] & 0xff, "REQUEST SENSE says why");
        h.run(0x12, 0, 0, 0, 96, 0).assertGood();
        h.run(0x1b, 0, 0, 0, 0x03, 0).assertGood(); // LOEJ, START 1: load
        h.run(0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void preventedMediumIsNeitherEjectedNorLoaded() {
        h.lu.setRemovable(true);
        h.run(0x1e, 0, 0, 0, 1, 0).assertGood();
        h.run(0x1b, 0, 0, 0, 0x02, 0).assertCheckCondition(0x5, 0x53, 0x02);
        h.run(0, 0, 0, 0, 0, 0).assertGood();
        h.run(0x1e, 0, 0, 0, 0, 0).assertGood();
        h.run(0x1b, 0, 0, 0, 0x02, 0).assertGood();
        h.run(0x1e, 0, 0, 0, 1, 0).assertGood();
        h.run(0x1b, 0, 0, 0, 0x03, 0).assertCheckCondition(0x5, 0x53, 0x02);
        h.run(0x1e, 0, 0, 0, 0, 0).assertGood();
        h.run(0x1b, 0, 0, 0, 0x03, 0).assertGood();
        h.run(0, 0, 0, 0, 0, 0).assertGood();
    }

    @Test
    void preventionOfOneNexusHoldsForAllAndEndsWithIt() {
        h.lu.setRemovable(true);
        ScsiNexus other = h.secondNexus();
        h.send(other, 0, TaskAttribute.SIMPLE, null, 0, cdb(0x1e, 0, 0, 0, 1, 0)).assertGood();
        h.run(0x1b, 0, 0, 0, 0x02, 0).assertCheckCondition(0x5, 0x53, 0x02);
        h.run(0x1e, 0, 0, 0, 0, 0).assertGood(); // allowing from here does not undo the other's
        h.run(0x1b, 0, 0, 0, 0x02, 0).assertCheckCondition(0x5, 0x53, 0x02);
        other.close(); // logout: I_T nexus loss
        h.run(0x1b, 0, 0, 0, 0x02, 0).assertGood();
        h.run(0x1b, 0, 0, 0, 0x03, 0).assertGood();
    }

    @Test
    void logicalUnitResetEndsThePrevention() {
        h.lu.setRemovable(true);
        h.run(0x1e, 0, 0, 0, 1, 0).assertGood();
        java.util.concurrent.atomic.AtomicReference<dev.lunar.spi.scsi.TmfResponse> r =
                new java.util.concurrent.atomic.AtomicReference<>();
        h.nexus.manage(new dev.lunar.spi.scsi.TmfRequest(dev.lunar.spi.scsi.TaskManagementFunction.LOGICAL_UNIT_RESET,
                dev.lunar.scsi.internal.target.ScsiTarget.encodeLun(0), -1), r::set);
        h.clearUnitAttentions(h.nexus);
        h.run(0x1b, 0, 0, 0, 0x02, 0).assertGood();
    }

    @Test
    void loadingTellsTheOtherNexuses() {
        h.lu.setRemovable(true);
        ScsiNexus other = h.secondNexus();
        h.run(0x1b, 0, 0, 0, 0x02, 0).assertGood();
        h.run(0x1b, 0, 0, 0, 0x03, 0).assertGood();
        h.run(0, 0, 0, 0, 0, 0).assertGood();
        h.send(other, 0, TaskAttribute.SIMPLE, null, 0, cdb(0, 0, 0, 0, 0, 0)).assertCheckCondition(0x6, 0x28, 0x00);
    }

    @Test
    void synchronizeCache() {
        h.run(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0).assertGood();
        h.run(0x91, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0).assertGood();
        assertEquals(2, h.device.flushes);
        h.run(0x35, 0, 0, 0, 0x04, 0x00, 0, 0, 1, 0).assertCheckCondition(0x5, 0x21, 0x00);
    }
}
