package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Login Request (opcode 0x03, always immediate, RFC 7143 §11.12): byte 1 = T C . . CSG(2) NSG(2);
 * 2 Version-max; 3 Version-min; 8-13 ISID; 14 TSIH; 16 ITT; 20 CID; 24 CmdSN; 28 ExpStatSN; the
 * data segment holds text keys.
 */
public final class LoginRequestPdu {

    public static final int FLAG_TRANSIT = 0x80;
    public static final int FLAG_CONTINUE = 0x40;
    public static final int OFFSET_ISID = 8;
    public static final int OFFSET_TSIH = 14;
    public static final int OFFSET_CID = 20;

    private LoginRequestPdu() {
    }

    /** T: the initiator wants to move to NSG. */
    public static boolean transit(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_TRANSIT) != 0;
    }

    /** C: the text is continued in the next PDU. */
    public static boolean continues(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_CONTINUE) != 0;
    }

    /** CSG: 0 security negotiation, 1 operational negotiation, 3 full feature. */
    public static int currentStage(ByteBuffer h) {
        return (Bhs.flags(h) >> 2) & 3;
    }

    public static int nextStage(ByteBuffer h) {
        return Bhs.flags(h) & 3;
    }

    public static int versionMax(ByteBuffer h) {
        return Bhs.u8(h, 2);
    }

    public static int versionMin(ByteBuffer h) {
        return Bhs.u8(h, 3);
    }

    /** The 6-byte ISID as the low 48 bits of a long. */
    public static long isid(ByteBuffer h) {
        return h.getLong(OFFSET_ISID) >>> 16;
    }

    public static int tsih(ByteBuffer h) {
        return Bhs.u16(h, OFFSET_TSIH);
    }

    public static int cid(ByteBuffer h) {
        return Bhs.u16(h, OFFSET_CID);
    }

    public static int cmdSn(ByteBuffer h) {
        return Bhs.sn(h);
    }

    public static int expStatSn(ByteBuffer h) {
        return Bhs.expSn(h);
    }
}
