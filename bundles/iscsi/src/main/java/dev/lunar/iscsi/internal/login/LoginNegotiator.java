package dev.lunar.iscsi.internal.login;

import java.security.SecureRandom;
import java.util.Objects;

/**
 * Target side of the iSCSI login phase for one connection (RFC 7143 §6): stages, authentication
 * (CHAP, §12.1.3) and operational negotiation (§13). Pure logic: the session layer decodes Login
 * Requests, calls {@link #handle} and sends what it returns.
 *
 * <p>Not thread-safe: called by the connection's login thread, one request at a time. Never blocks
 * and never throws on malformed input: bad input ends in a failure status.
 */
public final class LoginNegotiator {

    private final LoginContext ctx;
    private final SecureRandom random;

    public LoginNegotiator(LoginContext ctx, SecureRandom random) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** Handles one Login Request and says what to answer and what to do next. */
    public LoginStep handle(LoginRequest request) {
        throw new UnsupportedOperationException("login negotiation is being written");
    }
}
