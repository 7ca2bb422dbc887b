package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Login Response (opcode 0x23, RFC 7143 §11.13): byte 1 = T C . . CSG NSG; 2 Version-max;
 * 3 Version-active; 8-13 ISID; 14 TSIH; 16 ITT; 24 StatSN; 28 ExpCmdSN; 32 MaxCmdSN;
 * 36 Status-Class; 37 Status-Detail; text keys in the data segment.
 */
public final class LoginResponsePdu extends TargetPduBuilder<LoginResponsePdu> {

    public static final int OFFSET_STATUS_CLASS = 36;
    public static final int OFFSET_STATUS_DETAIL = 37;

    public LoginResponsePdu() {
        super(Opcode.LOGIN_RESPONSE);
    }

    public LoginResponsePdu transit(boolean on) {
        return flag(LoginRequestPdu.FLAG_TRANSIT, on);
    }

    public LoginResponsePdu continues(boolean on) {
        return flag(LoginRequestPdu.FLAG_CONTINUE, on);
    }

    public LoginResponsePdu stages(int current, int next) {
        int f = Bhs.flags(header) & 0xf0;
        Bhs.putFlags(header, f | (current & 3) << 2 | (next & 3));
        return this;
    }

    public LoginResponsePdu versions(int max, int active) {
        Bhs.putU8(header, 2, max);
        Bhs.putU8(header, 3, active);
        return this;
    }

    /** The 48-bit ISID. */
    public LoginResponsePdu isid(long isid) {
        for (int i = 0; i < 6; i++) {
            header.put(LoginRequestPdu.OFFSET_ISID + i, (byte) (isid >>> (40 - 8 * i)));
        }
        return this;
    }

    public LoginResponsePdu tsih(int tsih) {
        Bhs.putU16(header, LoginRequestPdu.OFFSET_TSIH, tsih);
        return this;
    }

    /** Status-Class and Status-Detail (§11.13.5), e.g. 0x02/0x01 authentication failure. */
    public LoginResponsePdu status(int statusClass, int statusDetail) {
        Bhs.putU8(header, OFFSET_STATUS_CLASS, statusClass);
        Bhs.putU8(header, OFFSET_STATUS_DETAIL, statusDetail);
        return this;
    }

    public static int statusClass(ByteBuffer h) {
        return Bhs.u8(h, OFFSET_STATUS_CLASS);
    }

    public static int statusDetail(ByteBuffer h) {
        return Bhs.u8(h, OFFSET_STATUS_DETAIL);
    }

    public static int tsih(ByteBuffer h) {
        return Bhs.u16(h, LoginRequestPdu.OFFSET_TSIH);
    }
}
