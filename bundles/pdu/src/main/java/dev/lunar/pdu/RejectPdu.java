package dev.lunar.pdu;

import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;

/**
 * Reject (opcode 0x3f, RFC 7143 §11.17): byte 1 = 0x80; 2 Reason; 16 ITT = 0xffffffff; 24 StatSN
 * (advanced); 28 ExpCmdSN; 32 MaxCmdSN; 36 DataSN/R2TSN; the data segment is the complete header
 * (BHS and AHS) of the rejected PDU.
 */
public final class RejectPdu extends TargetPduBuilder<RejectPdu> {

    /** Reason codes (§11.17.1). */
    public static final int DATA_DIGEST_ERROR = 0x02;
    public static final int SNACK_REJECT = 0x03;
    public static final int PROTOCOL_ERROR = 0x04;
    public static final int COMMAND_NOT_SUPPORTED = 0x05;
    public static final int IMMEDIATE_COMMAND_REJECT = 0x06;
    public static final int TASK_IN_PROGRESS = 0x07;
    public static final int INVALID_DATA_ACK = 0x08;
    public static final int INVALID_PDU_FIELD = 0x09;
    public static final int LONG_OPERATION_REJECT = 0x0a;
    public static final int DEPRECATED = 0x0b;
    public static final int WAITING_FOR_LOGOUT = 0x0c;

    public RejectPdu() {
        super(Opcode.REJECT);
        Bhs.putFlags(header, 0x80);
        Bhs.putItt(header, Bhs.RESERVED_TAG);
    }

    public RejectPdu reason(int reason) {
        Bhs.putU8(header, 2, reason);
        return this;
    }

    public RejectPdu dataSn(int sn) {
        header.putInt(36, sn);
        return this;
    }

    /**
     * The Reject carrying a copy of {@code rejectedHeader} (its whole limit from index 0: BHS and
     * AHS) as data. Allocates one heap buffer; rejects are rare.
     */
    public Pdu toPdu(ByteBuffer rejectedHeader) {
        int n = rejectedHeader.limit();
        byte[] copy = new byte[n];
        rejectedHeader.get(0, copy, 0, n);
        return toPdu(DataBuffers.wrap(copy));
    }

    public static int reason(ByteBuffer h) {
        return Bhs.u8(h, 2);
    }
}
