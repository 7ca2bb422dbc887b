package dev.lunar.config.internal;

import dev.lunar.api.ConfigPids;
import java.util.Collections;
import java.util.Dictionary;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationPlugin;
import org.osgi.service.component.annotations.Component;

/**
 * Hides Lunar's CHAP secrets from whoever asks Config Admin for processed properties without
 * being a consumer. Karaf 4.4's {@code config:list} (and its config MBean) calls
 * {@code Configuration.getProcessedProperties(null)}, so the interpolation plugin (ranking 500)
 * resolves {@code $[secret:...]} for it and the console would print every secret. Consumers
 * (SCR's components) pass a service reference and keep the real value; a {@code null} reference
 * is a display, and the secret keys of {@code dev.lunar.*} configurations read {@code ********}.
 *
 * <p>Called by Config Admin on any thread; must not block; modifies {@code properties} in place.
 */
@Component(service = ConfigurationPlugin.class, property = {
    ConfigurationPlugin.CM_RANKING + ":Integer=" + SecretRedactionPlugin.RANKING,
    "config.plugin.id=dev.lunar.config.secret-redaction"})
public final class SecretRedactionPlugin implements ConfigurationPlugin {

    /** After the interpolation plugin (500), inside the 0..1000 range that may modify. */
    static final int RANKING = 900;

    static final String REDACTED = "********";

    @Override
    public void modifyConfiguration(ServiceReference<?> reference, Dictionary<String, Object> properties) {
        if (reference != null || !isLunars(properties)) {
            return;
        }
        for (String key : Collections.list(properties.keys())) {
            if (ConfigPids.isSecret(key) && properties.get(key) != null) {
                properties.put(key, REDACTED);
            }
        }
    }

    private static boolean isLunars(Dictionary<String, Object> properties) {
        Object factoryPid = properties.get(ConfigurationAdmin.SERVICE_FACTORYPID);
        Object pid = factoryPid != null ? factoryPid : properties.get(Constants.SERVICE_PID);
        return pid != null && pid.toString().startsWith("dev.lunar.");
    }
}
