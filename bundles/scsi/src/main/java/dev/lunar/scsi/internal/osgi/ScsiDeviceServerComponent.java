package dev.lunar.scsi.internal.osgi;

import dev.lunar.api.BackendInfo;
import dev.lunar.api.IoStatsRecorder;
import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
import dev.lunar.api.LunStats;
import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.lun.LunBinding;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.lun.LunConfig;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.backend.Backend;
import dev.lunar.spi.scsi.DeviceServer;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scsi bundle's services: {@link DeviceServer} for the iscsi bundle, {@link LunService} for
 * management, and the bundle-private {@link LunRegistry} the per-LUN components use. A thin
 * adapter around {@link DeviceServerCore}.
 */
@Component(service = {DeviceServer.class, LunService.class, LunRegistry.class, ScsiDeviceServerComponent.class},
        immediate = true)
public final class ScsiDeviceServerComponent implements DeviceServer, LunService, LunRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(ScsiDeviceServerComponent.class);

    private final DeviceServerCore core = new DeviceServerCore(CommandTable.standard());
    private final Set<LunBinding> bindings = ConcurrentHashMap.newKeySet();
    private final ExecutorService management = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lunar-scsi-lun-management");
        t.setDaemon(true);
        return t;
    });
    private final Path stateRoot;
    /**
     * Every registered backend, in arrival order, as references only: listing them must not get
     * (and so activate) a backend nobody uses. {@link LunComponent} does the binding.
     */
    private final List<ServiceReference<Backend>> backendRefs = new CopyOnWriteArrayList<>();

    @Activate
    public ScsiDeviceServerComponent(BundleContext context) {
        File data = context.getDataFile("lun-state");
        this.stateRoot = data == null ? null : data.toPath();
        LOG.info("SCSI device server started ({} commands)", core.table().all().size());
    }

    @Deactivate
    void deactivate() {
        for (LunBinding b : new ArrayList<>(bindings)) {
            remove(b);
        }
        management.shutdown();
        try {
            if (!management.awaitTermination(LunBinding.DRAIN_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("LUN management work still running at shutdown; abandoning it");
                management.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The core itself, for this bundle's other components (ACLs feed its targets). */
    DeviceServerCore core() {
        return core;
    }

    @Override
    public ScsiNexus openNexus(String targetName, String initiatorPort, String targetPort,
            int relativeTargetPortId, boolean readOnly) {
        return core.openNexus(targetName, initiatorPort, targetPort, relativeTargetPortId, readOnly);
    }

    @Reference(service = Backend.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindBackend(ServiceReference<Backend> ref) {
        backendRefs.add(ref);
    }

    void unbindBackend(ServiceReference<Backend> ref) {
        backendRefs.remove(ref);
    }

    /**
     * Snapshots of every configured LUN's counters; a configuration that could not be mapped
     * (LUN number taken) reports zeros. Any thread; never blocks.
     */
    @Override
    public List<LunStats> lunStats() {
        List<LunStats> out = new ArrayList<>();
        for (LunBinding b : bindings) {
            LunConfig c = b.config();
            LogicalUnit lu = b.logicalUnit();
            out.add(new LunStats(c.name(), c.target(), c.lun(),
                    (lu == null ? new IoStatsRecorder() : lu.ioStats()).snapshot()));
        }
        out.sort(Comparator.comparing(LunStats::target).thenComparingInt(LunStats::lun));
        return out;
    }

    /**
     * Every registered backend service with its bundle and the LUNs open on its kind. When two
     * services share a kind (a replacement arriving before the old one left), the LUNs are listed
     * under the one registered first, which is the one {@code LunBinding} picks. Any thread.
     */
    @Override
    public List<BackendInfo> backends() {
        List<LogicalUnit> open = new ArrayList<>();
        for (LunBinding b : bindings) {
            LogicalUnit lu = b.logicalUnit();
            if (lu != null && lu.state() == LogicalUnit.State.READY) {
                open.add(lu);
            }
        }
        List<BackendInfo> out = new ArrayList<>();
        Set<String> listed = new java.util.HashSet<>();
        for (ServiceReference<Backend> ref : backendRefs) {
            Object k = ref.getProperty(Backend.KIND);
            String kind = k == null ? "" : String.valueOf(k);
            List<String> luns = new ArrayList<>();
            if (listed.add(kind)) {
                for (LogicalUnit lu : open) {
                    if (kind.equals(lu.backendKind())) {
                        luns.add(lu.name());
                    }
                }
                luns.sort(null);
            }
            out.add(new BackendInfo(kind, bundleOf(ref), luns));
        }
        out.sort(Comparator.comparing(BackendInfo::kind));
        return out;
    }

    /** "symbolic-name version" of the bundle that registered {@code ref}; empty once it is gone. */
    static String bundleOf(ServiceReference<?> ref) {
        Bundle b = ref.getBundle();
        return b == null ? "" : b.getSymbolicName() + " " + b.getVersion();
    }

    @Override
    public List<LunInfo> luns() {
        List<LunInfo> out = new ArrayList<>();
        for (LunBinding b : bindings) {
            out.add(b.info());
        }
        out.sort(Comparator.comparing(LunInfo::target).thenComparingInt(LunInfo::lun));
        return out;
    }

    @Override
    public LunBinding create(LunConfig config) {
        LunBinding b = new LunBinding(core, management, stateRoot, config);
        bindings.add(b);
        b.start();
        return b;
    }

    @Override
    public void remove(LunBinding binding) {
        if (bindings.remove(binding)) {
            binding.stop();
        }
    }
}
