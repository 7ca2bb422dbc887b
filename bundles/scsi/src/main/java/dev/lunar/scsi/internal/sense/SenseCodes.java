package dev.lunar.scsi.internal.sense;

import dev.lunar.spi.scsi.Sense;

/**
 * Sense values the core uses beyond the ones the SPI names (SPC-4 Annex D, table D.2). Kept in one
 * place so that handlers and tests agree on the exact ASC/ASCQ.
 */
public final class SenseCodes {

    /** 29/00 POWER ON, RESET, OR BUS DEVICE RESET OCCURRED: first command on a new I_T nexus. */
    public static final Sense UA_POWER_ON_RESET = Sense.of(Sense.UNIT_ATTENTION, 0x29, 0x00);
    /** 29/02 SCSI BUS RESET OCCURRED: target warm/cold reset. */
    public static final Sense UA_BUS_RESET = Sense.of(Sense.UNIT_ATTENTION, 0x29, 0x02);
    /** 29/03 BUS DEVICE RESET FUNCTION OCCURRED: LOGICAL UNIT RESET (SAM-5 §6.3.3). */
    public static final Sense UA_LUN_RESET = Sense.of(Sense.UNIT_ATTENTION, 0x29, 0x03);
    /** 29/07 I_T NEXUS LOSS OCCURRED (SAM-5 §6.3.4). */
    public static final Sense UA_NEXUS_LOSS = Sense.of(Sense.UNIT_ATTENTION, 0x29, 0x07);
    /** 2A/01 MODE PARAMETERS CHANGED (SPC-4 §6.11). */
    public static final Sense UA_MODE_PARAMETERS_CHANGED = Sense.of(Sense.UNIT_ATTENTION, 0x2a, 0x01);
    /** 2A/03 RESERVATIONS PREEMPTED (SPC-4 §5.12.11). */
    public static final Sense UA_RESERVATIONS_PREEMPTED = Sense.of(Sense.UNIT_ATTENTION, 0x2a, 0x03);
    /** 2A/04 RESERVATIONS RELEASED. */
    public static final Sense UA_RESERVATIONS_RELEASED = Sense.of(Sense.UNIT_ATTENTION, 0x2a, 0x04);
    /** 2A/05 REGISTRATIONS PREEMPTED. */
    public static final Sense UA_REGISTRATIONS_PREEMPTED = Sense.of(Sense.UNIT_ATTENTION, 0x2a, 0x05);
    /** 2A/09 CAPACITY DATA HAS CHANGED (SBC-3 §4.9). */
    public static final Sense UA_CAPACITY_CHANGED = Sense.of(Sense.UNIT_ATTENTION, 0x2a, 0x09);
    /** 2F/00 COMMANDS CLEARED BY ANOTHER INITIATOR (CLEAR TASK SET with TAS=0, SAM-5 §7.4). */
    public static final Sense UA_COMMANDS_CLEARED = Sense.of(Sense.UNIT_ATTENTION, 0x2f, 0x00);
    /** 3F/0E REPORTED LUNS DATA HAS CHANGED (SPC-4 §6.33). */
    public static final Sense UA_REPORTED_LUNS_CHANGED = Sense.of(Sense.UNIT_ATTENTION, 0x3f, 0x0e);
    /** 3F/03 INQUIRY DATA HAS CHANGED. */
    public static final Sense UA_INQUIRY_DATA_CHANGED = Sense.of(Sense.UNIT_ATTENTION, 0x3f, 0x03);

    /** 20/00 INVALID COMMAND OPERATION CODE. */
    public static final Sense INVALID_OPCODE = Sense.INVALID_OPCODE;
    /** 25/00 LOGICAL UNIT NOT SUPPORTED. */
    public static final Sense LUN_NOT_SUPPORTED = Sense.LUN_NOT_SUPPORTED;
    /** 39/00 SAVING PARAMETERS NOT SUPPORTED (MODE SELECT with SP=1, SPC-4 §6.9). */
    public static final Sense SAVING_PARAMETERS_NOT_SUPPORTED = Sense.of(Sense.ILLEGAL_REQUEST, 0x39, 0x00);
    /** 4E/00 OVERLAPPED COMMANDS ATTEMPTED (SAM-5 §5.9: a task tag already in use). */
    public static final Sense OVERLAPPED_COMMANDS = Sense.of(Sense.ABORTED_COMMAND, 0x4e, 0x00);
    /** 49/00 INVALID MESSAGE ERROR: ACA task attribute without an ACA condition (SAM-5 §8.6.5). */
    public static final Sense INVALID_MESSAGE = Sense.of(Sense.ILLEGAL_REQUEST, 0x49, 0x00);
    /** 04/01 LOGICAL UNIT IS IN PROCESS OF BECOMING READY. */
    public static final Sense NOT_READY_BECOMING_READY = Sense.NOT_READY_BECOMING_READY;
    /** 04/03 LOGICAL UNIT NOT READY, MANUAL INTERVENTION REQUIRED. */
    public static final Sense NOT_READY_MANUAL_INTERVENTION = Sense.NOT_READY_MANUAL_INTERVENTION;
    /** 04/02 LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED (stopped by START STOP UNIT). */
    public static final Sense NOT_READY_INIT_REQUIRED = Sense.of(Sense.NOT_READY, 0x04, 0x02);
    /** 28/00 NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED: a removable medium was loaded (SBC-3). */
    public static final Sense UA_MEDIUM_MAY_HAVE_CHANGED = Sense.of(Sense.UNIT_ATTENTION, 0x28, 0x00);
    /** 3A/00 MEDIUM NOT PRESENT. */
    public static final Sense MEDIUM_NOT_PRESENT = Sense.of(Sense.NOT_READY, 0x3a, 0x00);
    /** 27/00 WRITE PROTECTED. */
    public static final Sense WRITE_PROTECTED = Sense.WRITE_PROTECTED;
    /** 21/00 LOGICAL BLOCK ADDRESS OUT OF RANGE. */
    public static final Sense LBA_OUT_OF_RANGE = Sense.LBA_OUT_OF_RANGE;
    /** 24/00 INVALID FIELD IN CDB. */
    public static final Sense INVALID_FIELD_IN_CDB = Sense.INVALID_FIELD_IN_CDB;
    /** 26/00 INVALID FIELD IN PARAMETER LIST. */
    public static final Sense INVALID_FIELD_IN_PARAMETER_LIST = Sense.INVALID_FIELD_IN_PARAMETER_LIST;
    /** 1A/00 PARAMETER LIST LENGTH ERROR. */
    public static final Sense PARAMETER_LIST_LENGTH_ERROR = Sense.PARAMETER_LIST_LENGTH_ERROR;
    /**
     * 0E/03 INVALID FIELD IN COMMAND INFORMATION UNIT: the initiator's expected Data-Out length is
     * shorter than the CDB asks for (FCP-4 §9.4.2 b, which libiscsi checks for iSCSI too).
     */
    public static final Sense INVALID_FIELD_IN_COMMAND_IU = Sense.of(Sense.ILLEGAL_REQUEST, 0x0e, 0x03);
    /** 53/02 MEDIUM REMOVAL PREVENTED. */
    public static final Sense MEDIUM_REMOVAL_PREVENTED = Sense.of(Sense.ILLEGAL_REQUEST, 0x53, 0x02);
    /** 44/00 INTERNAL TARGET FAILURE. */
    public static final Sense INTERNAL_TARGET_FAILURE = Sense.INTERNAL_TARGET_FAILURE;
    /** 00/00 NO ADDITIONAL SENSE INFORMATION (REQUEST SENSE with nothing pending). */
    public static final Sense NO_SENSE = Sense.of(Sense.NO_SENSE, 0x00, 0x00);
    /** 26/04 INVALID RELEASE OF PERSISTENT RESERVATION (PR OUT RELEASE of another type). */
    public static final Sense INVALID_RELEASE_OF_PERSISTENT_RESERVATION = Sense.of(Sense.ILLEGAL_REQUEST, 0x26, 0x04);
    /** 04/1B LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS (SBC-3 sanitize operations). */
    public static final Sense NOT_READY_SANITIZE_IN_PROGRESS = Sense.of(Sense.NOT_READY, 0x04, 0x1b);
    /** 04/0B LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN STANDBY STATE (SPC-4 §5.16.2.4.4). */
    public static final Sense NOT_READY_TARGET_PORT_STANDBY = Sense.of(Sense.NOT_READY, 0x04, 0x0b);
    /** 04/0C LOGICAL UNIT NOT ACCESSIBLE, TARGET PORT IN UNAVAILABLE STATE (SPC-4 §5.16.2.4.5). */
    public static final Sense NOT_READY_TARGET_PORT_UNAVAILABLE = Sense.of(Sense.NOT_READY, 0x04, 0x0c);
    /** UA 2A/06 ASYMMETRIC ACCESS STATE CHANGED (SPC-4 §5.16.2: an implicit state transition). */
    public static final Sense UA_ASYMMETRIC_ACCESS_STATE_CHANGED = Sense.of(Sense.UNIT_ATTENTION, 0x2a, 0x06);
    /** 31/03 SANITIZE COMMAND FAILED: medium access while in sanitize failure mode (SBC-3). */
    public static final Sense SANITIZE_COMMAND_FAILED = Sense.of(Sense.MEDIUM_ERROR, 0x31, 0x03);
    /** 1C/00 DEFECT LIST NOT FOUND (READ DEFECT DATA with a format we cannot report, SBC-3). */
    public static final Sense DEFECT_LIST_NOT_FOUND = Sense.of(Sense.RECOVERED_ERROR, 0x1c, 0x00);

    private SenseCodes() {
    }
}
