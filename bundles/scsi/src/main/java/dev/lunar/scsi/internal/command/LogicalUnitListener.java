package dev.lunar.scsi.internal.command;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.target.ScsiNexus;

/**
 * Events of a logical unit that command families keep state for (reservations, copy operations).
 * Registered once in the {@link CommandTable}; called on a management or TMF thread after the
 * event's tasks were aborted; must not block for long.
 */
public interface LogicalUnitListener {

    /**
     * The logical unit was mapped into its target, before its first command. Families with state
     * kept across restarts load it here (APTPL reservations), so a failure to read it shows at
     * LUN open and the first command does not pay for the disk read.
     */
    default void added(LogicalUnit lu) {
    }

    /** The I_T nexus is gone (SAM-5 §6.3.4: I_T nexus loss, I_T NEXUS RESET). */
    default void nexusLost(LogicalUnit lu, ScsiNexus nexus) {
    }

    /** A LOGICAL UNIT RESET or target reset happened on {@code lu} (SAM-5 §6.3.3). */
    default void reset(LogicalUnit lu) {
    }

    /** The logical unit was removed from its target. */
    default void removed(LogicalUnit lu) {
    }
}
