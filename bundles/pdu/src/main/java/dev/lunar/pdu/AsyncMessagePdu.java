package dev.lunar.pdu;

import java.nio.ByteBuffer;

/**
 * Asynchronous Message (opcode 0x32, RFC 7143 §11.9): byte 1 = 0x80; 8 LUN; 16 ITT = 0xffffffff;
 * 24 StatSN (advanced); 28 ExpCmdSN; 32 MaxCmdSN; 36 AsyncEvent; 37 AsyncVCode; 38 Parameter1;
 * 40 Parameter2; 42 Parameter3. For event 0 the data segment holds sense data (with SenseLength).
 */
public final class AsyncMessagePdu extends TargetPduBuilder<AsyncMessagePdu> {

    /** AsyncEvent codes (§11.9.1). */
    public static final int EVENT_SCSI = 0;
    public static final int EVENT_LOGOUT_REQUESTED = 1;
    public static final int EVENT_CONNECTION_DROPPED = 2;
    public static final int EVENT_SESSION_DROPPED = 3;
    public static final int EVENT_NEGOTIATION_REQUESTED = 4;
    public static final int EVENT_TASK_TERMINATION = 5;
    public static final int EVENT_VENDOR = 255;

    public AsyncMessagePdu() {
        super(Opcode.ASYNC_MESSAGE);
        Bhs.putFlags(header, 0x80);
        Bhs.putItt(header, Bhs.RESERVED_TAG);
    }

    public AsyncMessagePdu lun(long lun) {
        Bhs.putLun(header, lun);
        return this;
    }

    public AsyncMessagePdu event(int event) {
        Bhs.putU8(header, 36, event);
        return this;
    }

    /** Parameter1..3: for LOGOUT_REQUESTED, Parameter3 is the seconds the initiator has to log out. */
    public AsyncMessagePdu parameters(int p1, int p2, int p3) {
        Bhs.putU16(header, 38, p1);
        Bhs.putU16(header, 40, p2);
        Bhs.putU16(header, 42, p3);
        return this;
    }

    public static int event(ByteBuffer h) {
        return Bhs.u8(h, 36);
    }
}
