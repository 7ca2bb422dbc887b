package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * NOP-Out (opcode 0x00, RFC 7143 §11.18): 8 LUN; 16 ITT (0xffffffff: no NOP-In wanted, or the
 * answer to a target ping); 20 TTT (echoes a NOP-In's TTT, else 0xffffffff); 24 CmdSN;
 * 28 ExpStatSN; the data segment is ping data to echo.
 */
public final class NopOutPdu {

    private NopOutPdu() {
    }

    public static int cmdSn(ByteBuffer h) {
        return Bhs.sn(h);
    }

    public static int expStatSn(ByteBuffer h) {
        return Bhs.expSn(h);
    }
}
