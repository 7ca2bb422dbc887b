package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.MEDIUM;

import dev.lunar.spi.backend.Geometry;
import java.nio.ByteBuffer;

/** READ CAPACITY(10) and (16) (SBC-3 §5.15, §5.16). */
final class CapacityCommands {

    /** SERVICE ACTION IN(16) (SPC-4 §4.2.5.1), service action READ CAPACITY(16). */
    static final int SERVICE_ACTION_IN_16 = 0x9e;
    static final int SA_READ_CAPACITY_16 = 0x10;

    private final CommandTable table;

    private CapacityCommands(CommandTable table) {
        this.table = table;
    }

    static void register(CommandTable t) {
        CapacityCommands cc = new CapacityCommands(t);
        t.add(0x25, "READ CAPACITY(10)", CommandTable.usage(0x25, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, 0x07),
                CapacityCommands::readCapacity10, MEDIUM);
        t.add(SERVICE_ACTION_IN_16, SA_READ_CAPACITY_16, "READ CAPACITY(16)",
                CommandTable.usage(0x9e, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                        0x01, 0x07),
                cc::readCapacity16, MEDIUM);
    }

    private static void readCapacity10(Command c) {
        long lba = c.u32(2);
        boolean pmi = c.bit(8, 0);
        // SBC-3 §5.15: with PMI 0 the LOGICAL BLOCK ADDRESS field must be 0.
        if (!pmi && lba != 0) {
            c.invalidField(2, -1);
            return;
        }
        Geometry g = c.geometry();
        long last = g.blockCount() - 1;
        ByteBuffer b = ByteBuffer.allocate(8);
        // A capacity beyond 32 bits reports FFFFFFFFh: "use READ CAPACITY(16)".
        b.putInt((int) Math.min(last, 0xffffffffL));
        b.putInt(g.blockSize());
        c.respond(b.array(), 8, 8);
    }

    private void readCapacity16(Command c) {
        long alloc = c.u32(10);
        Geometry g = c.geometry();
        ByteBuffer b = ByteBuffer.allocate(32);
        b.putLong(g.blockCount() - 1);
        b.putInt(g.blockSize());
        b.put((byte) 0); // no protection information
        b.put((byte) (g.physicalBlockExponent() & 0x0f));
        int flags = 0;
        if (BlockLimits.provisioningManaged(g, table)) {
            flags |= 0x80; // LBPME
        }
        if (InquiryCommands.lbprz(g)) {
            flags |= 0x40; // LBPRZ
        }
        b.put((byte) flags); // LOWEST ALIGNED LOGICAL BLOCK ADDRESS 0: LBA 0 is aligned
        b.put((byte) 0);
        c.respond(b.array(), 32, (int) Math.min(alloc, Integer.MAX_VALUE));
    }
}
