package dev.lunar.shell.internal;

import dev.lunar.api.ConfigPids;
import java.io.IOException;
import java.util.Dictionary;
import java.util.Hashtable;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Discovery-session CHAP (RFC 7143 §12.1: SendTargets before any target is chosen). It lives in
 * the iSCSI engine's singleton configuration {@value ConfigPids#ISCSI}, which the
 * {@code ConfigurationService} does not manage (it handles the factory objects), so the shell
 * edits it through Config Admin; the engine applies it to new discovery logins ({@code @Modified}).
 */
final class DiscoveryChap {

    static final String USER = "discoveryChapUser";
    static final String SECRET = "discoveryChapSecret";

    private final ConfigurationAdmin configAdmin;

    DiscoveryChap(ConfigurationAdmin configAdmin) {
        this.configAdmin = Availability.running(configAdmin, ConfigurationAdmin.class, "Config Admin");
    }

    void set(String user, String secret) throws IOException {
        Configuration configuration = engineConfiguration();
        Dictionary<String, Object> properties = properties(configuration);
        properties.put(USER, user);
        properties.put(SECRET, secret);
        configuration.update(properties);
    }

    /** @return whether discovery CHAP was configured */
    boolean clear() throws IOException {
        Configuration configuration = engineConfiguration();
        Dictionary<String, Object> properties = properties(configuration);
        boolean had = properties.remove(USER) != null | properties.remove(SECRET) != null;
        if (had) {
            configuration.update(properties);
        }
        return had;
    }

    private Configuration engineConfiguration() throws IOException {
        // Location null: never bind the engine's configuration to the shell bundle.
        return configAdmin.getConfiguration(ConfigPids.ISCSI, null);
    }

    private static Dictionary<String, Object> properties(Configuration configuration) {
        Dictionary<String, Object> current = configuration.getProperties();
        Dictionary<String, Object> copy = new Hashtable<>();
        if (current != null) {
            for (var keys = current.keys(); keys.hasMoreElements();) {
                String key = keys.nextElement();
                copy.put(key, current.get(key));
            }
        }
        return copy;
    }
}
