package dev.lunar.pdu;

/**
 * Why a received PDU cannot be processed: the Reject reason to answer with (RFC 7143 §11.17.1)
 * and a sentence for the log.
 *
 * @param rejectReason one of the {@link RejectPdu} reason codes
 * @param message what is wrong, naming the field
 */
public record PduViolation(int rejectReason, String message) {
}
