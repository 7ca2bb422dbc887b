package dev.lunar.scsi.internal.command;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Operation code (and service action) to handler: the one place a command is registered (STYLE
 * rule 14). {@link #standard()} lists every command family; a family is a class with a static
 * {@code register(CommandTable)} that adds its opcodes. An opcode nobody registered is answered
 * with INVALID COMMAND OPERATION CODE; an unregistered service action of a registered opcode with
 * INVALID FIELD IN CDB pointing at the SERVICE ACTION field.
 *
 * <p>Built once, before the device server runs; read concurrently afterwards without locking.
 */
public final class CommandTable {

    private final CommandDescriptor[] byOpcode = new CommandDescriptor[256];
    private final CommandDescriptor[][] byServiceAction = new CommandDescriptor[256][];
    private final List<CommandGate> gates = new ArrayList<>();
    private final List<LogicalUnitListener> listeners = new ArrayList<>();
    private final java.util.NavigableMap<Integer, VpdPage> vpdPages = new java.util.TreeMap<>();

    /** Every command Lunar implements. Adding a command family means adding one line here. */
    public static CommandTable standard() {
        CommandTable t = new CommandTable();
        StatusCommands.register(t);
        InquiryCommands.register(t);
        LunInventoryCommands.register(t);
        CapacityCommands.register(t);
        ReadWriteCommands.register(t);
        ModeCommands.register(t);
        PortGroupCommands.register(t);
        // Advanced families (scsi-advanced) register here, one line each, e.g.
        // ReservationCommands.register(t);
        ReservationCommands.register(t);
        MaintenanceCommands.register(t);
        LogCommands.register(t);
        CompareAndWriteCommands.register(t);
        ProvisioningCommands.register(t);
        VerifyCommands.register(t);
        CopyCommands.register(t);
        return t;
    }

    /** Registers an opcode without service actions. */
    public CommandDescriptor add(int opcode, String name, CommandHandler handler, CommandFlag... flags) {
        return add(new CommandDescriptor(opcode, -1, name, flagSet(flags), handler, null));
    }

    /**
     * Registers one service action of an opcode whose CDB carries a SERVICE ACTION field in byte 1
     * bits 4..0 (SERVICE ACTION IN(16) 9Eh, MAINTENANCE IN A3h, MAINTENANCE OUT A4h, PERSISTENT
     * RESERVE IN/OUT 5Eh/5Fh when registered per action).
     */
    public CommandDescriptor add(int opcode, int serviceAction, String name, CommandHandler handler,
            CommandFlag... flags) {
        return add(new CommandDescriptor(opcode, serviceAction, name, flagSet(flags), handler, null));
    }

    /**
     * Registers an opcode with its CDB USAGE DATA (REPORT SUPPORTED OPERATION CODES, SPC-4
     * §6.35.3): one mask byte per CDB byte, byte 0 the opcode itself; see {@link #usage}.
     */
    public CommandDescriptor add(int opcode, String name, byte[] cdbUsage, CommandHandler handler,
            CommandFlag... flags) {
        return add(new CommandDescriptor(opcode, -1, name, flagSet(flags), handler, cdbUsage));
    }

    /** The same for one service action of an opcode. */
    public CommandDescriptor add(int opcode, int serviceAction, String name, byte[] cdbUsage,
            CommandHandler handler, CommandFlag... flags) {
        return add(new CommandDescriptor(opcode, serviceAction, name, flagSet(flags), handler, cdbUsage));
    }

    /** A CDB usage map from ints, e.g. {@code usage(0x28, 0xf8, 0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0x07)}. */
    public static byte[] usage(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return b;
    }

    /** Registers a fully described command (with a CDB usage map for RSOC). */
    public synchronized CommandDescriptor add(CommandDescriptor d) {
        int op = d.opcode() & 0xff;
        if (d.serviceAction() < 0) {
            if (byOpcode[op] != null || byServiceAction[op] != null) {
                throw new IllegalStateException(String.format("opcode %02xh registered twice", op));
            }
            byOpcode[op] = d;
        } else {
            if (byOpcode[op] != null) {
                throw new IllegalStateException(String.format("opcode %02xh registered without service actions", op));
            }
            if (byServiceAction[op] == null) {
                byServiceAction[op] = new CommandDescriptor[32];
            }
            if (byServiceAction[op][d.serviceAction() & 0x1f] != null) {
                throw new IllegalStateException(String.format("%02xh/%02xh registered twice", op, d.serviceAction()));
            }
            byServiceAction[op][d.serviceAction() & 0x1f] = d;
        }
        return d;
    }

    /** Adds a gate every command passes (reservations). */
    public synchronized void addGate(CommandGate gate) {
        gates.add(gate);
    }

    /** Adds a listener for nexus loss, resets and LU removal. */
    public synchronized void addListener(LogicalUnitListener l) {
        listeners.add(l);
    }

    /** Adds a VPD page that INQUIRY serves and lists (e.g. 8Fh Third-party Copy). */
    public synchronized void addVpdPage(int pageCode, VpdPage page) {
        if (vpdPages.putIfAbsent(pageCode & 0xff, page) != null) {
            throw new IllegalStateException(String.format("VPD page %02xh registered twice", pageCode));
        }
    }

    /** VPD pages registered by command families, by page code. */
    public java.util.NavigableMap<Integer, VpdPage> vpdPages() {
        return vpdPages;
    }

    /** The handler for {@code opcode}, or for its service action; null when unsupported. */
    public CommandDescriptor lookup(int opcode, int serviceAction) {
        CommandDescriptor d = byOpcode[opcode & 0xff];
        if (d != null) {
            return d;
        }
        CommandDescriptor[] sa = byServiceAction[opcode & 0xff];
        return sa == null ? null : sa[serviceAction & 0x1f];
    }

    /** Whether {@code opcode} is registered per service action. */
    public boolean hasServiceActions(int opcode) {
        return byServiceAction[opcode & 0xff] != null;
    }

    /** Whether anything handles {@code opcode}. */
    public boolean supports(int opcode) {
        return byOpcode[opcode & 0xff] != null || byServiceAction[opcode & 0xff] != null;
    }

    /** Every registered command, by opcode then service action (REPORT SUPPORTED OPERATION CODES). */
    public List<CommandDescriptor> all() {
        List<CommandDescriptor> out = new ArrayList<>();
        for (int op = 0; op < 256; op++) {
            if (byOpcode[op] != null) {
                out.add(byOpcode[op]);
            } else if (byServiceAction[op] != null) {
                for (CommandDescriptor d : byServiceAction[op]) {
                    if (d != null) {
                        out.add(d);
                    }
                }
            }
        }
        return out;
    }

    public List<CommandGate> gates() {
        return gates;
    }

    public List<LogicalUnitListener> listeners() {
        return listeners;
    }

    private static Set<CommandFlag> flagSet(CommandFlag... flags) {
        EnumSet<CommandFlag> s = EnumSet.noneOf(CommandFlag.class);
        for (CommandFlag f : flags) {
            s.add(f);
        }
        return s;
    }
}
