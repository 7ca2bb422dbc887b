package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.ScsiHarness.cdb;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.scsi.internal.MemoryBlockDevice;
import dev.lunar.scsi.internal.ScsiHarness;
import dev.lunar.scsi.internal.TestPort;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.TaskAttribute;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class LunInventoryCommandsTest {

    private final ScsiHarness h = new ScsiHarness();

    private static int[] reportLuns(int select, int alloc) {
        return new int[] {0xa0, 0, select, 0, 0, 0, alloc >>> 24, alloc >>> 16, alloc >>> 8, alloc, 0, 0};
    }

    @Test
    void listsEveryLun() {
        LogicalUnit second = new LogicalUnit("second", ScsiHarness.TARGET, 300, "memory", 8, null);
        h.core.addLogicalUnit(second);
        TestPort p = h.run(reportLuns(0, 4096));
        p.assertGood();
        ByteBuffer b = ByteBuffer.wrap(p.dataIn());
        assertEquals(16, b.getInt(0));
        assertEquals(0L, b.getLong(8));
        assertEquals(0x4000L | 300, b.getLong(16) >>> 48, "flat space addressing above 255");
        assertEquals(24, p.transferLengthSet());
    }

    @Test
    void selectReports() {
        assertEquals(8, ByteBuffer.wrap(h.run(reportLuns(2, 4096)).dataIn()).getInt(0));
        assertEquals(0, ByteBuffer.wrap(h.run(reportLuns(1, 4096)).dataIn()).getInt(0), "no well-known LUs");
        assertEquals(0, ByteBuffer.wrap(h.run(reportLuns(0x10, 4096)).dataIn()).getInt(0));
        assertEquals(8, ByteBuffer.wrap(h.run(reportLuns(0x11, 4096)).dataIn()).getInt(0));
        assertEquals(0, ByteBuffer.wrap(h.run(reportLuns(0x12, 4096)).dataIn()).getInt(0));
        h.run(reportLuns(3, 4096)).assertInvalidField(2, -1);
        h.run(reportLuns(0xff, 4096)).assertInvalidField(2, -1);
    }

    @Test
    void shortAllocationLengthIsInvalid() {
        h.run(reportLuns(0, 15)).assertInvalidField(6, -1);
        TestPort p = h.run(reportLuns(0, 16));
        p.assertGood();
        assertEquals(16, p.dataIn().length);
    }

    @Test
    void emptyTargetAnswersOnLunZero() {
        DeviceServerCore core = new DeviceServerCore(CommandTable.standard());
        ScsiNexus n = core.openNexus("iqn.empty", "i,i,0x1", "iqn.empty,t,0x1", 1, false);
        TestPort p = new TestPort(0, cdb(reportLuns(0, 64)), 1, TaskAttribute.SIMPLE, 64, null);
        n.execute(p);
        p.assertGood();
        assertEquals(0, ByteBuffer.wrap(p.dataIn()).getInt(0));
    }

    @Test
    void inventoryChangeRaisesReportedLunsDataHasChanged() {
        LogicalUnit second = new LogicalUnit("second", ScsiHarness.TARGET, 1, "memory", 8, null);
        second.attach(new MemoryBlockDevice(MemoryBlockDevice.geometry(64, 8)));
        h.core.addLogicalUnit(second);
        h.run(0, 0, 0, 0, 0, 0).assertCheckCondition(0x6, 0x3f, 0x0e);
        h.run(0, 0, 0, 0, 0, 0).assertGood();
        h.core.removeLogicalUnit(second, 1000);
        h.run(0, 0, 0, 0, 0, 0).assertCheckCondition(0x6, 0x3f, 0x0e);
        // REPORT LUNS itself does not consume or report unit attentions
        h.lu.unitAttentions().establish(h.nexus.name(), dev.lunar.scsi.internal.sense.SenseCodes.UA_REPORTED_LUNS_CHANGED);
        h.run(reportLuns(0, 64)).assertGood();
        h.run(0, 0, 0, 0, 0, 0).assertCheckCondition(0x6, 0x3f, 0x0e);
    }
}
