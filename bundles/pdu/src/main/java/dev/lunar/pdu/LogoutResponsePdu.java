package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Logout Response (opcode 0x26, RFC 7143 §11.15): byte 1 = 0x80; 2 Response; 16 ITT; 24 StatSN;
 * 28 ExpCmdSN; 32 MaxCmdSN; 40 Time2Wait; 42 Time2Retain.
 */
public final class LogoutResponsePdu extends TargetPduBuilder<LogoutResponsePdu> {

    /** Response codes (§11.15.1). */
    public static final int CLOSED_SUCCESSFULLY = 0;
    public static final int CID_NOT_FOUND = 1;
    public static final int RECOVERY_NOT_SUPPORTED = 2;
    public static final int CLEANUP_FAILED = 3;

    public LogoutResponsePdu() {
        super(Opcode.LOGOUT_RESPONSE);
        Bhs.putFlags(header, 0x80);
    }

    public LogoutResponsePdu response(int response) {
        Bhs.putU8(header, 2, response);
        return this;
    }

    public LogoutResponsePdu time2Wait(int seconds) {
        Bhs.putU16(header, 40, seconds);
        return this;
    }

    public LogoutResponsePdu time2Retain(int seconds) {
        Bhs.putU16(header, 42, seconds);
        return this;
    }

    public static int response(ByteBuffer h) {
        return Bhs.u8(h, 2);
    }
}
