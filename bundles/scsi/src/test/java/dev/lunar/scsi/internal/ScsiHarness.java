package dev.lunar.scsi.internal;

import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.scsi.internal.target.ScsiTarget;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.scsi.ScsiStatus;
import dev.lunar.spi.scsi.TaskAttribute;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A device server with one target, one RAM LU (LUN 0) and one nexus, for command tests:
 * {@code h.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0)} executes a CDB and returns its {@link TestPort}.
 */
public final class ScsiHarness {

    public static final String TARGET = "iqn.2026-01.dev.lunar:test";
    public static final String INITIATOR = "iqn.2026-01.dev.lunar:init,i,0x000000000001";
    public static final String INITIATOR2 = "iqn.2026-01.dev.lunar:init2,i,0x000000000002";
    public static final String TARGET_PORT = TARGET + ",t,0x1";

    public final DeviceServerCore core;
    public final MemoryBlockDevice device;
    public final LogicalUnit lu;
    public final ScsiNexus nexus;
    private final AtomicLong tags = new AtomicLong(1);

    public ScsiHarness() {
        this(MemoryBlockDevice.geometry(1024, 16));
    }

    public ScsiHarness(Geometry g) {
        this(CommandTable.standard(), g);
    }

    public ScsiHarness(CommandTable table, Geometry g) {
        core = new DeviceServerCore(table);
        device = new MemoryBlockDevice(g);
        lu = new LogicalUnit("lun0", TARGET, 0, "memory", 64, null);
        lu.attach(device);
        core.addLogicalUnit(lu);
        nexus = core.openNexus(TARGET, INITIATOR, TARGET_PORT, 1, false);
        clearUnitAttentions(nexus);
    }

    /** Opens a second nexus (another initiator) with its power-on UA already consumed. */
    public ScsiNexus secondNexus() {
        ScsiNexus n = core.openNexus(TARGET, INITIATOR2, TARGET_PORT, 1, false);
        clearUnitAttentions(n);
        return n;
    }

    /** Sends TEST UNIT READY until it stops reporting unit attentions. */
    public void clearUnitAttentions(ScsiNexus n) {
        for (int i = 0; i < 20; i++) {
            TestPort p = send(n, 0, TaskAttribute.SIMPLE, null, 0, cdb(0, 0, 0, 0, 0, 0));
            if (p.status() != ScsiStatus.CHECK_CONDITION || p.senseKey() != 0x6) {
                return;
            }
        }
        throw new AssertionError("unit attentions never cleared");
    }

    public static byte[] cdb(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return b;
    }

    /** Runs a CDB on LUN 0 of the main nexus with no Data-Out. */
    public TestPort run(int... cdb) {
        return send(nexus, 0, TaskAttribute.SIMPLE, null, 1 << 20, cdb(cdb));
    }

    /** Runs a CDB with Data-Out. */
    public TestPort runOut(byte[] dataOut, int... cdb) {
        return send(nexus, 0, TaskAttribute.SIMPLE, dataOut, 0, cdb(cdb));
    }

    public TestPort send(ScsiNexus n, int lun, TaskAttribute attr, byte[] dataOut, int expectedIn, byte[] cdb) {
        TestPort p = port(lun, attr, dataOut, expectedIn, cdb);
        n.execute(p);
        return p;
    }

    public TestPort port(int lun, TaskAttribute attr, byte[] dataOut, int expectedIn, byte[] cdb) {
        return new TestPort(ScsiTarget.encodeLun(lun), cdb, tags.getAndIncrement(), attr, expectedIn, dataOut);
    }
}
