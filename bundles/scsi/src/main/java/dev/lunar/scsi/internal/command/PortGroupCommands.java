package dev.lunar.scsi.internal.command;

import dev.lunar.scsi.internal.target.ScsiTarget;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** REPORT TARGET PORT GROUPS (SPC-4 §6.36): implicit ALUA, one active/optimized group. */
final class PortGroupCommands {

    /** MAINTENANCE IN (SPC-4 §4.2.5.1). */
    static final int MAINTENANCE_IN = 0xa3;
    static final int SA_REPORT_TARGET_PORT_GROUPS = 0x0a;

    private PortGroupCommands() {
    }

    static void register(CommandTable t) {
        t.add(MAINTENANCE_IN, SA_REPORT_TARGET_PORT_GROUPS, "REPORT TARGET PORT GROUPS",
                CommandTable.usage(0xa3, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07),
                PortGroupCommands::reportTargetPortGroups);
    }

    private static void reportTargetPortGroups(Command c) {
        int format = c.bits(1, 5, 3);
        long alloc = c.u32(6);
        if (format > 1) {
            c.invalidField(1, 7);
            return;
        }
        ScsiTarget t = c.nexus().target();
        List<Integer> ports = new ArrayList<>(t.relativePorts());
        if (!ports.contains(c.nexus().relativeTargetPortId())) {
            ports.add(c.nexus().relativeTargetPortId());
        }
        int header = format == 1 ? 8 : 4;
        ByteBuffer b = ByteBuffer.allocate(header + 8 + 4 * ports.size());
        b.putInt(b.capacity() - 4);
        if (format == 1) {
            b.put((byte) 0x10); // FORMAT TYPE 001b: extended header
            b.put((byte) 0); // IMPLICIT TRANSITION TIME: none happen
            b.putShort((short) 0);
        }
        b.put((byte) 0x80); // PREF = 1, ASYMMETRIC ACCESS STATE 0h: active/optimized
        b.put((byte) 0x01); // AO_SUP: the only state we use
        b.putShort((short) ScsiTarget.TARGET_PORT_GROUP);
        b.put((byte) 0);
        b.put((byte) 0); // STATUS CODE: no change
        b.put((byte) 0);
        b.put((byte) ports.size());
        for (int port : ports) {
            b.putShort((short) 0);
            b.putShort((short) port);
        }
        c.respond(b.array(), b.capacity(), (int) Math.min(alloc, Integer.MAX_VALUE));
    }
}
