package dev.lunar.iscsi.internal.login;

import java.security.MessageDigest;
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
        if (secret.length == 0) {
            throw new IllegalArgumentException("CHAP secret of " + user + " is empty");
        }
        if (mutualSecret != null && MessageDigest.isEqual(secret, mutualSecret)) {
            // RFC 7143 §12.1.3: a secret authenticating initiators must never authenticate targets,
            // or a reflected exchange proves nothing
            throw new IllegalArgumentException("the mutual CHAP secret must differ from the initiator's secret");
        }
        secret = secret.clone();
        mutualSecret = mutualSecret == null ? null : mutualSecret.clone();
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
