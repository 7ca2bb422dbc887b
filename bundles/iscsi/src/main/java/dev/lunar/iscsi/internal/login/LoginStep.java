package dev.lunar.iscsi.internal.login;

import java.util.Objects;

/**
 * The negotiator's answer to one Login Request.
 *
 * @param response the Login Response to send
 * @param outcome what the session layer does after sending it
 * @param parameters negotiated values, set exactly when {@code outcome == FULL_FEATURE}
 */
public record LoginStep(LoginResponse response, Outcome outcome, SessionParameters parameters) {

    public LoginStep {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(outcome, "outcome");
        if ((outcome == Outcome.FULL_FEATURE) != (parameters != null)) {
            throw new IllegalArgumentException("parameters are set exactly when the outcome is FULL_FEATURE");
        }
    }

    /** What happens after the response is sent. */
    public enum Outcome {
        /** Login goes on: wait for the next Login Request. */
        CONTINUE,
        /** The response transits to full feature phase: start the session with {@code parameters}. */
        FULL_FEATURE,
        /** The response carries a failure status: send it, then close the connection. */
        FAILED
    }
}
