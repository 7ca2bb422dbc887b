package dev.lunar.scsi.internal.command;

/**
 * A check every command passes after its unit attention check and before its handler runs, for
 * state that spans commands: reservations (SPC-4 §5.12: RESERVATION CONFLICT), fencing. Registered
 * once in the {@link CommandTable}. Runs on the dispatching thread; must not block.
 */
@FunctionalInterface
public interface CommandGate {

    /**
     * @return {@code true} to let the command run; {@code false} when the gate has completed the
     *     command itself (for example {@code command.complete(RESERVATION_CONFLICT, null)})
     */
    boolean admit(Command command);
}
