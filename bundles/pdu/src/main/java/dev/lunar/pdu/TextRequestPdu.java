package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Text Request (opcode 0x04, RFC 7143 §11.10): byte 1 = F C; 8 LUN; 16 ITT; 20 TTT (0xffffffff
 * for a new request, else the TTT of the Text Response being continued); 24 CmdSN; 28 ExpStatSN.
 */
public final class TextRequestPdu {

    public static final int FLAG_CONTINUE = 0x40;

    private TextRequestPdu() {
    }

    /** C: more text follows in the next Text Request. */
    public static boolean continues(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_CONTINUE) != 0;
    }

    public static int cmdSn(ByteBuffer h) {
        return Bhs.sn(h);
    }

    public static int expStatSn(ByteBuffer h) {
        return Bhs.expSn(h);
    }
}
