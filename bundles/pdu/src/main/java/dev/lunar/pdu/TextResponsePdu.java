package dev.lunar.pdu;

/**
 * Text Response (opcode 0x24, RFC 7143 §11.11): byte 1 = F C; 8 LUN; 16 ITT; 20 TTT (0xffffffff
 * when final, else a tag the initiator echoes to fetch the rest); 24 StatSN; 28 ExpCmdSN;
 * 32 MaxCmdSN.
 */
public final class TextResponsePdu extends TargetPduBuilder<TextResponsePdu> {

    public TextResponsePdu() {
        super(Opcode.TEXT_RESPONSE);
        Bhs.putTtt(header, Bhs.RESERVED_TAG);
    }

    public TextResponsePdu finalFlag(boolean on) {
        return flag(0x80, on);
    }

    public TextResponsePdu continues(boolean on) {
        return flag(TextRequestPdu.FLAG_CONTINUE, on);
    }

    public TextResponsePdu ttt(int ttt) {
        Bhs.putTtt(header, ttt);
        return this;
    }

    public TextResponsePdu lun(long lun) {
        Bhs.putLun(header, lun);
        return this;
    }
}
