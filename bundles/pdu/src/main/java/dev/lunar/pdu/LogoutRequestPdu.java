package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Logout Request (opcode 0x06, RFC 7143 §11.14): byte 1 = 1 + reason code (7 bits); 16 ITT;
 * 20 CID; 24 CmdSN; 28 ExpStatSN.
 */
public final class LogoutRequestPdu {

    public static final int REASON_CLOSE_SESSION = 0;
    public static final int REASON_CLOSE_CONNECTION = 1;
    public static final int REASON_REMOVE_CONNECTION_FOR_RECOVERY = 2;
    public static final int OFFSET_CID = 20;

    private LogoutRequestPdu() {
    }

    public static int reasonCode(ByteBuffer h) {
        return Bhs.flags(h) & 0x7f;
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
