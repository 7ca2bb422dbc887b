package dev.lunar.iscsi.internal.login;

/**
 * Authentication policy of one target or of discovery sessions. Secure by default
 * (DESIGN §3.7): a loopback portal may run without CHAP; on any other portal CHAP is required unless
 * {@code insecureAllowed}.
 *
 * @param chapRequired CHAP is required even on a loopback portal
 * @param credentials secrets, null when none are configured
 * @param insecureAllowed the admin explicitly allows logins without CHAP on non-loopback portals
 */
public record AuthConfig(boolean chapRequired, ChapCredentials credentials, boolean insecureAllowed) {

    private static final AuthConfig NONE = new AuthConfig(false, null, false);

    /** No CHAP configured, default policy (loopback only without authentication). */
    public static AuthConfig none() {
        return NONE;
    }

    /** CHAP required with these credentials. */
    public static AuthConfig chap(ChapCredentials credentials) {
        return new AuthConfig(true, credentials, false);
    }

    /** Whether a login through a portal ({@code loopback} or not) must authenticate with CHAP. */
    public boolean requiresChap(boolean loopbackPortal) {
        return chapRequired || (!loopbackPortal && !insecureAllowed);
    }
}
