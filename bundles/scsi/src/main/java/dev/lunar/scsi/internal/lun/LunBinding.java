package dev.lunar.scsi.internal.lun;

import dev.lunar.api.LunInfo;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.spi.backend.Backend;
import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.scsi.Sense;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured LUN and the backend it is bound to (DESIGN §3.5, §3.6): maps the logical unit
 * into its target as soon as it is configured, opens the device when a backend of its kind is
 * there, answers NOT READY while none is, and reopens with the same identity when a backend comes
 * back. Plain Java: the DS component only forwards configuration and backend events.
 *
 * <p>All state changes run on the management executor (one thread), so backend opens, which may
 * block, never run on a DS or I/O thread, and events are applied in order.
 */
public final class LunBinding {

    private static final Logger LOG = LoggerFactory.getLogger(LunBinding.class);

    /** Bounded wait for outstanding I/O when a backend goes or the LUN is removed. */
    public static final long DRAIN_MILLIS = 10_000;
    /** Tasks a logical unit queues before TASK SET FULL. */
    public static final int QUEUE_DEPTH = 128;

    private final DeviceServerCore core;
    private final Executor management;
    private final Path stateRoot;

    // Confined to the management executor, except the volatile fields read by luns().
    private volatile LunConfig config;
    private volatile LogicalUnit lu;
    private volatile String mapError;
    /** Registered backends with their {@code lunar.backend.kind}, in arrival order. */
    private final java.util.Map<Backend, String> candidates = new java.util.LinkedHashMap<>();
    private Backend bound;
    private boolean stopped;

    public LunBinding(DeviceServerCore core, Executor management, Path stateRoot, LunConfig config) {
        this.core = core;
        this.management = management;
        this.stateRoot = stateRoot;
        this.config = config;
    }

    public LunConfig config() {
        return config;
    }

    /** The logical unit, or null when it could not be mapped (LUN number taken). */
    public LogicalUnit logicalUnit() {
        return lu;
    }

    public void start() {
        management.execute(this::map);
    }

    public void backendAdded(Backend b) {
        backendAdded(b, b.kind());
    }

    /**
     * A backend service appeared.
     *
     * @param kind its {@code lunar.backend.kind} service property (the backend's own
     *     {@code kind()} when the property is missing)
     */
    public void backendAdded(Backend b, String kind) {
        management.execute(() -> {
            candidates.put(b, kind);
            bindIfNeeded();
        });
    }

    public void backendRemoved(Backend b) {
        management.execute(() -> {
            candidates.remove(b);
            if (bound == b) {
                unbind("backend '" + config.backend() + "' went away; waiting for a replacement",
                        LogicalUnit.State.WAITING);
                bindIfNeeded();
            }
        });
    }

    /** @Modified: options change in place; a new target, LUN or kind remaps the LU. */
    public void modified(LunConfig next) {
        management.execute(() -> {
            LunConfig prev = config;
            config = next;
            if (!prev.sameMapping(next)) {
                LOG.info("LUN configuration {} moved from {}/{} ({}) to {}/{} ({})", next.name(), prev.target(),
                        prev.lun(), prev.backend(), next.target(), next.lun(), next.backend());
                unmap();
                map();
                return;
            }
            applyOptions(prev, next);
        });
    }

    /** Unmaps and closes; returns when done (bounded by the drain time). */
    public void stop() {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        management.execute(() -> {
            try {
                stopped = true;
                unmap();
            } finally {
                done.complete(null);
            }
        });
        try {
            done.get(DRAIN_MILLIS * 2, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("Removing LUN configuration {} did not finish in time", config.name());
        }
    }

    // ------------------------------------------------------------------ management thread

    private void map() {
        if (stopped) {
            return;
        }
        LunConfig c = config;
        Path dir = stateRoot == null ? null : stateRoot.resolve(c.name().replaceAll("[^A-Za-z0-9._-]", "_"));
        LogicalUnit unit = new LogicalUnit(c.name(), c.target(), c.lun(), c.backend(), QUEUE_DEPTH, dir);
        unit.setRemovable(c.removable());
        unit.setSanitizeBytesPerSecond(c.sanitizeRate());
        try {
            core.addLogicalUnit(unit);
            lu = unit;
            mapError = null;
        } catch (IllegalStateException e) {
            LOG.error("LUN configuration {} not mapped: {}", c.name(), e.getMessage());
            lu = null;
            mapError = e.getMessage();
            return;
        }
        bindIfNeeded();
    }

    private void unmap() {
        LogicalUnit unit = lu;
        if (unit == null) {
            return;
        }
        core.removeLogicalUnit(unit, DRAIN_MILLIS);
        BlockDevice dev = unit.detach(LogicalUnit.State.WAITING, "removed");
        bound = null;
        if (dev != null) {
            dev.close();
        }
        lu = null;
    }

    private void bindIfNeeded() {
        LogicalUnit unit = lu;
        if (unit == null || bound != null || stopped) {
            return;
        }
        for (java.util.Map.Entry<Backend, String> e : candidates.entrySet()) {
            if (Objects.equals(e.getValue(), config.backend())) {
                open(unit, e.getKey());
                return;
            }
        }
    }

    private void open(LogicalUnit unit, Backend b) {
        LunConfig c = config;
        try {
            BlockDevice dev = b.open(c.name(), c.options());
            bound = b;
            Geometry before = unit.geometry();
            unit.attach(dev);
            Geometry after = dev.geometry();
            if (before != null && (before.blockCount() != after.blockCount()
                    || before.blockSize() != after.blockSize())) {
                // The device came back with another size (resized while away): SBC-3 §4.9.
                unit.unitAttentions().establishForAll(SenseCodes.UA_CAPACITY_CHANGED, null);
            }
            LOG.info("{} is ready on backend '{}' ({} blocks of {} bytes)", unit, c.backend(),
                    dev.geometry().blockCount(), dev.geometry().blockSize());
        } catch (BackendException | RuntimeException e) {
            LOG.error("{}: backend '{}' cannot open it: {}", unit, c.backend(), e.getMessage());
            unit.detach(LogicalUnit.State.FAILED, e.getMessage());
        }
    }

    /**
     * Fences new I/O (NOT READY), waits, bounded, for the outstanding I/O, then closes the device
     * (DESIGN §3.3: removing a LUN waits for its outstanding I/O).
     */
    private void unbind(String why, LogicalUnit.State state) {
        LogicalUnit unit = lu;
        bound = null;
        if (unit == null) {
            return;
        }
        BlockDevice dev = unit.detach(state, why);
        if (!DeviceServerCore.drain(unit, DRAIN_MILLIS)) {
            LOG.warn("{}: I/O still outstanding after {} ms; closing the device anyway", unit, DRAIN_MILLIS);
        }
        if (dev != null) {
            dev.close();
        }
        LOG.info("{}: {}", unit, why);
    }

    private void applyOptions(LunConfig prev, LunConfig next) {
        LogicalUnit unit = lu;
        if (unit == null) {
            map();
            return;
        }
        unit.setRemovable(next.removable());
        unit.setSanitizeBytesPerSecond(next.sanitizeRate());
        BlockDevice dev = unit.device();
        if (dev == null) {
            if (unit.state() == LogicalUnit.State.FAILED) {
                bindIfNeeded();
            }
            return;
        }
        List<String> changed = new ArrayList<>();
        for (String k : next.options().keySet()) {
            if (!Objects.equals(prev.options().get(k), next.options().get(k))) {
                changed.add(k);
            }
        }
        for (String k : prev.options().keySet()) {
            if (!next.options().containsKey(k)) {
                changed.add(k);
            }
        }
        if (changed.isEmpty()) {
            return;
        }
        changed.remove("writeCache");
        changed.remove("size");
        // A property of the LU, not of the backend: applied above, no reopen.
        changed.remove(LunConfig.REMOVABLE);
        if (!changed.isEmpty()) {
            // Anything else (path, blockSize, readOnly...) needs a reopen; identity stays.
            LOG.info("{}: options {} changed, reopening", unit, changed);
            Backend b = bound;
            unbind("reopening with new options", LogicalUnit.State.WAITING);
            if (b != null) {
                open(unit, b);
            }
            return;
        }
        String size = next.options().get("size");
        if (size != null && !size.equals(prev.options().get("size"))) {
            resize(unit, dev, size);
        }
        String wc = next.options().get("writeCache");
        if (wc != null && !wc.equals(prev.options().get("writeCache"))) {
            boolean on = Boolean.parseBoolean(wc.trim());
            dev.setWriteCache(on, new IoCompletion<>() {
                @Override
                public void completed(Void result) {
                    unit.refreshGeometry();
                    unit.unitAttentions().establishForAll(SenseCodes.UA_MODE_PARAMETERS_CHANGED, null);
                }

                @Override
                public void failed(Sense sense) {
                    LOG.warn("{}: backend refused writeCache={}: {}", unit, on, sense);
                }
            });
        }
    }

    private void resize(LogicalUnit unit, BlockDevice dev, String size) {
        Geometry g = dev.geometry();
        long blocks;
        try {
            blocks = LunConfig.parseSize(size) / g.blockSize();
        } catch (RuntimeException e) {
            LOG.error("{}: size '{}' is not a size (use bytes or a number with K, M, G, T)", unit, size);
            return;
        }
        if (blocks == g.blockCount()) {
            return;
        }
        try {
            dev.resize(blocks);
            unit.refreshGeometry();
            // SBC-3 §4.9: every I_T nexus learns the new capacity.
            unit.unitAttentions().establishForAll(SenseCodes.UA_CAPACITY_CHANGED, null);
            LOG.info("{} resized to {} blocks", unit, blocks);
        } catch (BackendException e) {
            LOG.error("{}: resize to {} refused: {}", unit, size, e.getMessage());
        }
    }

    /** What {@code LunService.luns()} reports. */
    public LunInfo info() {
        LunConfig c = config;
        LogicalUnit unit = lu;
        if (unit == null) {
            return new LunInfo(c.name(), c.target(), c.lun(), c.backend(), 0, 0, LogicalUnit.State.FAILED.name(),
                    mapError == null ? "not mapped" : mapError);
        }
        Geometry g = unit.device() == null ? null : unit.geometry();
        return new LunInfo(c.name(), c.target(), c.lun(), c.backend(), g == null ? 0 : g.capacityBytes(),
                g == null ? 0 : g.blockSize(), unit.state().name(), unit.detail());
    }
}
