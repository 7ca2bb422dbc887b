package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * SCSI Command (opcode 0x01, RFC 7143 §11.3): byte 1 = F R W . . ATTR; bytes 20-23 Expected Data
 * Transfer Length; 24 CmdSN; 28 ExpStatSN; 32-47 CDB. Longer CDBs continue in an Extended CDB AHS
 * (type 1); a bidirectional command carries its read length in AHS type 2.
 */
public final class ScsiCommandPdu {

    public static final int FLAG_READ = 0x40;
    public static final int FLAG_WRITE = 0x20;
    public static final int ATTR_MASK = 0x07;
    public static final int OFFSET_EXPECTED_LENGTH = 20;
    public static final int OFFSET_CDB = 32;
    public static final int CDB_LENGTH = 16;

    private ScsiCommandPdu() {
    }

    /** R: the command expects Data-In. */
    public static boolean read(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_READ) != 0;
    }

    /** W: the command sends Data-Out. */
    public static boolean write(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_WRITE) != 0;
    }

    /** ATTR: the SAM task attribute code (0 untagged .. 4 ACA). */
    public static int attribute(ByteBuffer h) {
        return Bhs.flags(h) & ATTR_MASK;
    }

    /** Expected Data Transfer Length, unsigned; as an int, lengths over 2 GiB read negative. */
    public static int expectedDataTransferLength(ByteBuffer h) {
        return h.getInt(OFFSET_EXPECTED_LENGTH);
    }

    public static int cmdSn(ByteBuffer h) {
        return Bhs.sn(h);
    }

    public static int expStatSn(ByteBuffer h) {
        return Bhs.expSn(h);
    }

    /**
     * The whole CDB: a read-only view of the 16 BHS bytes, or (allocating) those bytes followed by
     * the Extended CDB AHS. Returns {@code null} if the AHS is malformed (validate first).
     */
    public static ByteBuffer cdb(ByteBuffer h) {
        int ext = Ahs.find(h, Ahs.TYPE_EXTENDED_CDB);
        if (ext < 0) {
            return h.asReadOnlyBuffer().position(OFFSET_CDB).limit(OFFSET_CDB + CDB_LENGTH).slice();
        }
        // AHSLength counts the reserved byte plus the CDB bytes beyond the first 16 (§11.3.5).
        int extra = Ahs.length(h, ext) - 1;
        if (extra < 0) {
            return null;
        }
        ByteBuffer cdb = ByteBuffer.allocate(CDB_LENGTH + extra);
        cdb.put(0, h, OFFSET_CDB, CDB_LENGTH);
        cdb.put(CDB_LENGTH, h, ext + 4, extra);
        return cdb.asReadOnlyBuffer();
    }

    /**
     * Expected Bidirectional Read Data Length from AHS type 2 (§11.3.4), or -1 when absent or
     * malformed.
     */
    public static long bidirectionalReadLength(ByteBuffer h) {
        int at = Ahs.find(h, Ahs.TYPE_BIDI_READ_LENGTH);
        if (at < 0 || Ahs.length(h, at) != 5) {
            return -1;
        }
        return h.getInt(at + 4) & 0xffffffffL;
    }
}
