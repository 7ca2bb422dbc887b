package dev.lunar.scsi.internal.xcopy;

import dev.lunar.spi.scsi.Sense;

/**
 * Sense values of EXTENDED COPY and RECEIVE COPY RESULTS (SPC-4 EXTENDED COPY, Annex D), kept apart from
 * the core's {@code SenseCodes} because only the copy manager uses them.
 */
public final class CopySense {

    /** 26/06 TOO MANY TARGET DESCRIPTORS (more CSCD descriptors than we report we accept). */
    public static final Sense TOO_MANY_TARGET_DESCRIPTORS = Sense.of(Sense.ILLEGAL_REQUEST, 0x26, 0x06);
    /** 26/07 UNSUPPORTED TARGET DESCRIPTOR TYPE CODE. */
    public static final Sense UNSUPPORTED_TARGET_DESCRIPTOR_TYPE = Sense.of(Sense.ILLEGAL_REQUEST, 0x26, 0x07);
    /** 26/08 TOO MANY SEGMENT DESCRIPTORS. */
    public static final Sense TOO_MANY_SEGMENT_DESCRIPTORS = Sense.of(Sense.ILLEGAL_REQUEST, 0x26, 0x08);
    /** 26/09 UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE. */
    public static final Sense UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE = Sense.of(Sense.ILLEGAL_REQUEST, 0x26, 0x09);
    /** 00/16 OPERATION IN PROGRESS: a copy with the same list identifier is still running. */
    public static final Sense OPERATION_IN_PROGRESS = Sense.of(Sense.ILLEGAL_REQUEST, 0x00, 0x16);
    /** 55/03 INSUFFICIENT RESOURCES: more concurrent copies than TOTAL CONCURRENT COPIES. */
    public static final Sense INSUFFICIENT_RESOURCES = Sense.of(Sense.ILLEGAL_REQUEST, 0x55, 0x03);
    /** COPY ABORTED 0D/02 COPY TARGET DEVICE NOT REACHABLE: no such CSCD, a null one, no such LU. */
    public static final Sense TARGET_NOT_REACHABLE = Sense.of(Sense.COPY_ABORTED, 0x0d, 0x02);
    /** COPY ABORTED 0D/03 INCORRECT COPY TARGET DEVICE TYPE: not a block device of our block size. */
    public static final Sense INCORRECT_TARGET_TYPE = Sense.of(Sense.COPY_ABORTED, 0x0d, 0x03);
    /**
     * COPY ABORTED 00/00: a segment the copy manager refuses (a range beyond a copy target's
     * capacity); the segment pointer in the sense-key-specific bytes says which field.
     */
    public static final Sense SEGMENT_REFUSED = Sense.of(Sense.COPY_ABORTED, 0x00, 0x00);

    private CopySense() {
    }

    /**
     * {@code sense} with a SEGMENT POINTER (SPC-4 sense-key specific data, segment pointer): SKSV, SD = 1 (the byte is in the
     * segment descriptor), and the byte within the segment descriptor.
     */
    public static Sense inSegment(Sense sense, int byteInSegment) {
        int sks = 0x800000 | 0x200000 | (byteInSegment & 0xffff);
        return new Sense(sense.key(), sense.asc(), sense.ascq(), sense.information(), sks);
    }
}
