package dev.lunar.iscsi.internal.login;

/**
 * Ends a login with a non-success status (RFC 7143 §11.13.5). Thrown inside the negotiator only;
 * {@link LoginNegotiator#handle} turns it into a final Login Response and never lets it escape.
 * No stack trace: it is control flow for bad input from the network, not a bug.
 */
final class LoginFailure extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    LoginFailure(int status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    /** Status code, {@code class << 8 | detail}. */
    int status() {
        return status;
    }
}
