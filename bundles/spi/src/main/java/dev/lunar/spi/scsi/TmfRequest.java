package dev.lunar.spi.scsi;

/**
 * A task management request on one I_T nexus.
 *
 * @param function what to do
 * @param lun the 8-byte SAM LUN field as sent by the initiator
 * @param referencedTag the task tag the function refers to (ABORT TASK, QUERY TASK), else -1
 */
public record TmfRequest(TaskManagementFunction function, long lun, long referencedTag) {
}
