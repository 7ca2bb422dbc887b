package dev.lunar.iscsi.internal.login;

import java.util.Objects;

/**
 * What login needs to know about one configured target.
 *
 * @param iqn target name
 * @param alias TargetAlias sent during login, null for none
 * @param auth authentication policy, never null ({@link AuthConfig#none()} for the default)
 * @param redirectAddress null for none; {@code "host:port"} answers every login with a redirection
 *     (RFC 7143 §11.13.5 class 1) and this TargetAddress (a {@code ",tpgt"} suffix is dropped: §13.8
 *     forbids it in redirections)
 * @param redirectPermanent 0x0102 (moved permanently) instead of 0x0101 (moved temporarily)
 * @param access the live access control table the target's ACL entries are looked up in; null
 *     when none is wired (the target then admits every initiator that authenticates)
 */
public record TargetConfig(String iqn, String alias, AuthConfig auth, String redirectAddress,
        boolean redirectPermanent, AccessControl access) {

    public TargetConfig {
        Objects.requireNonNull(iqn, "iqn");
        if (auth == null) {
            auth = AuthConfig.none();
        }
    }

    /** A target without access control table. */
    public TargetConfig(String iqn, String alias, AuthConfig auth, String redirectAddress,
            boolean redirectPermanent) {
        this(iqn, alias, auth, redirectAddress, redirectPermanent, null);
    }

    /** A plain target: no alias, default authentication policy, no redirect. */
    public static TargetConfig of(String iqn) {
        return new TargetConfig(iqn, null, AuthConfig.none(), null, false);
    }

    /**
     * Whether {@code initiatorName} may log in, and with which CHAP credentials, as the ACL
     * entries say right now. Any thread.
     */
    public AccessControl.Admission admission(String initiatorName) {
        return access == null ? AccessControl.Admission.OPEN : access.admission(iqn, initiatorName);
    }

    /**
     * The authentication policy for one admitted initiator: its ACL entry's CHAP credentials,
     * when it has some, replace the target's and make CHAP required for it; otherwise the target's
     * own policy. The target's explicit {@code insecure} opt-out is kept.
     */
    public AuthConfig authFor(AccessControl.Admission admission) {
        ChapCredentials chap = admission.chap();
        return chap == null ? auth : new AuthConfig(true, chap, auth.insecureAllowed());
    }
}
