package dev.lunar.spi.scsi;

/**
 * A SCSI error as a value (SPC-4 §4.5): sense key, additional sense code and qualifier, and the
 * optional INFORMATION and SENSE KEY SPECIFIC fields. The device server encodes it in fixed or
 * descriptor format as the logical unit's D_SENSE bit says. Backends fail I/O with one of these;
 * nothing throws across an SPI.
 *
 * @param key sense key (SPC-4 table 54), 0..15
 * @param asc additional sense code
 * @param ascq additional sense code qualifier
 * @param information the INFORMATION field (e.g. the failing LBA), or -1 for none
 * @param senseKeySpecific the three SKS bytes with SKSV set (e.g. a field pointer), or 0 for none
 */
public record Sense(int key, int asc, int ascq, long information, int senseKeySpecific) {

    public static final int NO_SENSE = 0x0;
    public static final int RECOVERED_ERROR = 0x1;
    public static final int NOT_READY = 0x2;
    public static final int MEDIUM_ERROR = 0x3;
    public static final int HARDWARE_ERROR = 0x4;
    public static final int ILLEGAL_REQUEST = 0x5;
    public static final int UNIT_ATTENTION = 0x6;
    public static final int DATA_PROTECT = 0x7;
    public static final int BLANK_CHECK = 0x8;
    public static final int COPY_ABORTED = 0xa;
    public static final int ABORTED_COMMAND = 0xb;
    public static final int MISCOMPARE = 0xe;

    public static final Sense UNRECOVERED_READ_ERROR = of(MEDIUM_ERROR, 0x11, 0x00);
    public static final Sense WRITE_ERROR = of(MEDIUM_ERROR, 0x0c, 0x00);
    public static final Sense LBA_OUT_OF_RANGE = of(ILLEGAL_REQUEST, 0x21, 0x00);
    public static final Sense INVALID_OPCODE = of(ILLEGAL_REQUEST, 0x20, 0x00);
    public static final Sense INVALID_FIELD_IN_CDB = of(ILLEGAL_REQUEST, 0x24, 0x00);
    public static final Sense INVALID_FIELD_IN_PARAMETER_LIST = of(ILLEGAL_REQUEST, 0x26, 0x00);
    public static final Sense PARAMETER_LIST_LENGTH_ERROR = of(ILLEGAL_REQUEST, 0x1a, 0x00);
    public static final Sense LUN_NOT_SUPPORTED = of(ILLEGAL_REQUEST, 0x25, 0x00);
    public static final Sense WRITE_PROTECTED = of(DATA_PROTECT, 0x27, 0x00);
    public static final Sense NOT_READY_BECOMING_READY = of(NOT_READY, 0x04, 0x01);
    public static final Sense NOT_READY_MANUAL_INTERVENTION = of(NOT_READY, 0x04, 0x03);
    public static final Sense INTERNAL_TARGET_FAILURE = of(HARDWARE_ERROR, 0x44, 0x00);
    public static final Sense SPACE_ALLOCATION_FAILED = of(DATA_PROTECT, 0x27, 0x07);
    public static final Sense MISCOMPARE_DURING_VERIFY = of(MISCOMPARE, 0x1d, 0x00);
    public static final Sense COMMAND_ABORTED = of(ABORTED_COMMAND, 0x00, 0x00);

    public Sense {
        if (key < 0 || key > 15 || asc < 0 || asc > 255 || ascq < 0 || ascq > 255) {
            throw new IllegalArgumentException("bad sense " + key + "/" + asc + "/" + ascq);
        }
    }

    public static Sense of(int key, int asc, int ascq) {
        return new Sense(key, asc, ascq, -1, 0);
    }

    /** The same sense with the INFORMATION field set (e.g. the LBA that failed). */
    public Sense withInformation(long info) {
        return new Sense(key, asc, ascq, info, senseKeySpecific);
    }

    /**
     * The same sense with a field pointer (SPC-4 §4.5.2.4.2): which CDB or parameter-list byte
     * and bit are wrong.
     *
     * @param inCdb true for a CDB field (C/D = 1), false for the parameter list
     * @param bytePointer the byte
     * @param bit the bit, or -1 when the whole byte is meant
     */
    public Sense withFieldPointer(boolean inCdb, int bytePointer, int bit) {
        int sks = 0x800000 | (inCdb ? 0x400000 : 0) | (bytePointer & 0xffff);
        if (bit >= 0) {
            sks |= 0x080000 | ((bit & 7) << 16);
        }
        return new Sense(key, asc, ascq, information, sks);
    }

    @Override
    public String toString() {
        return String.format("Sense[%x/%02x/%02x]", key, asc, ascq);
    }
}
