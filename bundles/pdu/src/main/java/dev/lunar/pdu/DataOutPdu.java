package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * SCSI Data-Out (opcode 0x05, RFC 7143 §11.7): byte 1 = F; 8 LUN; 16 ITT; 20 TTT (0xffffffff
 * for unsolicited data); 28 ExpStatSN; 36 DataSN; 40 Buffer Offset.
 */
public final class DataOutPdu {

    public static final int OFFSET_DATA_SN = 36;
    public static final int OFFSET_BUFFER_OFFSET = 40;

    private DataOutPdu() {
    }

    public static int dataSn(ByteBuffer h) {
        return h.getInt(OFFSET_DATA_SN);
    }

    /** Buffer Offset, unsigned; offsets over 2 GiB read negative and fail range checks. */
    public static int bufferOffset(ByteBuffer h) {
        return h.getInt(OFFSET_BUFFER_OFFSET);
    }

    public static int expStatSn(ByteBuffer h) {
        return Bhs.expSn(h);
    }
}
