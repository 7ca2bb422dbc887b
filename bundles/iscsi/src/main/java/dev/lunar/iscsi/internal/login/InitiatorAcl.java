package dev.lunar.iscsi.internal.login;

import java.util.Objects;

/**
 * The login half of one access control entry ({@code dev.lunar.acl} configuration): initiator
 * {@code initiator} may log in to target {@code target}, authenticating with {@code chap} when
 * given. LUN masking and read-only access are the SCSI core's half of the same configuration.
 *
 * @param configName name of the ACL configuration; when two configurations name the same target
 *     and initiator, the one whose name sorts first applies (the SCSI core follows the same rule)
 * @param target target IQN, compared case-insensitively
 * @param initiator initiator IQN, compared case-insensitively
 * @param chap CHAP credentials this initiator must use instead of the target's, null to use the
 *     target's policy and credentials
 * @param admits false for a broken entry: it still restricts the target, but admits nobody, not
 *     even its own initiator, until it is fixed (failing closed)
 */
public record InitiatorAcl(String configName, String target, String initiator, ChapCredentials chap,
        boolean admits) {

    public InitiatorAcl {
        Objects.requireNonNull(configName, "configName");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(initiator, "initiator");
    }

    /** An entry that admits its initiator. */
    public InitiatorAcl(String configName, String target, String initiator, ChapCredentials chap) {
        this(configName, target, initiator, chap, true);
    }
}
