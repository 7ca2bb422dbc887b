package dev.lunar.iscsi.internal.osgi;

import dev.lunar.api.ConfigPids;
import dev.lunar.iscsi.internal.login.AccessControl;
import java.io.IOException;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the bundle's one {@link AccessControl} table: {@link AclComponent}s write it,
 * {@link TargetComponent}s hand it to login through their {@code TargetConfig}. A service inside
 * this bundle only (its package is private); it has no configuration and never restarts while the
 * bundle runs, so the components referencing it statically do not either.
 *
 * <p>Secure from the first login: Config Admin delivers each {@value ConfigPids#ACL}
 * configuration to its {@link AclComponent} asynchronously, possibly after a portal already
 * accepts logins, and a target whose entries have not arrived yet would admit everybody. So the
 * table is first filled with every ACL configuration Config Admin already stores (before any
 * {@link TargetComponent}, which needs this component, can publish a target), and an entry whose
 * configuration is deleted before its component ever ran is dropped on the deletion event.
 */
@Component(service = {AccessControlComponent.class, ConfigurationListener.class}, immediate = true)
public final class AccessControlComponent implements ConfigurationListener {

    private static final Logger LOG = LoggerFactory.getLogger(AccessControlComponent.class);

    private final AccessControl table = new AccessControl();

    /** The live table. */
    public AccessControl table() {
        return table;
    }

    /**
     * Dynamic, so Config Admin coming or going never restarts this component (and with it every
     * target). Runs on the SCR thread that activates the component, before it is registered.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindConfigurationAdmin(ConfigurationAdmin cm) {
        Configuration[] stored;
        try {
            stored = cm.listConfigurations("(service.factoryPid=" + ConfigPids.ACL + ")");
        } catch (IOException | InvalidSyntaxException e) {
            LOG.warn("Could not list stored ACL configurations; ACLs apply as their components start", e);
            return;
        }
        int loaded = 0;
        for (Configuration c : stored == null ? new Configuration[0] : stored) {
            Dictionary<String, Object> properties = c.getProperties();
            if (properties == null) {
                continue;
            }
            try {
                table.putIfAbsent(AclComponent.parseFailClosed(toMap(properties)));
                loaded++;
            } catch (IllegalArgumentException e) {
                LOG.warn("Stored ACL configuration {} ignored: {}", c.getPid(), e.getMessage());
            }
        }
        if (loaded > 0) {
            LOG.info("Loaded {} stored ACL configuration(s) before the first login", loaded);
        }
    }

    void unbindConfigurationAdmin(ConfigurationAdmin cm) {
        // nothing to undo: the table keeps what the AclComponents put
    }

    /** Config Admin's event thread; drops the entry of a deleted ACL configuration. */
    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (event.getType() == ConfigurationEvent.CM_DELETED && ConfigPids.ACL.equals(event.getFactoryPid())) {
            table.remove(TargetComponent.configName(Map.of("service.pid", event.getPid())));
        }
    }

    static Map<String, Object> toMap(Dictionary<String, Object> properties) {
        Map<String, Object> map = new HashMap<>();
        for (Enumeration<String> keys = properties.keys(); keys.hasMoreElements();) {
            String key = keys.nextElement();
            map.put(key, properties.get(key));
        }
        return map;
    }
}
