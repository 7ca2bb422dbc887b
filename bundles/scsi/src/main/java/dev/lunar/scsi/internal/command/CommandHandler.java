package dev.lunar.scsi.internal.command;

/**
 * Executes one SCSI command. Called by the dispatcher on whichever thread enabled the task (the
 * session's I/O thread, or a completion thread that ended an older ORDERED task); must not block.
 * The handler owns the {@link Command} until it completes it exactly once, directly or from a
 * continuation of its backend I/O or Data-Out; every asynchronous step goes through the
 * {@code Command} so that aborts and failures are handled in one place.
 */
@FunctionalInterface
public interface CommandHandler {

    void execute(Command command);
}
