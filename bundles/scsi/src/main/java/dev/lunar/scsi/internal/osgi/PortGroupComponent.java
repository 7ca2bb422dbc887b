package dev.lunar.scsi.internal.osgi;

import dev.lunar.api.ConfigPids;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.PortGroups.AccessState;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCSI half of one {@value ConfigPids#PORTAL} factory configuration: its target portal group
 * tag ({@value ConfigPids#PORTAL_TPGT}, default 1 as in the iscsi PortalComponent) is an ALUA
 * target port group, and {@value #ALUA_STATE} sets that group's asymmetric access state
 * (SPC-4 §5.16). The iscsi bundle consumes the same configuration to listen; address, port and
 * transport are ignored here. The metatype lives there.
 *
 * <p>Changes are live: a group whose state changes gives every nexus through it ASYMMETRIC
 * ACCESS STATE CHANGED, and its next commands are admitted by the new state.
 */
@Component(configurationPid = ConfigPids.PORTAL, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
public final class PortGroupComponent {

    /** Portal key with the group's state (not in ConfigPids: the api bundle is frozen today). */
    static final String ALUA_STATE = "aluaState";

    private static final Logger LOG = LoggerFactory.getLogger(PortGroupComponent.class);

    private final DeviceServerCore core;
    private final String name;

    /** One parsed portal: its group and the state it asks for. */
    record Entry(int tpgt, AccessState state) {
    }

    @Activate
    public PortGroupComponent(@Reference ScsiDeviceServerComponent server, Map<String, Object> properties) {
        this(server.core(), properties);
    }

    PortGroupComponent(DeviceServerCore core, Map<String, Object> properties) {
        this.core = core;
        this.name = AclComponent.configName(properties);
        apply(properties, false);
    }

    /** A changed portal applies at once (STYLE rule 8: no restart). */
    @Modified
    void modified(Map<String, Object> properties) {
        apply(properties, true);
    }

    @Deactivate
    void deactivate() {
        core.portGroups().remove(name);
    }

    private void apply(Map<String, ?> properties, boolean changed) {
        Entry e;
        try {
            e = parse(properties);
        } catch (IllegalArgumentException ex) {
            // The iscsi PortalComponent refuses the same bad values, so this portal carries no
            // traffic: it has no say in any group's state until it is fixed.
            LOG.error("Portal {}: {}; it is left out of the ALUA port groups", name, ex.getMessage());
            core.portGroups().remove(name);
            return;
        }
        core.portGroups().put(name, e.tpgt(), e.state());
        LOG.info("Portal {}{}: target port group {}, {}", name, changed ? " changed" : "", e.tpgt(),
                e.state().configName());
    }

    /**
     * Reads {@value ConfigPids#PORTAL_TPGT} and {@value #ALUA_STATE}.
     *
     * @throws IllegalArgumentException with a sentence an admin can act on
     */
    static Entry parse(Map<String, ?> p) {
        Object tpgtValue = p.get(ConfigPids.PORTAL_TPGT);
        int tpgt = 1;
        if (tpgtValue != null && !tpgtValue.toString().isBlank()) {
            try {
                tpgt = Integer.parseInt(tpgtValue.toString().trim());
            } catch (NumberFormatException ex) {
                tpgt = -1;
            }
            if (tpgt < 1 || tpgt > 65535) {
                throw new IllegalArgumentException("'" + ConfigPids.PORTAL_TPGT
                        + "' must be a whole number from 1 to 65535, not '" + tpgtValue + "'");
            }
        }
        Object state = p.get(ALUA_STATE);
        return new Entry(tpgt, AccessState.parse(state == null ? null : state.toString()));
    }
}
