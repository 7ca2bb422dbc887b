package dev.lunar.scsi.internal.osgi;

import dev.lunar.api.ConfigPids;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiTarget;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts every {@value ConfigPids#ACL} configuration Config Admin already stores into the core as
 * soon as the device server exists, without waiting for Config Admin to deliver each one to its
 * {@link AclComponent} (asynchronously, maybe after the first nexus opened): an initiator that
 * reconnects right after a restart must not see masked LUNs or write a read-only one. An entry
 * whose configuration is deleted before its component ever ran is dropped on the deletion event.
 *
 * <p>What is left: a nexus opened between the device server's registration and this component's
 * activation (the same SCR pass) sees the target unrestricted until the entries land, and then
 * gets REPORTED LUNS DATA HAS CHANGED. Closing that needs the device server itself to load them.
 */
@Component(service = ConfigurationListener.class, immediate = true)
public final class StoredAclLoader implements ConfigurationListener {

    private static final Logger LOG = LoggerFactory.getLogger(StoredAclLoader.class);

    private final DeviceServerCore core;

    @Activate
    public StoredAclLoader(@Reference ScsiDeviceServerComponent server) {
        this(server.core());
    }

    StoredAclLoader(DeviceServerCore core) {
        this.core = core;
    }

    /** Dynamic: Config Admin coming or going never restarts anything. SCR thread. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindConfigurationAdmin(ConfigurationAdmin cm) {
        List<StoredConfigurations.Stored> stored;
        try {
            stored = StoredConfigurations.of(cm, ConfigPids.ACL);
        } catch (IOException e) {
            LOG.warn("Could not list stored ACL configurations; ACLs apply as their components start", e);
            return;
        }
        int loaded = 0;
        for (StoredConfigurations.Stored c : stored) {
            try {
                AclComponent.Entry e = AclComponent.parseFailClosed(c.properties());
                core.target(e.target()).putGrantIfAbsent(e.grant());
                loaded++;
            } catch (IllegalArgumentException e) {
                LOG.warn("Stored ACL configuration {} ignored: {}", c.pid(), e.getMessage());
            }
        }
        if (loaded > 0) {
            LOG.info("Loaded {} stored ACL configuration(s) into the SCSI targets", loaded);
        }
    }

    void unbindConfigurationAdmin(ConfigurationAdmin cm) {
        // nothing to undo: the targets keep what the AclComponents put
    }

    /** Config Admin's event thread. */
    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (event.getType() == ConfigurationEvent.CM_DELETED && ConfigPids.ACL.equals(event.getFactoryPid())) {
            String name = AclComponent.configName(Map.of("service.pid", event.getPid()));
            for (ScsiTarget t : core.targets()) {
                t.removeGrant(name);
            }
        }
    }
}
