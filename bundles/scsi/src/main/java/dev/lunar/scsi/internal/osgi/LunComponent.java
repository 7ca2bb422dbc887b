package dev.lunar.scsi.internal.osgi;

import dev.lunar.api.ConfigPids;
import dev.lunar.scsi.internal.lun.LunBinding;
import dev.lunar.scsi.internal.lun.LunConfig;
import dev.lunar.spi.backend.Backend;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance per {@value ConfigPids#LUN} factory configuration. Forwards the configuration and
 * every {@link Backend} service to a {@link LunBinding}, which picks the backend of its kind.
 * Backends are a dynamic, greedy, multiple reference, so a backend bundle can come, go and be
 * replaced without this component (and the LU) restarting.
 */
@Component(configurationPid = ConfigPids.LUN, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {}, immediate = true)
@Designate(ocd = LunConfiguration.class, factory = true)
public final class LunComponent {

    private static final Logger LOG = LoggerFactory.getLogger(LunComponent.class);

    /**
     * Backend service property: {@code false} when a device the backend opens again does not hold
     * what the previous one held (a RAM disk: its memory dies with the device and with the bundle).
     * Absent means persistent. Belongs on the SPI as {@code Backend.PERSISTENT}; until then the
     * ramdisk backend writes the literal.
     */
    public static final String PERSISTENT = "lunar.backend.persistent";

    private final LunRegistry registry;
    private final LunBinding binding;

    @Activate
    public LunComponent(@Reference(name = "registry") LunRegistry registry, Map<String, Object> properties) {
        this.registry = registry;
        this.binding = registry.create(LunConfig.from(properties));
    }

    /** Called after the constructor (DS 1.4 §112.3.8), so {@code binding} is set. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindBackend(Backend backend, Map<String, Object> properties) {
        Object kind = properties.get(Backend.KIND);
        boolean persistent = !"false".equalsIgnoreCase(String.valueOf(properties.get(PERSISTENT)));
        binding.backendAdded(backend, kind == null ? backend.kind() : String.valueOf(kind), persistent);
    }

    /**
     * Blocks until the LUN let go of the backend's device (held new commands, drained, closed):
     * DS calls this before it deactivates the backend, so a {@code bundle:update} of the backend
     * never stops it under I/O.
     */
    void unbindBackend(Backend backend) {
        binding.backendRemoved(backend);
    }

    /**
     * Applies a changed configuration live (resize, options, remap; see {@link LunBinding#modified}).
     * A configuration that does not parse keeps the LUN as it is, with an ERROR naming the key:
     * throwing here would only make SCR log a stack trace.
     */
    @Modified
    void modified(Map<String, Object> properties) {
        LunConfig next;
        try {
            next = LunConfig.from(properties);
        } catch (IllegalArgumentException e) {
            LOG.error("{}; the LUN keeps its previous configuration", e.getMessage());
            return;
        }
        binding.modified(next);
    }

    @Deactivate
    void deactivate() {
        registry.remove(binding);
    }
}
