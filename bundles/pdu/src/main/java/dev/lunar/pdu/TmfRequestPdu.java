package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Task Management Function Request (opcode 0x02, RFC 7143 §11.5): byte 1 = 1 + function (7 bits);
 * 8 LUN; 16 ITT; 20 Referenced Task Tag; 24 CmdSN; 28 ExpStatSN; 32 RefCmdSN; 36 ExpDataSN.
 */
public final class TmfRequestPdu {

    public static final int OFFSET_REFERENCED_TAG = 20;
    public static final int OFFSET_REF_CMD_SN = 32;
    public static final int OFFSET_EXP_DATA_SN = 36;

    private TmfRequestPdu() {
    }

    /** The function code (TaskManagementFunction.code()). */
    public static int function(ByteBuffer h) {
        return Bhs.flags(h) & 0x7f;
    }

    public static int referencedTaskTag(ByteBuffer h) {
        return h.getInt(OFFSET_REFERENCED_TAG);
    }

    public static int cmdSn(ByteBuffer h) {
        return Bhs.sn(h);
    }

    public static int expStatSn(ByteBuffer h) {
        return Bhs.expSn(h);
    }

    public static int refCmdSn(ByteBuffer h) {
        return h.getInt(OFFSET_REF_CMD_SN);
    }

    public static int expDataSn(ByteBuffer h) {
        return h.getInt(OFFSET_EXP_DATA_SN);
    }
}
