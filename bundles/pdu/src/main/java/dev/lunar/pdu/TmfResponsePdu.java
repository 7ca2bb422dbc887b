package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Task Management Function Response (opcode 0x22, RFC 7143 §11.6): byte 1 = 0x80; 2 Response;
 * 16 ITT; 24 StatSN; 28 ExpCmdSN; 32 MaxCmdSN.
 */
public final class TmfResponsePdu extends TargetPduBuilder<TmfResponsePdu> {

    /** Response codes (§11.6.1). */
    public static final int FUNCTION_COMPLETE = 0;
    public static final int TASK_DOES_NOT_EXIST = 1;
    public static final int LUN_DOES_NOT_EXIST = 2;
    public static final int TASK_STILL_ALLEGIANT = 3;
    public static final int ALLEGIANCE_REASSIGNMENT_NOT_SUPPORTED = 4;
    public static final int FUNCTION_NOT_SUPPORTED = 5;
    public static final int FUNCTION_AUTHORIZATION_FAILED = 6;
    public static final int FUNCTION_REJECTED = 255;

    public TmfResponsePdu() {
        super(Opcode.TMF_RESPONSE);
        Bhs.putFlags(header, 0x80);
    }

    public TmfResponsePdu response(int response) {
        Bhs.putU8(header, 2, response);
        return this;
    }

    public static int response(ByteBuffer h) {
        return Bhs.u8(h, 2);
    }
}
