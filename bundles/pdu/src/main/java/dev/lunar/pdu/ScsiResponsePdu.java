package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * SCSI Response (opcode 0x21, RFC 7143 §11.4): byte 1 = 1 . . o u O U .; 2 Response; 3 Status;
 * 16 ITT; 20 SNACK Tag; 24 StatSN; 28 ExpCmdSN; 32 MaxCmdSN; 36 ExpDataSN; 40 Bidirectional Read
 * Residual Count; 44 Residual Count. Sense data goes in the data segment behind a 2-byte
 * SenseLength (§11.4.7).
 */
public final class ScsiResponsePdu extends TargetPduBuilder<ScsiResponsePdu> {

    /** Response: command completed at target (§11.4.3). */
    public static final int RESPONSE_COMPLETED = 0x00;
    /** Response: target failure. */
    public static final int RESPONSE_TARGET_FAILURE = 0x01;

    public static final int FLAG_BIDI_OVERFLOW = 0x10;
    public static final int FLAG_BIDI_UNDERFLOW = 0x08;
    public static final int FLAG_OVERFLOW = 0x04;
    public static final int FLAG_UNDERFLOW = 0x02;
    public static final int OFFSET_EXP_DATA_SN = 36;
    public static final int OFFSET_BIDI_RESIDUAL = 40;
    public static final int OFFSET_RESIDUAL = 44;

    public ScsiResponsePdu() {
        super(Opcode.SCSI_RESPONSE);
        Bhs.putFlags(header, 0x80);
    }

    public ScsiResponsePdu response(int response) {
        Bhs.putU8(header, 2, response);
        return this;
    }

    public ScsiResponsePdu status(int status) {
        Bhs.putU8(header, 3, status);
        return this;
    }

    /** ExpDataSN: the number of Data-In PDUs (R2Ts for a write) sent for the command. */
    public ScsiResponsePdu expDataSn(int n) {
        header.putInt(OFFSET_EXP_DATA_SN, n);
        return this;
    }

    /** Residual Count with the O (overflow) or U (underflow) bit; 0 clears both. */
    public ScsiResponsePdu residual(boolean overflow, int count) {
        flag(FLAG_OVERFLOW, count != 0 && overflow);
        flag(FLAG_UNDERFLOW, count != 0 && !overflow);
        header.putInt(OFFSET_RESIDUAL, count);
        return this;
    }

    /** Bidirectional Read Residual Count with the o or u bit. */
    public ScsiResponsePdu bidiResidual(boolean overflow, int count) {
        flag(FLAG_BIDI_OVERFLOW, count != 0 && overflow);
        flag(FLAG_BIDI_UNDERFLOW, count != 0 && !overflow);
        header.putInt(OFFSET_BIDI_RESIDUAL, count);
        return this;
    }

    // Views, for initiator-side tests and traces.

    public static int response(ByteBuffer h) {
        return Bhs.u8(h, 2);
    }

    public static int status(ByteBuffer h) {
        return Bhs.u8(h, 3);
    }

    public static boolean overflow(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_OVERFLOW) != 0;
    }

    public static boolean underflow(ByteBuffer h) {
        return (Bhs.flags(h) & FLAG_UNDERFLOW) != 0;
    }

    public static int residualCount(ByteBuffer h) {
        return h.getInt(OFFSET_RESIDUAL);
    }

    public static int expDataSn(ByteBuffer h) {
        return h.getInt(OFFSET_EXP_DATA_SN);
    }
}
