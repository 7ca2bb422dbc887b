package dev.lunar.pdu;

import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;

/**
 * Structural checks on a PDU received by a target, before any field is trusted. Returns a
 * {@link PduViolation} naming the Reject reason instead of throwing: malformed network input is a
 * value (DESIGN.md §3.7). State-dependent checks (phase, sequence numbers, task tags) belong to the
 * session; this class knows only the PDU.
 */
public final class PduValidator {

    private static final int MIN_VERSION = 0;

    private PduValidator() {
    }

    /**
     * @param pdu the PDU as the transport delivered it
     * @param maxRecvDataSegmentLength the limit we declared (MaxRecvDataSegmentLength); a longer
     *     data segment is a protocol error
     * @return {@code null} when the PDU is well formed
     */
    public static PduViolation validate(Pdu pdu, int maxRecvDataSegmentLength) {
        ByteBuffer h = pdu.header();
        if (h.limit() < Pdu.BHS_LENGTH) {
            return new PduViolation(RejectPdu.PROTOCOL_ERROR, "header of " + h.limit() + " bytes is shorter than a BHS");
        }
        int opcode = Bhs.opcode(h);
        if (Opcode.isTargetOpcode(opcode)) {
            return new PduViolation(RejectPdu.PROTOCOL_ERROR, Opcode.name(opcode) + " is a target opcode");
        }
        if (!Opcode.isInitiatorOpcode(opcode)) {
            // Unassigned and vendor-specific opcodes (0x1c-0x1e): §11.2.1.2 says reject them.
            return new PduViolation(RejectPdu.COMMAND_NOT_SUPPORTED, Opcode.name(opcode) + " is not supported");
        }
        String ahs = Ahs.check(h);
        if (ahs != null) {
            return new PduViolation(RejectPdu.PROTOCOL_ERROR, ahs);
        }
        int dsl = Bhs.dataSegmentLength(h);
        if (dsl != pdu.dataLength()) {
            return new PduViolation(RejectPdu.PROTOCOL_ERROR,
                    "DataSegmentLength " + dsl + " but " + pdu.dataLength() + " data bytes");
        }
        if (dsl > maxRecvDataSegmentLength) {
            return new PduViolation(RejectPdu.PROTOCOL_ERROR,
                    "DataSegmentLength " + dsl + " exceeds MaxRecvDataSegmentLength " + maxRecvDataSegmentLength);
        }
        return checkByOpcode(opcode, h, dsl);
    }

    private static PduViolation checkByOpcode(int opcode, ByteBuffer h, int dsl) {
        PduCheck check = CHECKS[opcode];
        return check == null ? null : check.check(h, dsl);
    }

    @FunctionalInterface
    private interface PduCheck {
        PduViolation check(ByteBuffer h, int dsl);
    }

    // Per-opcode checks, dispatched by table (STYLE rule 14).
    private static final PduCheck[] CHECKS = new PduCheck[Opcode.COUNT];

    static {
        CHECKS[Opcode.SCSI_COMMAND] = PduValidator::checkScsiCommand;
        CHECKS[Opcode.LOGIN_REQUEST] = PduValidator::checkLogin;
        CHECKS[Opcode.TEXT_REQUEST] = (h, dsl) -> Bhs.finalFlag(h) && TextRequestPdu.continues(h)
                ? new PduViolation(RejectPdu.PROTOCOL_ERROR, "Text Request with both F and C set") : null;
        CHECKS[Opcode.LOGOUT_REQUEST] = (h, dsl) -> LogoutRequestPdu.reasonCode(h) > 2
                ? new PduViolation(RejectPdu.INVALID_PDU_FIELD, "Logout reason code " + LogoutRequestPdu.reasonCode(h))
                : null;
        CHECKS[Opcode.DATA_OUT] = (h, dsl) -> DataOutPdu.bufferOffset(h) < 0
                ? new PduViolation(RejectPdu.INVALID_PDU_FIELD, "Data-Out buffer offset beyond 2 GiB") : null;
    }

    private static PduViolation checkScsiCommand(ByteBuffer h, int dsl) {
        if (!Bhs.finalFlag(h) && dsl == 0 && !ScsiCommandPdu.write(h)) {
            // F = 0 announces unsolicited Data-Out, which only a write can have (§11.3.1.1).
            return new PduViolation(RejectPdu.INVALID_PDU_FIELD, "SCSI Command without F bit and without W");
        }
        if (dsl > 0 && !ScsiCommandPdu.write(h)) {
            return new PduViolation(RejectPdu.INVALID_PDU_FIELD, "immediate data on a command without W bit");
        }
        if (ScsiCommandPdu.expectedDataTransferLength(h) < 0) {
            return new PduViolation(RejectPdu.INVALID_PDU_FIELD, "Expected Data Transfer Length beyond 2 GiB");
        }
        if (Ahs.find(h, Ahs.TYPE_EXTENDED_CDB) >= 0 && ScsiCommandPdu.cdb(h) == null) {
            return new PduViolation(RejectPdu.INVALID_PDU_FIELD, "empty Extended CDB AHS");
        }
        return null;
    }

    private static PduViolation checkLogin(ByteBuffer h, int dsl) {
        if (!Bhs.immediate(h)) {
            return new PduViolation(RejectPdu.PROTOCOL_ERROR, "Login Request without the I bit");
        }
        if (LoginRequestPdu.transit(h) && LoginRequestPdu.continues(h)) {
            return new PduViolation(RejectPdu.PROTOCOL_ERROR, "Login Request with both T and C set");
        }
        if (LoginRequestPdu.versionMin(h) > LoginRequestPdu.versionMax(h) || LoginRequestPdu.versionMax(h) < MIN_VERSION) {
            return new PduViolation(RejectPdu.INVALID_PDU_FIELD, "Login Request version range is empty");
        }
        return null;
    }
}
