package dev.lunar.scsi.internal.command;

import static dev.lunar.scsi.internal.command.CommandFlag.NO_UNIT_ATTENTION;
import static dev.lunar.scsi.internal.command.CommandFlag.WITHOUT_LOGICAL_UNIT;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.target.ScsiTarget;
import java.nio.ByteBuffer;
import java.util.List;

/** REPORT LUNS (SPC-4 §6.33). */
final class LunInventoryCommands {

    private LunInventoryCommands() {
    }

    static void register(CommandTable t) {
        t.add(0xa0, "REPORT LUNS", CommandTable.usage(0xa0, 0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07),
                LunInventoryCommands::reportLuns, NO_UNIT_ATTENTION, WITHOUT_LOGICAL_UNIT);
    }

    /**
     * SELECT REPORT 00h and 02h list every LU (we have no well-known LUs), 01h lists the
     * well-known ones (none); 10h-12h concern administrative LUs, of which there are none, so
     * 10h and 12h report an empty list and 11h the same as 00h. The answer does not depend on
     * which LUN the command was sent to, so it works on an unmapped LUN 0 too.
     */
    private static void reportLuns(Command c) {
        int select = c.u8(2);
        long alloc = c.u32(6);
        if (select > 0x02 && (select < 0x10 || select > 0x12)) {
            c.invalidField(2, -1);
            return;
        }
        // SPC-4 §6.33: an allocation length below 16 is an error.
        if (alloc < 16) {
            c.invalidField(6, -1);
            return;
        }
        boolean list = select == 0x00 || select == 0x02 || select == 0x11;
        List<LogicalUnit> lus = list ? c.nexus().logicalUnits() : List.of(); // only what the ACL shows
        ByteBuffer b = ByteBuffer.allocate(8 + 8 * lus.size());
        b.putInt(8 * lus.size());
        b.putInt(0);
        for (LogicalUnit lu : lus) {
            b.putLong(ScsiTarget.encodeLun(lu.lun()));
        }
        c.respond(b.array(), b.capacity(), (int) Math.min(alloc, Integer.MAX_VALUE));
    }
}
