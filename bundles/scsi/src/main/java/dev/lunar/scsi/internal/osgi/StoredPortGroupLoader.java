package dev.lunar.scsi.internal.osgi;

import dev.lunar.api.ConfigPids;
import dev.lunar.scsi.internal.target.DeviceServerCore;
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
 * Puts every stored {@value ConfigPids#PORTAL} configuration's group and state into the core as
 * soon as the device server exists, without waiting for Config Admin to deliver each one to its
 * {@link PortGroupComponent}: after a restart an initiator reconnecting through a standby portal
 * must not find its path active for its first commands. Same pattern as {@link StoredAclLoader};
 * a portal deleted before its component ran is dropped on the deletion event.
 */
@Component(service = ConfigurationListener.class, immediate = true)
public final class StoredPortGroupLoader implements ConfigurationListener {

    private static final Logger LOG = LoggerFactory.getLogger(StoredPortGroupLoader.class);

    private final DeviceServerCore core;

    @Activate
    public StoredPortGroupLoader(@Reference ScsiDeviceServerComponent server) {
        this(server.core());
    }

    StoredPortGroupLoader(DeviceServerCore core) {
        this.core = core;
    }

    /** Dynamic: Config Admin coming or going never restarts anything. SCR thread. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    void bindConfigurationAdmin(ConfigurationAdmin cm) {
        List<StoredConfigurations.Stored> stored;
        try {
            stored = StoredConfigurations.of(cm, ConfigPids.PORTAL);
        } catch (IOException e) {
            LOG.warn("Could not list stored portal configurations; port groups apply as their components start", e);
            return;
        }
        for (StoredConfigurations.Stored c : stored) {
            try {
                PortGroupComponent.Entry e = PortGroupComponent.parse(c.properties());
                core.portGroups().putIfAbsent(AclComponent.configName(c.properties()), e.tpgt(), e.state());
            } catch (IllegalArgumentException e) {
                LOG.warn("Stored portal configuration {} left out of the port groups: {}", c.pid(), e.getMessage());
            }
        }
    }

    void unbindConfigurationAdmin(ConfigurationAdmin cm) {
        // nothing to undo: the table keeps what the PortGroupComponents put
    }

    /** Config Admin's event thread. */
    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (event.getType() == ConfigurationEvent.CM_DELETED && ConfigPids.PORTAL.equals(event.getFactoryPid())) {
            core.portGroups().remove(AclComponent.configName(Map.of("service.pid", event.getPid())));
        }
    }
}
