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
 */
public record TargetConfig(String iqn, String alias, AuthConfig auth, String redirectAddress,
        boolean redirectPermanent) {

    public TargetConfig {
        Objects.requireNonNull(iqn, "iqn");
        if (auth == null) {
            auth = AuthConfig.none();
        }
    }

    /** A plain target: no alias, default authentication policy, no redirect. */
    public static TargetConfig of(String iqn) {
        return new TargetConfig(iqn, null, AuthConfig.none(), null, false);
    }
}
