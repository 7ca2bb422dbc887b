package dev.lunar.iscsi.internal.login;

import java.util.Objects;

/**
 * CHAP secrets of one target or of discovery (RFC 7143 §12.1.3).
 *
 * @param user name the initiator must send as CHAP_N
 * @param secret secret the initiator proves knowledge of
 * @param mutualUser name the target sends as CHAP_N in mutual CHAP, null when mutual is not configured
 * @param mutualSecret secret the target proves knowledge of, null when mutual is not configured
 */
public record ChapCredentials(String user, byte[] secret, String mutualUser, byte[] mutualSecret) {

    public ChapCredentials {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(secret, "secret");
        if ((mutualUser == null) != (mutualSecret == null)) {
            throw new IllegalArgumentException("mutual CHAP needs both a user and a secret");
        }
    }

    /** One-way CHAP credentials. */
    public ChapCredentials(String user, byte[] secret) {
        this(user, secret, null, null);
    }

    /** The target can answer an initiator's challenge. */
    public boolean mutual() {
        return mutualUser != null;
    }

    @Override
    public String toString() {
        // never print secrets
        return "ChapCredentials[user=" + user + ", mutualUser=" + mutualUser + "]";
    }
}
