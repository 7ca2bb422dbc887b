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
 */
public record InitiatorAcl(String configName, String target, String initiator, ChapCredentials chap) {

    public InitiatorAcl {
        Objects.requireNonNull(configName, "configName");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(initiator, "initiator");
    }
}
