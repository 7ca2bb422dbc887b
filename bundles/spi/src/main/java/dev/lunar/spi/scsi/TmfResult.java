package dev.lunar.spi.scsi;

/** Service responses of a task management function (SAM-5 §7.1); the port maps them to its wire. */
public enum TmfResult {
    /** The function completed (for an abort: the task is gone, or never existed). */
    FUNCTION_COMPLETE,
    /** A query found what it asked about (QUERY TASK: the task exists; QUERY ASYNC EVENT: a UA is pending). */
    FUNCTION_SUCCEEDED,
    /** The function is not supported or not allowed here. */
    FUNCTION_REJECTED,
    /** The logical unit does not exist. */
    INCORRECT_LOGICAL_UNIT_NUMBER,
    /** The referenced task is unknown (ABORT TASK, QUERY TASK). */
    TASK_NOT_FOUND
}
