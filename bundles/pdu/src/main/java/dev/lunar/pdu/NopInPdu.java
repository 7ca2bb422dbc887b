package dev.lunar.pdu;

/**
 * NOP-In (opcode 0x20, RFC 7143 §11.19): an answer to a NOP-Out (ITT echoed, TTT 0xffffffff,
 * ping data echoed) or a target ping (ITT 0xffffffff, a TTT the initiator echoes; StatSN is not
 * advanced). Byte 1 = 0x80; 8 LUN; 16 ITT; 20 TTT; 24 StatSN; 28 ExpCmdSN; 32 MaxCmdSN.
 */
public final class NopInPdu extends TargetPduBuilder<NopInPdu> {

    public NopInPdu() {
        super(Opcode.NOP_IN);
        Bhs.putFlags(header, 0x80);
    }

    public NopInPdu ttt(int ttt) {
        Bhs.putTtt(header, ttt);
        return this;
    }

    public NopInPdu lun(long lun) {
        Bhs.putLun(header, lun);
        return this;
    }
}
