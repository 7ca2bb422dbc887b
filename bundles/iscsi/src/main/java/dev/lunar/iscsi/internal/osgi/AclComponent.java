package dev.lunar.iscsi.internal.osgi;

import dev.lunar.api.ConfigPids;
import dev.lunar.iscsi.internal.login.AccessControl;
import dev.lunar.iscsi.internal.login.ChapCredentials;
import dev.lunar.iscsi.internal.login.InitiatorAcl;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login half of one {@value ConfigPids#ACL} factory configuration: initiator
 * {@value ConfigPids#ACL_INITIATOR} may log in to target {@value ConfigPids#ACL_TARGET}, with its
 * own CHAP credentials ({@value ConfigPids#CHAP_USER}, {@value ConfigPids#CHAP_SECRET}, mutual:
 * {@value ConfigPids#MUTUAL_USER}, {@value ConfigPids#MUTUAL_SECRET}) replacing the target's when
 * given. The scsi bundle consumes the same configuration for {@value ConfigPids#ACL_LUNS} and
 * {@value ConfigPids#ACL_READ_ONLY}.
 *
 * <p>Live ({@code @Modified}): changes apply to the next login. Removing or narrowing an entry
 * never ends a running session; kill it ({@code lunar:session-kill}, {@code TargetService.killSession})
 * to make the initiator log in again under the new rules.
 */
@Component(configurationPid = ConfigPids.ACL, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
@Designate(ocd = AclComponent.Config.class, factory = true)
public final class AclComponent {

    private static final Logger LOG = LoggerFactory.getLogger(AclComponent.class);

    /** Metatype for admin tools (both bundles read these keys); the component reads raw properties. */
    @ObjectClassDefinition(name = "Lunar access control entry",
            description = "Which initiator may log in to a target, which LUNs it sees, read-only (factory)")
    @interface Config {
        @AttributeDefinition(description = "Target IQN")
        String target();

        @AttributeDefinition(description = "Initiator IQN admitted to the target")
        String initiator();

        @AttributeDefinition(required = false, description = "Comma-separated LUNs it sees (empty: all)")
        String luns() default "";

        @AttributeDefinition(description = "Every LUN is read-only for this initiator")
        boolean readOnly() default false;

        @AttributeDefinition(required = false, description = "CHAP user this initiator must present "
                + "(replaces the target's CHAP for it)")
        String chapUser() default "";

        @AttributeDefinition(required = false, type = AttributeType.PASSWORD, description = "CHAP secret")
        String chapSecret() default "";

        @AttributeDefinition(required = false, description = "User the target presents in mutual CHAP")
        String mutualUser() default "";

        @AttributeDefinition(required = false, type = AttributeType.PASSWORD, description = "Mutual CHAP secret")
        String mutualSecret() default "";
    }

    private final AccessControl table;
    private volatile String name;

    @Activate
    public AclComponent(@Reference AccessControlComponent acls, Map<String, Object> properties) {
        this(acls.table(), properties);
    }

    AclComponent(AccessControl table, Map<String, Object> properties) {
        this.table = table;
        InitiatorAcl acl = parseFailClosed(properties);
        table.put(acl);
        name = acl.configName();
        LOG.info("ACL {}: {} may log in to {}{}", acl.configName(), acl.initiator(), acl.target(),
                acl.chap() == null ? "" : " with its own CHAP user " + acl.chap().user());
    }

    /** New rules for the next login; running sessions stay (STYLE rule 8). */
    @Modified
    void modified(Map<String, Object> properties) {
        InitiatorAcl acl = parseFailClosed(properties);
        table.put(acl);
        LOG.info("ACL {} changed: {} may log in to {}{}", acl.configName(), acl.initiator(), acl.target(),
                acl.chap() == null ? "" : " with its own CHAP user " + acl.chap().user());
    }

    @Deactivate
    void deactivate() {
        table.remove(name);
        LOG.info("ACL {} removed; sessions it admitted keep running until they end or are killed", name);
    }

    /**
     * As {@link #parse}, but an entry that names its target and initiator and has unusable CHAP
     * keys still restricts the target and admits nobody until fixed. Failing the component instead
     * would leave a target whose only ACL it is open to every initiator (DESIGN §3.7).
     *
     * @throws IllegalArgumentException when the target or initiator is missing (nothing to restrict)
     */
    static InitiatorAcl parseFailClosed(Map<String, ?> p) {
        try {
            return parse(p);
        } catch (IllegalArgumentException e) {
            String target = string(p, ConfigPids.ACL_TARGET);
            String initiator = string(p, ConfigPids.ACL_INITIATOR);
            if (target == null || initiator == null) {
                throw e;
            }
            LOG.error("{}; until it is fixed, {} admits nobody from this entry, {} included", e.getMessage(),
                    target, initiator);
            return new InitiatorAcl(TargetComponent.configName(castMap(p)), target, initiator, null, false);
        }
    }

    /**
     * Reads the login keys of {@link ConfigPids#ACL}; secrets never appear in messages.
     *
     * @throws IllegalArgumentException with a sentence an admin can act on
     */
    static InitiatorAcl parse(Map<String, ?> p) {
        String name = TargetComponent.configName(castMap(p));
        String target = string(p, ConfigPids.ACL_TARGET);
        String initiator = string(p, ConfigPids.ACL_INITIATOR);
        if (target == null || initiator == null) {
            throw new IllegalArgumentException("ACL configuration " + name + " needs '" + ConfigPids.ACL_TARGET
                    + "' (a target IQN) and '" + ConfigPids.ACL_INITIATOR + "' (an initiator IQN)");
        }
        String user = string(p, ConfigPids.CHAP_USER);
        String secret = string(p, ConfigPids.CHAP_SECRET);
        String mutualUser = string(p, ConfigPids.MUTUAL_USER);
        String mutualSecret = string(p, ConfigPids.MUTUAL_SECRET);
        if ((user == null) != (secret == null)) {
            throw new IllegalArgumentException("ACL configuration " + name + ": set both '" + ConfigPids.CHAP_USER
                    + "' and '" + ConfigPids.CHAP_SECRET + "', or neither");
        }
        if ((mutualUser == null) != (mutualSecret == null) || (mutualUser != null && user == null)) {
            throw new IllegalArgumentException("ACL configuration " + name + ": mutual CHAP needs '"
                    + ConfigPids.MUTUAL_USER + "' and '" + ConfigPids.MUTUAL_SECRET + "' besides '"
                    + ConfigPids.CHAP_USER + "' and '" + ConfigPids.CHAP_SECRET + "'");
        }
        ChapCredentials chap = null;
        if (user != null) {
            try {
                chap = new ChapCredentials(user, bytes(secret), mutualUser,
                        mutualSecret == null ? null : bytes(mutualSecret));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("ACL configuration " + name + ": " + e.getMessage(), e);
            }
        }
        return new InitiatorAcl(name, target, initiator, chap);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<String, ?> p) {
        return (Map<String, Object>) p;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(Map<String, ?> p, String key) {
        Object v = p.get(key);
        if (v == null) {
            return null;
        }
        String s = v.toString().trim();
        return s.isEmpty() ? null : s;
    }
}
