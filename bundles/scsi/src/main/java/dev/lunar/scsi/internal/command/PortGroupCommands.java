package dev.lunar.scsi.internal.command;

import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.target.PortGroups;
import dev.lunar.scsi.internal.target.PortGroups.AccessState;
import dev.lunar.scsi.internal.target.ScsiTarget;
import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * REPORT TARGET PORT GROUPS (SPC-4 §6.36) and the commands a target port group in standby or
 * unavailable state still accepts (SPC-4 §5.16.2.4.4, §5.16.2.4.5). Implicit ALUA only: the
 * states come from the portals' configuration ({@link PortGroups}); SET TARGET PORT GROUPS is
 * not registered, so it answers like any unsupported service action.
 */
final class PortGroupCommands {

    /** MAINTENANCE IN (SPC-4 §4.2.5.1). */
    static final int MAINTENANCE_IN = 0xa3;
    static final int SA_REPORT_TARGET_PORT_GROUPS = 0x0a;

    /**
     * Allowed through an unavailable port (SPC-4 §5.16.2.4.5): INQUIRY, REPORT LUNS, REQUEST
     * SENSE, REPORT TARGET PORT GROUPS (key: opcode, or opcode << 8 | service action). SET TARGET
     * PORT GROUPS and the echo buffer modes of READ/WRITE BUFFER are allowed too, but unsupported.
     */
    private static final Set<Integer> UNAVAILABLE_ALLOWS = Set.of(0x12, 0xa0, 0x03,
            MAINTENANCE_IN << 8 | SA_REPORT_TARGET_PORT_GROUPS);

    /**
     * Allowed through a standby port (SPC-4 §5.16.2.4.4): the unavailable set plus LOG SELECT/
     * SENSE, MODE SELECT/SENSE (6 and 10), RECEIVE DIAGNOSTIC RESULTS, SEND DIAGNOSTIC and
     * PERSISTENT RESERVE IN/OUT. TEST UNIT READY is not on the list: it is how multipath
     * initiators learn a path is standby.
     */
    private static final Set<Integer> STANDBY_ALLOWS = Set.of(0x12, 0xa0, 0x03,
            MAINTENANCE_IN << 8 | SA_REPORT_TARGET_PORT_GROUPS,
            0x4c, 0x4d, 0x15, 0x55, 0x1a, 0x5a, 0x1c, 0x1d, 0x5e, 0x5f);

    private PortGroupCommands() {
    }

    static void register(CommandTable t) {
        t.add(MAINTENANCE_IN, SA_REPORT_TARGET_PORT_GROUPS, "REPORT TARGET PORT GROUPS",
                CommandTable.usage(0xa3, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0x07),
                PortGroupCommands::reportTargetPortGroups);
    }

    /**
     * The answer for a command the nexus's target port group does not accept in its current
     * asymmetric access state (02/04/0B standby, 02/04/0C unavailable), or null when it may run.
     * Called by the dispatcher after the unit attention check, before gates: I/O thread, lock-free.
     */
    static Sense inaccessible(Command c) {
        AccessState state = c.nexus().accessState();
        if (state == AccessState.ACTIVE_OPTIMIZED || state == AccessState.ACTIVE_NON_OPTIMIZED) {
            return null;
        }
        int op = c.opcode();
        int key = c.descriptor().serviceAction() >= 0 ? op << 8 | c.descriptor().serviceAction() : op;
        if (state == AccessState.STANDBY) {
            return STANDBY_ALLOWS.contains(key) ? null : SenseCodes.NOT_READY_TARGET_PORT_STANDBY;
        }
        return UNAVAILABLE_ALLOWS.contains(key) ? null : SenseCodes.NOT_READY_TARGET_PORT_UNAVAILABLE;
    }

    private static void reportTargetPortGroups(Command c) {
        int format = c.bits(1, 5, 3);
        long alloc = c.u32(6);
        if (format > 1) {
            c.invalidField(1, 7);
            return;
        }
        PortGroups groups = c.nexus().server().portGroups();
        // Every configured group, plus any group a nexus of this target came in through (a
        // portal removed under a live session, or no portal configuration at all).
        NavigableMap<Integer, AccessState> listed = new TreeMap<>(groups.configured());
        ScsiTarget t = c.nexus().target();
        for (int port : t.relativePorts()) {
            listed.putIfAbsent(port, groups.state(port));
        }
        listed.putIfAbsent(c.nexus().targetPortGroup(), c.nexus().accessState());
        int header = format == 1 ? 8 : 4;
        ByteBuffer b = ByteBuffer.allocate(header + 12 * listed.size());
        b.putInt(b.capacity() - 4);
        if (format == 1) {
            b.put((byte) 0x10); // FORMAT TYPE 001b: extended header
            b.put((byte) 0); // IMPLICIT TRANSITION TIME: transitions are immediate
            b.putShort((short) 0);
        }
        for (Map.Entry<Integer, AccessState> g : listed.entrySet()) {
            b.put((byte) g.getValue().code()); // PREF = 0: no group is preferred over another
            b.put((byte) PortGroups.SUPPORTED_STATES);
            b.putShort((short) (int) g.getKey());
            b.put((byte) 0);
            b.put((byte) 0); // STATUS CODE: no change by SET TARGET PORT GROUPS
            b.put((byte) 0); // vendor specific
            b.put((byte) 1); // TARGET PORT COUNT: a group is one portal group tag = one port
            // One port per group: relative target port identifier = tpgt (PortGroups).
            b.putShort((short) 0);
            b.putShort((short) (int) g.getKey());
        }
        c.respond(b.array(), b.capacity(), (int) Math.min(alloc, Integer.MAX_VALUE));
    }
}
