package dev.lunar.iscsi.internal.osgi;

import dev.lunar.api.ConfigPids;
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

/**
 * One instance per {@value ConfigPids#TARGET} factory configuration. Keys: {@code iqn} (required),
 * {@code alias}, {@code auth} ({@code none} or {@code chap}), {@code chapUser}, {@code chapSecret},
 * {@code mutualUser}, {@code mutualSecret}, {@code insecure} ({@code true} allows logins without
 * CHAP on non-loopback portals), {@code redirect} ({@code host:port[,tpgt]}: every login is
 * redirected there), {@code redirectPermanent}.
 */
@Component(configurationPid = ConfigPids.TARGET, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
public final class TargetComponent {

    private final IscsiEngineComponent engine;
    private final String name;

    @Activate
    public TargetComponent(@Reference IscsiEngineComponent engine, Map<String, Object> properties) {
        this.engine = engine;
        this.name = configName(properties);
        engine.engine().putTarget(name, parse(properties));
    }

    /** A changed target keeps its sessions unless its IQN changed (STYLE rule 8). */
    @Modified
    void modified(Map<String, Object> properties) {
        engine.engine().putTarget(name, parse(properties));
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
                Boolean.parseBoolean(String.valueOf(p.getOrDefault("redirectPermanent", "false"))));
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
