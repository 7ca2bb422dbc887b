package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Fields every BHS shares (RFC 7143 §11.2.1) and raw absolute accessors for the rest. All methods
 * take the header buffer of a {@link dev.lunar.spi.transport.Pdu} (absolute index 0 = BHS byte 0),
 * never move its position and never allocate. Multi-byte fields are big-endian (network order).
 */
public final class Bhs {

    /** The reserved tag value (RFC 7143 §11.2.1.8): "no task" / "no reply wanted". */
    public static final int RESERVED_TAG = 0xffffffff;

    public static final int OFFSET_OPCODE = 0;
    public static final int OFFSET_FLAGS = 1;
    public static final int OFFSET_TOTAL_AHS_LENGTH = 4;
    public static final int OFFSET_DATA_SEGMENT_LENGTH = 5;
    public static final int OFFSET_LUN = 8;
    public static final int OFFSET_ITT = 16;
    /** Target Transfer Tag in the PDUs that carry one (NOP, Data, R2T, Text, SNACK). */
    public static final int OFFSET_TTT = 20;
    /** CmdSN in initiator PDUs, StatSN in target PDUs. */
    public static final int OFFSET_SN = 24;
    /** ExpStatSN in initiator PDUs, ExpCmdSN in target PDUs. */
    public static final int OFFSET_EXP_SN = 28;
    /** MaxCmdSN in target PDUs. */
    public static final int OFFSET_MAX_CMD_SN = 32;

    /** Largest value of the 24-bit DataSegmentLength field. */
    public static final int MAX_DATA_SEGMENT_LENGTH = 0xffffff;

    private static final int IMMEDIATE_BIT = 0x40;
    private static final int FINAL_BIT = 0x80;

    private Bhs() {
    }

    public static int opcode(ByteBuffer h) {
        return h.get(OFFSET_OPCODE) & 0x3f;
    }

    /** The I bit: an immediate delivery (RFC 7143 §3.2.2.1). */
    public static boolean immediate(ByteBuffer h) {
        return (h.get(OFFSET_OPCODE) & IMMEDIATE_BIT) != 0;
    }

    /** The F bit (byte 1, bit 7): final PDU of a sequence. */
    public static boolean finalFlag(ByteBuffer h) {
        return (h.get(OFFSET_FLAGS) & FINAL_BIT) != 0;
    }

    /** Byte 1 without interpretation (F bit and opcode-specific flags). */
    public static int flags(ByteBuffer h) {
        return h.get(OFFSET_FLAGS) & 0xff;
    }

    /** TotalAHSLength in 4-byte words. */
    public static int totalAhsLength(ByteBuffer h) {
        return h.get(OFFSET_TOTAL_AHS_LENGTH) & 0xff;
    }

    /** DataSegmentLength: 24 bits, padding excluded. */
    public static int dataSegmentLength(ByteBuffer h) {
        return ((h.get(5) & 0xff) << 16) | ((h.get(6) & 0xff) << 8) | (h.get(7) & 0xff);
    }

    /** The 8-byte LUN field (bytes 8-15) as one big-endian long (the SAM LUN structure). */
    public static long lun(ByteBuffer h) {
        return h.getLong(OFFSET_LUN);
    }

    public static int itt(ByteBuffer h) {
        return h.getInt(OFFSET_ITT);
    }

    public static int ttt(ByteBuffer h) {
        return h.getInt(OFFSET_TTT);
    }

    /** CmdSN (initiator PDUs) or StatSN (target PDUs). */
    public static int sn(ByteBuffer h) {
        return h.getInt(OFFSET_SN);
    }

    /** ExpStatSN (initiator PDUs) or ExpCmdSN (target PDUs). */
    public static int expSn(ByteBuffer h) {
        return h.getInt(OFFSET_EXP_SN);
    }

    /** An unsigned byte at an absolute offset. */
    public static int u8(ByteBuffer h, int offset) {
        return h.get(offset) & 0xff;
    }

    /** An unsigned 16-bit field at an absolute offset. */
    public static int u16(ByteBuffer h, int offset) {
        return h.getShort(offset) & 0xffff;
    }

    /** A 32-bit field at an absolute offset (sequence numbers and tags are compared unsigned). */
    public static int i32(ByteBuffer h, int offset) {
        return h.getInt(offset);
    }

    /** A fresh zeroed 48-byte BHS with the opcode set (and the I bit when asked). */
    public static ByteBuffer allocate(int opcode, boolean immediate) {
        ByteBuffer h = ByteBuffer.allocate(dev.lunar.spi.transport.Pdu.BHS_LENGTH);
        h.put(OFFSET_OPCODE, (byte) ((opcode & 0x3f) | (immediate ? IMMEDIATE_BIT : 0)));
        return h;
    }

    public static void putFlags(ByteBuffer h, int flags) {
        h.put(OFFSET_FLAGS, (byte) flags);
    }

    public static void putDataSegmentLength(ByteBuffer h, int length) {
        if (length < 0 || length > MAX_DATA_SEGMENT_LENGTH) {
            throw new IllegalArgumentException("DataSegmentLength out of range: " + length);
        }
        h.put(5, (byte) (length >>> 16));
        h.put(6, (byte) (length >>> 8));
        h.put(7, (byte) length);
    }

    public static void putTotalAhsLength(ByteBuffer h, int words) {
        h.put(OFFSET_TOTAL_AHS_LENGTH, (byte) words);
    }

    public static void putLun(ByteBuffer h, long lun) {
        h.putLong(OFFSET_LUN, lun);
    }

    public static void putItt(ByteBuffer h, int itt) {
        h.putInt(OFFSET_ITT, itt);
    }

    public static void putTtt(ByteBuffer h, int ttt) {
        h.putInt(OFFSET_TTT, ttt);
    }

    public static void putU8(ByteBuffer h, int offset, int value) {
        h.put(offset, (byte) value);
    }

    public static void putU16(ByteBuffer h, int offset, int value) {
        h.putShort(offset, (short) value);
    }

    public static void putI32(ByteBuffer h, int offset, int value) {
        h.putInt(offset, value);
    }

    /** A short description for logs and Reject traces: opcode name, ITT, lengths. Allocates. */
    public static String describe(ByteBuffer h) {
        if (h.limit() < dev.lunar.spi.transport.Pdu.BHS_LENGTH) {
            return "truncated BHS (" + h.limit() + " bytes)";
        }
        return Opcode.name(opcode(h)) + (immediate(h) ? " (I)" : "") + " itt=0x" + Integer.toHexString(itt(h))
                + " ahs=" + totalAhsLength(h) * 4 + " dsl=" + dataSegmentLength(h);
    }
}
