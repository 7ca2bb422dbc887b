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
        binding.backendAdded(backend, kind == null ? backend.kind() : String.valueOf(kind));
    }

    void unbindBackend(Backend backend) {
        binding.backendRemoved(backend);
    }

    @Modified
    void modified(Map<String, Object> properties) {
        binding.modified(LunConfig.from(properties));
    }

    @Deactivate
    void deactivate() {
        registry.remove(binding);
    }
}
