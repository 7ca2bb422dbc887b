package dev.lunar.iscsi.internal.osgi;

import dev.lunar.api.ConfigPids;
import dev.lunar.iscsi.internal.login.AccessControl;
import dev.lunar.iscsi.internal.login.AuthConfig;
import dev.lunar.iscsi.internal.login.ChapCredentials;
import dev.lunar.iscsi.internal.login.TargetConfig;
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
import org.osgi.service.metatype.annotations.Option;

/**
 * One instance per {@value ConfigPids#TARGET} factory configuration. Keys: {@code iqn} (required),
 * {@code alias}, {@code auth} ({@code none} or {@code chap}), {@code chapUser}, {@code chapSecret},
 * {@code mutualUser}, {@code mutualSecret}, {@code insecure} ({@code true} allows logins without
 * CHAP on non-loopback portals), {@code redirect} ({@code host:port[,tpgt]}: every login is
 * redirected there), {@code redirectPermanent}. Which initiators may log in is decided by the
 * {@value ConfigPids#ACL} entries naming the target ({@link AclComponent}), looked up at each login.
 */
@Component(configurationPid = ConfigPids.TARGET, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
@Designate(ocd = TargetComponent.Config.class, factory = true)
public final class TargetComponent {

    /** Metatype for admin tools; the component itself reads the raw properties. */
    @ObjectClassDefinition(name = "Lunar iSCSI target", description = "One iSCSI target (factory)")
    @interface Config {
        @AttributeDefinition(description = "Target name, e.g. iqn.2026-01.dev.lunar:disk0")
        String iqn();

        @AttributeDefinition(required = false, description = "TargetAlias sent at login")
        String alias() default "";

        @AttributeDefinition(description = "Authentication", options = {
            @Option(label = "None (loopback portals only, unless insecure)", value = "none"),
            @Option(label = "CHAP", value = "chap")})
        String auth() default "none";

        @AttributeDefinition(required = false, description = "CHAP user the initiator must present")
        String chapUser() default "";

        @AttributeDefinition(required = false, type = AttributeType.PASSWORD, description = "CHAP secret")
        String chapSecret() default "";

        @AttributeDefinition(required = false, description = "User the target presents in mutual CHAP")
        String mutualUser() default "";

        @AttributeDefinition(required = false, type = AttributeType.PASSWORD, description = "Mutual CHAP secret")
        String mutualSecret() default "";

        @AttributeDefinition(description = "Allow logins without CHAP on non-loopback portals")
        boolean insecure() default false;

        @AttributeDefinition(required = false, description = "Redirect every login to host:port[,tpgt]")
        String redirect() default "";

        @AttributeDefinition(description = "Redirect permanently (0x0102) instead of temporarily (0x0101)")
        boolean redirectPermanent() default false;
    }

    private final IscsiEngineComponent engine;
    private final AccessControl access;
    private final String name;

    /**
     * @param acls the bundle's ACL table: logins to this target consult it live (an ACL change
     *     needs no target change)
     */
    @Activate
    public TargetComponent(@Reference IscsiEngineComponent engine, @Reference AccessControlComponent acls,
            Map<String, Object> properties) {
        this(engine, acls.table(), properties);
    }

    /** A target with its own, empty ACL table (tests). */
    TargetComponent(IscsiEngineComponent engine, Map<String, Object> properties) {
        this(engine, new AccessControl(), properties);
    }

    private TargetComponent(IscsiEngineComponent engine, AccessControl access, Map<String, Object> properties) {
        this.engine = engine;
        this.access = access;
        this.name = configName(properties);
        engine.engine().putTarget(name, parse(properties, access));
    }

    /** A changed target keeps its sessions unless its IQN changed (STYLE rule 8). */
    @Modified
    void modified(Map<String, Object> properties) {
        engine.engine().putTarget(name, parse(properties, access));
    }

    @Deactivate
    void deactivate() {
        engine.engine().removeTarget(name);
    }

    /** The configuration's name: what follows {@code ~} in a factory PID. */
    static String configName(Map<String, Object> properties) {
        String pid = String.valueOf(properties.getOrDefault("service.pid", properties.get("component.name")));
        int tilde = pid.lastIndexOf('~');
        return tilde >= 0 ? pid.substring(tilde + 1) : pid;
    }

    static TargetConfig parse(Map<String, Object> p) {
        return parse(p, null);
    }

    static TargetConfig parse(Map<String, Object> p, AccessControl access) {
        String iqn = string(p, ConfigPids.TARGET_IQN);
        if (iqn == null) {
            throw new IllegalArgumentException("target configuration " + configName(p) + " has no '"
                    + ConfigPids.TARGET_IQN + "' key; set it to the target name, e.g. iqn.2026-01.dev.lunar:disk0");
        }
        String auth = string(p, ConfigPids.TARGET_AUTH);
        boolean chap = "chap".equalsIgnoreCase(auth);
        if (auth != null && !chap && !"none".equalsIgnoreCase(auth)) {
            throw new IllegalArgumentException("target " + iqn + ": auth must be 'none' or 'chap', not '" + auth + "'");
        }
        String user = string(p, "chapUser");
        String secret = string(p, "chapSecret");
        String mutualUser = string(p, "mutualUser");
        String mutualSecret = string(p, "mutualSecret");
        ChapCredentials credentials = null;
        if (user != null && secret != null) {
            credentials = mutualUser != null && mutualSecret != null
                    ? new ChapCredentials(user, bytes(secret), mutualUser, bytes(mutualSecret))
                    : new ChapCredentials(user, bytes(secret));
        } else if (chap) {
            throw new IllegalArgumentException("target " + iqn + ": auth=chap needs chapUser and chapSecret");
        }
        boolean insecure = Boolean.parseBoolean(String.valueOf(p.getOrDefault("insecure", "false")));
        AuthConfig authConfig = new AuthConfig(chap, credentials, insecure);
        return new TargetConfig(iqn, string(p, ConfigPids.TARGET_ALIAS), authConfig, string(p, "redirect"),
                Boolean.parseBoolean(String.valueOf(p.getOrDefault("redirectPermanent", "false"))), access);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(Map<String, Object> p, String key) {
        Object v = p.get(key);
        if (v == null) {
            return null;
        }
        String s = v.toString().trim();
        return s.isEmpty() ? null : s;
    }
}
