package dev.lunar.scsi.internal.xcopy;

import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An EXTENDED COPY (LID1) parameter list (SPC-4), parsed and checked before anything is
 * copied. What we accept is exactly what RECEIVE COPY RESULTS OPERATING PARAMETERS and the
 * Third-party Copy VPD page say: identification descriptor CSCDs (E4h) and block-to-block
 * segments (02h), no inline data, at most {@link #MAX_CSCD_DESCRIPTORS} CSCDs and
 * {@link #MAX_SEGMENT_DESCRIPTORS} segments in {@link #MAX_DESCRIPTOR_LIST_BYTES} bytes.
 *
 * @param listId LIST IDENTIFIER
 * @param listIdUsage LIST ID USAGE: 00b hold results, 10b do not, 11b no list identifier
 * @param cscds the CSCD descriptors, in order (a segment names them by index)
 * @param segments the segment descriptors, in order
 */
public record CopyParameterList(int listId, int listIdUsage, List<Cscd> cscds, List<Segment> segments) {

    public static final int HEADER_BYTES = 16;
    public static final int CSCD_BYTES = 32;
    public static final int MAX_CSCD_DESCRIPTORS = 8;
    public static final int MAX_SEGMENT_DESCRIPTORS = 16;
    /** Room for the largest list we accept: every CSCD and every segment at its maximum count. */
    public static final int MAX_DESCRIPTOR_LIST_BYTES =
            MAX_CSCD_DESCRIPTORS * CSCD_BYTES + MAX_SEGMENT_DESCRIPTORS * Segment.BYTES;
    /** Identification descriptor CSCD type code (SPC-4). */
    public static final int CSCD_IDENTIFICATION = 0xe4;
    /** Block device to block device segment type code (SPC-4). */
    public static final int SEGMENT_BLOCK_TO_BLOCK = 0x02;
    /** LIST ID USAGE values (SPC-4 EXTENDED COPY(LID1) parameter list header). */
    public static final int HOLD_RESULTS = 0;
    public static final int NO_LIST_ID = 3;

    /**
     * One identification descriptor CSCD.
     *
     * @param offset its byte offset in the parameter list (for field pointers)
     * @param nul NUL: the null device, not usable for block copies
     * @param peripheralType PERIPHERAL DEVICE TYPE (00h: block device)
     * @param codeSet CODE SET of the designator
     * @param association ASSOCIATION of the designator
     * @param designatorType DESIGNATOR TYPE (3: NAA)
     * @param designator the designator bytes
     * @param blockLength DISK BLOCK LENGTH (0: not given)
     */
    public record Cscd(int offset, boolean nul, int peripheralType, int codeSet, int association, int designatorType,
            byte[] designator, int blockLength) {

        /** Whether this names the logical unit whose NAA designator (VPD 83h, association 0) is {@code naa}. */
        public boolean names(byte[] naa) {
            return designatorType == 3 && association == 0 && Arrays.equals(designator, naa);
        }
    }

    /**
     * One block-to-block segment.
     *
     * @param offset its byte offset in the parameter list
     * @param source SOURCE CSCD DESCRIPTOR ID (index into the CSCD list)
     * @param destination DESTINATION CSCD DESCRIPTOR ID
     * @param blocks BLOCK DEVICE NUMBER OF BLOCKS
     * @param sourceLba SOURCE BLOCK DEVICE LOGICAL BLOCK ADDRESS
     * @param destinationLba DESTINATION BLOCK DEVICE LOGICAL BLOCK ADDRESS
     */
    public record Segment(int offset, int source, int destination, int blocks, long sourceLba, long destinationLba) {
        /** Length of a block-to-block segment descriptor, header included. */
        public static final int BYTES = 28;
        /** Field offsets inside the descriptor, for segment pointers. */
        public static final int SOURCE_INDEX_AT = 4;
        public static final int DESTINATION_INDEX_AT = 6;
        public static final int SOURCE_LBA_AT = 12;
        public static final int DESTINATION_LBA_AT = 20;
    }

    /** A parse outcome: the list, or the sense the command ends with. */
    public record Parsed(CopyParameterList list, Sense error) {
        static Parsed fail(Sense s) {
            return new Parsed(null, s);
        }
    }

    private static Sense badField(int offset, int bit) {
        return Sense.INVALID_FIELD_IN_PARAMETER_LIST.withFieldPointer(false, offset, bit);
    }

    /** Parses and checks {@code p} (the whole parameter list the initiator sent, at least 1 byte). */
    public static Parsed parse(byte[] p) {
        if (p.length < HEADER_BYTES) {
            return Parsed.fail(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        ByteBuffer b = ByteBuffer.wrap(p);
        int listId = p[0] & 0xff;
        int usage = (p[1] >>> 3) & 0x3;
        // STR (bit 5) and PRIORITY (bits 2-0) are hints: we copy one segment at a time anyway.
        if (usage == 1) { // reserved (SPC-4 EXTENDED COPY(LID1) parameter list header)
            return Parsed.fail(badField(1, 4));
        }
        long cscdBytes = b.getShort(2) & 0xffff;
        long segmentBytes = b.getInt(8) & 0xffffffffL;
        long inlineBytes = b.getInt(12) & 0xffffffffL;
        // SPC-4 EXTENDED COPY: descriptor lists beyond MAXIMUM DESCRIPTOR LIST LENGTH, or longer than
        // what was sent, are a PARAMETER LIST LENGTH ERROR.
        if (cscdBytes + segmentBytes > MAX_DESCRIPTOR_LIST_BYTES
                || HEADER_BYTES + cscdBytes + segmentBytes + inlineBytes > p.length) {
            return Parsed.fail(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        if (inlineBytes != 0) { // MAXIMUM INLINE DATA LENGTH is 0
            return Parsed.fail(badField(12, -1));
        }
        if (cscdBytes % CSCD_BYTES != 0) {
            return Parsed.fail(badField(2, -1));
        }
        if (cscdBytes / CSCD_BYTES > MAX_CSCD_DESCRIPTORS) {
            return Parsed.fail(CopySense.TOO_MANY_TARGET_DESCRIPTORS);
        }
        List<Cscd> cscds = new ArrayList<>();
        for (int off = HEADER_BYTES; off < HEADER_BYTES + cscdBytes; off += CSCD_BYTES) {
            int type = p[off] & 0xff;
            if (type != CSCD_IDENTIFICATION) {
                return Parsed.fail(CopySense.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE.withFieldPointer(false, off, -1));
            }
            int luIdType = (p[off + 1] >>> 6) & 0x3;
            // LU ID TYPE 01b (proxy token, SPC-4 ROD tokens) is the one we cannot honour. The
            // reserved values 10b/11b are ignored as SPC-4 initiators expect (libiscsi's
            // ExtendedCopy.ValidTgtDescr: GOOD from an SPC-4 target); the copy addresses the LU
            // by the designator either way.
            if (luIdType == 1) {
                return Parsed.fail(badField(off + 1, 7));
            }
            boolean nul = (p[off + 1] & 0x20) != 0;
            int peripheral = p[off + 1] & 0x1f;
            int designatorLength = p[off + 7] & 0xff;
            if (designatorLength > 20) { // the designator field is 20 bytes (SPC-4 identification descriptor CSCD)
                return Parsed.fail(badField(off + 7, -1));
            }
            byte[] designator = Arrays.copyOfRange(p, off + 8, off + 8 + designatorLength);
            int blockLength = ((p[off + 29] & 0xff) << 16) | ((p[off + 30] & 0xff) << 8) | (p[off + 31] & 0xff);
            cscds.add(new Cscd(off, nul, peripheral, p[off + 4] & 0x0f, (p[off + 5] >>> 4) & 0x3,
                    p[off + 5] & 0x0f, designator, blockLength));
        }
        List<Segment> segments = new ArrayList<>();
        long end = HEADER_BYTES + cscdBytes + segmentBytes;
        for (long pos = HEADER_BYTES + cscdBytes; pos < end;) {
            int off = (int) pos;
            if (off + 4 > end) {
                return Parsed.fail(Sense.PARAMETER_LIST_LENGTH_ERROR);
            }
            if (segments.size() == MAX_SEGMENT_DESCRIPTORS) {
                return Parsed.fail(CopySense.TOO_MANY_SEGMENT_DESCRIPTORS);
            }
            int type = p[off] & 0xff;
            int length = 4 + (b.getShort(off + 2) & 0xffff);
            if (type != SEGMENT_BLOCK_TO_BLOCK) {
                return Parsed.fail(CopySense.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE.withFieldPointer(false, off, -1));
            }
            if (length != Segment.BYTES) {
                return Parsed.fail(badField(off + 2, -1));
            }
            if (off + length > end) {
                return Parsed.fail(Sense.PARAMETER_LIST_LENGTH_ERROR);
            }
            // DC (byte 1 bit 1) says whose block size NUMBER OF BLOCKS counts; source and
            // destination must have the same block size here, so both readings agree.
            segments.add(new Segment(off, b.getShort(off + 4) & 0xffff, b.getShort(off + 6) & 0xffff,
                    b.getShort(off + 10) & 0xffff, b.getLong(off + 12), b.getLong(off + 20)));
            pos += length;
        }
        return new Parsed(new CopyParameterList(listId, usage, List.copyOf(cscds), List.copyOf(segments)), null);
    }
}
