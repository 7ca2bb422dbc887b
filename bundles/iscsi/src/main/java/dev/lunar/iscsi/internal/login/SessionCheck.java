package dev.lunar.iscsi.internal.login;

/**
 * The session layer's answer to "may this login join / start the session named by ISID and TSIH?"
 * ({@link LoginContext#checkSession}). The negotiator maps each answer to a Login status
 * (RFC 7143 §11.13.5); it does not know the session table itself.
 */
public enum SessionCheck {
    /** TSIH 0: a new session (or a reinstatement the session layer handles at full feature phase). */
    NEW_SESSION(LoginResponse.SUCCESS),
    /** TSIH names an existing session of this initiator and the connection may be added to it. */
    ADD_CONNECTION(LoginResponse.SUCCESS),
    /** TSIH non-zero but no such session (0x020a). */
    SESSION_DOES_NOT_EXIST(LoginResponse.SESSION_DOES_NOT_EXIST),
    /** The session already has MaxConnections connections (0x0206). */
    TOO_MANY_CONNECTIONS(LoginResponse.TOO_MANY_CONNECTIONS),
    /** The session exists but this connection cannot join it, e.g. another initiator or target (0x0208). */
    CANT_INCLUDE(LoginResponse.CANT_INCLUDE_IN_SESSION),
    /** No room for another session or connection (0x0302). */
    OUT_OF_RESOURCES(LoginResponse.OUT_OF_RESOURCES);

    private final int status;

    SessionCheck(int status) {
        this.status = status;
    }

    /** Login status code ({@code class << 8 | detail}) this answer maps to. */
    public int status() {
        return status;
    }

    /** The login may go on. */
    public boolean accepted() {
        return status == LoginResponse.SUCCESS;
    }
}
