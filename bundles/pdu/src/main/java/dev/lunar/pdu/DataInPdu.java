package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * SCSI Data-In (opcode 0x25, RFC 7143 §11.7): byte 1 = F A 0 0 0 O U S; 3 Status (with S);
 * 8 LUN (with A); 16 ITT; 20 TTT; 24 StatSN (with S); 28 ExpCmdSN; 32 MaxCmdSN; 36 DataSN;
 * 40 Buffer Offset; 44 Residual Count (with S).
 */
public final class DataInPdu extends TargetPduBuilder<DataInPdu> {

    public static final int FLAG_FINAL = 0x80;
    public static final int FLAG_ACK = 0x40;
    public static final int FLAG_OVERFLOW = 0x04;
    public static final int FLAG_UNDERFLOW = 0x02;
    public static final int FLAG_STATUS = 0x01;
    public static final int OFFSET_DATA_SN = 36;
    public static final int OFFSET_BUFFER_OFFSET = 40;
    public static final int OFFSET_RESIDUAL = 44;

    public DataInPdu() {
        super(Opcode.DATA_IN);
        Bhs.putTtt(header, Bhs.RESERVED_TAG);
    }

    public DataInPdu finalFlag(boolean on) {
        return flag(FLAG_FINAL, on);
    }

    /**
     * S: the PDU carries the command's status (§11.7.3 "status collapse"); implies F. StatSN must be
     * set too.
     */
    public DataInPdu status(int status) {
        flag(FLAG_STATUS | FLAG_FINAL, true);
        Bhs.putU8(header, 3, status);
        return this;
    }

    public DataInPdu residual(boolean overflow, int count) {
        flag(FLAG_OVERFLOW, count != 0 && overflow);
        flag(FLAG_UNDERFLOW, count != 0 && !overflow);
        header.putInt(OFFSET_RESIDUAL, count);
        return this;
    }

    public DataInPdu dataSn(int dataSn) {
        header.putInt(OFFSET_DATA_SN, dataSn);
        return this;
    }

    public DataInPdu bufferOffset(int offset) {
        header.putInt(OFFSET_BUFFER_OFFSET, offset);
        return this;
    }

    public DataInPdu lun(long lun) {
        Bhs.putLun(header, lun);
        return this;
    }

    // Views, for initiator-side tests and traces.

    public static boolean hasStatus(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_STATUS) != 0;
    }

    public static int status(ByteBuffer h) {
        return Bhs.u8(h, 3);
    }

    public static int dataSn(ByteBuffer h) {
        return h.getInt(OFFSET_DATA_SN);
    }

    public static int bufferOffset(ByteBuffer h) {
        return h.getInt(OFFSET_BUFFER_OFFSET);
    }

    public static int residualCount(ByteBuffer h) {
        return h.getInt(OFFSET_RESIDUAL);
    }

    public static boolean overflow(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_OVERFLOW) != 0;
    }

    public static boolean underflow(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_UNDERFLOW) != 0;
    }
}
