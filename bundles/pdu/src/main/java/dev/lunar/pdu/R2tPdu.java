package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Ready To Transfer (opcode 0x31, RFC 7143 §11.8): byte 1 = 0x80; 8 LUN; 16 ITT; 20 TTT;
 * 24 StatSN (not advanced); 28 ExpCmdSN; 32 MaxCmdSN; 36 R2TSN; 40 Buffer Offset; 44 Desired
 * Data Transfer Length.
 */
public final class R2tPdu extends TargetPduBuilder<R2tPdu> {

    public static final int OFFSET_R2T_SN = 36;
    public static final int OFFSET_BUFFER_OFFSET = 40;
    public static final int OFFSET_DESIRED_LENGTH = 44;

    public R2tPdu() {
        super(Opcode.R2T);
        Bhs.putFlags(header, 0x80);
    }

    public R2tPdu lun(long lun) {
        Bhs.putLun(header, lun);
        return this;
    }

    public R2tPdu ttt(int ttt) {
        Bhs.putTtt(header, ttt);
        return this;
    }

    public R2tPdu r2tSn(int sn) {
        header.putInt(OFFSET_R2T_SN, sn);
        return this;
    }

    public R2tPdu bufferOffset(int offset) {
        header.putInt(OFFSET_BUFFER_OFFSET, offset);
        return this;
    }

    public R2tPdu desiredLength(int length) {
        header.putInt(OFFSET_DESIRED_LENGTH, length);
        return this;
    }

    public static int r2tSn(ByteBuffer h) {
        return h.getInt(OFFSET_R2T_SN);
    }

    public static int bufferOffset(ByteBuffer h) {
        return h.getInt(OFFSET_BUFFER_OFFSET);
    }

    public static int desiredLength(ByteBuffer h) {
        return h.getInt(OFFSET_DESIRED_LENGTH);
    }
}
