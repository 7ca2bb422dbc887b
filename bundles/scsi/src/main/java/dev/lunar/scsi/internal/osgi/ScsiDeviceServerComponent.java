package dev.lunar.scsi.internal.osgi;

import dev.lunar.api.LunInfo;
import dev.lunar.api.LunService;
import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.lun.LunBinding;
import dev.lunar.scsi.internal.lun.LunConfig;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.scsi.internal.target.ScsiNexus;
import dev.lunar.spi.scsi.DeviceServer;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
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

    @Override
    public List<dev.lunar.api.LunStats> lunStats() {
        throw new UnsupportedOperationException("LUN statistics are not counted yet");
    }

    @Override
    public List<dev.lunar.api.BackendInfo> backends() {
        throw new UnsupportedOperationException("backend listing is not available yet");
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
