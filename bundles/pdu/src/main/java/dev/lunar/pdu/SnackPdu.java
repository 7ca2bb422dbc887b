package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * SNACK Request (opcode 0x10, RFC 7143 §11.16): byte 1 = 1 . . . Type(4); 8 LUN; 16 ITT; 20 TTT;
 * 28 ExpStatSN; 40 BegRun; 44 RunLength. Only meaningful at ErrorRecoveryLevel > 0.
 */
public final class SnackPdu {

    private SnackPdu() {
    }

    /** 0 Data/R2T, 1 Status, 2 DataACK, 3 R-Data. */
    public static int type(ByteBuffer h) {
        return Bhs.flags(h) & 0x0f;
    }

    public static int begRun(ByteBuffer h) {
        return h.getInt(40);
    }

    public static int runLength(ByteBuffer h) {
        return h.getInt(44);
    }
}
