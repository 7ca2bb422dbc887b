package dev.lunar.scsi.internal.command;

import java.util.EnumSet;
import java.util.Set;

/**
 * One entry of the {@link CommandTable}: an operation code (and service action), its name for
 * logs and REPORT SUPPORTED OPERATION CODES, what the dispatcher checks first, and the handler.
 *
 * @param opcode operation code
 * @param serviceAction service action, or -1 for an opcode without service actions
 * @param name the command's name as SPC/SBC spell it, e.g. {@code "READ(10)"}
 * @param flags dispatcher checks
 * @param handler the code that runs it
 * @param cdbUsage the CDB USAGE DATA bitmap of REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35.3),
 *     byte 0 = opcode; may be {@code null} when the command has not published one
 */
public record CommandDescriptor(int opcode, int serviceAction, String name, Set<CommandFlag> flags,
        CommandHandler handler, byte[] cdbUsage) {

    public CommandDescriptor {
        flags = flags.isEmpty() ? EnumSet.noneOf(CommandFlag.class) : EnumSet.copyOf(flags);
    }

    public boolean has(CommandFlag flag) {
        return flags.contains(flag);
    }

    /** CDB length by operation code group (SPC-4 §4.2.5.1); 0 for variable-length (7Fh). */
    public static int cdbLength(int opcode) {
        return switch (opcode >>> 5) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 4 -> 16;
            case 5 -> 12;
            default -> opcode == 0x7f ? 0 : 10;
        };
    }
}
