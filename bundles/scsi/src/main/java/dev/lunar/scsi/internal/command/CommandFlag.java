package dev.lunar.scsi.internal.command;

/** What the dispatcher checks for a command before its handler runs (SPC-4 §5.14, SBC-3 §4.x). */
public enum CommandFlag {
    /**
     * Runs without reporting or clearing a pending unit attention: INQUIRY, REPORT LUNS and
     * REQUEST SENSE (SPC-4 §5.14, SAM-5 §5.14).
     */
    NO_UNIT_ATTENTION,
    /**
     * Answered even when the LUN is not mapped (the handler sees {@code lu() == null}):
     * INQUIRY with peripheral qualifier 011b, REPORT LUNS, REQUEST SENSE (SPC-4 INQUIRY and REPORT LUNS, SAM-5 logical unit addressing).
     */
    WITHOUT_LOGICAL_UNIT,
    /** Needs an open backend and a started unit; otherwise NOT READY (SBC-3 §4.17). */
    MEDIUM,
    /**
     * Changes the medium: refused with DATA PROTECT / WRITE PROTECTED when the backend is
     * read-only, the nexus is read-only, or the Control mode page's SWP bit is set (SPC-4 §7.5.7).
     */
    WRITES_MEDIUM
}
