package dev.lunar.pdu.text;

/**
 * Text from the network breaks RFC 7143 §6.1. The caller turns it into a login failure
 * (initiator error) or a Reject; it never escapes a thread.
 */
public final class TextFormatException extends Exception {

    private static final long serialVersionUID = 1L;

    /** What was wrong, for callers that answer differently per cause and for tests. */
    public enum Reason {
        /** A pair without '=', without a terminating NUL, or an empty key. */
        MALFORMED,
        /** A key name with characters outside RFC 7143 §6.1 or longer than 63 bytes. */
        BAD_KEY_NAME,
        /** A value longer than allowed. */
        VALUE_TOO_LONG,
        /** Bytes that are not well-formed UTF-8. */
        NOT_UTF8,
        /** The same key twice in one negotiation. */
        DUPLICATE_KEY,
        /** More bytes than the caller's limit. */
        TOO_LARGE,
        /** More pairs than the caller's limit. */
        TOO_MANY_KEYS,
        /** A value that is not a valid number, binary value or list. */
        BAD_VALUE
    }

    private final Reason reason;

    public TextFormatException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
