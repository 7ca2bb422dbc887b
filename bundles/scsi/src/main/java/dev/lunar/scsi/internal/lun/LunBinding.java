package dev.lunar.scsi.internal.lun;

import dev.lunar.api.LunInfo;
import dev.lunar.scsi.internal.command.Command;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.scsi.internal.target.DeviceServerCore;
import dev.lunar.spi.backend.Backend;
import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BackendOptions;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.scsi.Sense;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured LUN and the backend it is bound to (DESIGN §3.5, §3.6): maps the logical unit
 * into its target as soon as it is configured (a configuration without a target stays unmapped),
 * opens the device when a backend of its kind is there, and keeps the LU (identity, reservations,
 * mode pages, unit attentions) when the backend is replaced: while a {@code bundle:update} swaps
 * the backend, medium access commands are held ({@link BackendHold}) and run on the new device.
 * Configuration changes apply live: resize, write cache and read-only in place, other backend
 * options by a reopen with the same identity, a new target or LUN number by a remap. Plain Java:
 * the DS component only forwards configuration and backend events.
 *
 * <p>All state changes run on the management executor (one thread), so backend opens, which may
 * block, never run on a DS or I/O thread, and events are applied in order. {@link #backendRemoved}
 * and {@link #stop} wait (bounded) for that work: the backend's bundle must not stop under I/O.
 */
public final class LunBinding {

    private static final Logger LOG = LoggerFactory.getLogger(LunBinding.class);

    /** Bounded wait for outstanding I/O when a backend goes or the LUN is removed. */
    public static final long DRAIN_MILLIS = 10_000;
    /** Tasks a logical unit queues before TASK SET FULL (held commands included). */
    public static final int QUEUE_DEPTH = 128;
    /** State {@link #info()} reports for a configuration without a target. */
    public static final String UNMAPPED = "UNMAPPED";

    /** Options applied in place, without reopening the device. */
    private static final Set<String> LIVE_OPTIONS = caseInsensitive(LunConfig.REMOVABLE, LunConfig.SANITIZE_RATE,
            LunConfig.BACKEND_GRACE_SECONDS, LunConfig.READ_ONLY, "writeCache", "size");

    private final DeviceServerCore core;
    private final Executor management;
    private final Path stateRoot;

    // Confined to the management executor, except the volatile fields read by luns().
    private volatile LunConfig config;
    private volatile LogicalUnit lu;
    private volatile String mapError;
    /** Registered backends with their {@code lunar.backend.kind}, in arrival order. */
    private final Map<Backend, String> candidates = new LinkedHashMap<>();
    /** Candidates whose reopened devices start empty (see {@link #backendAdded(Backend, String, boolean)}). */
    private final Set<Backend> volatileBackends = new java.util.HashSet<>();
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

    /** The logical unit, or null when it is not mapped (no target configured, or LUN number taken). */
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
        backendAdded(b, kind, true);
    }

    /**
     * A backend service appeared.
     *
     * @param kind its {@code lunar.backend.kind} service property
     * @param persistent false when a device it opens again starts empty (a RAM disk): a LU that
     *     had a device before then reports MEDIUM MAY HAVE CHANGED instead of pretending nothing
     *     happened
     */
    public void backendAdded(Backend b, String kind, boolean persistent) {
        management.execute(() -> {
            candidates.put(b, kind);
            if (persistent) {
                volatileBackends.remove(b);
            } else {
                volatileBackends.add(b);
            }
            bindIfNeeded();
        });
    }

    /**
     * A backend service is going away (its bundle stops, is updated or restarted). Holds new
     * medium access commands, lets the I/O already on the device complete (bounded by
     * {@link #DRAIN_MILLIS}), closes the device (which makes its write cache stable), and returns
     * only then: DS calls this while unregistering the service, before the backend component is
     * deactivated, so the backend's bundle never stops under I/O. Blocks the caller.
     */
    public void backendRemoved(Backend b) {
        awaitManagement("Releasing backend '" + config.backend() + "'", () -> {
            candidates.remove(b);
            volatileBackends.remove(b);
            if (bound == b) {
                unbind("backend '" + config.backend() + "' went away; waiting for a replacement", true);
                bindIfNeeded();
            }
        });
    }

    /**
     * {@code @Modified}: options change in place or by a reopen with the same identity; a new
     * target, LUN number or backend kind remaps the LU.
     */
    public void modified(LunConfig next) {
        management.execute(() -> {
            LunConfig prev = config;
            config = next;
            if (!prev.sameMapping(next)) {
                LOG.info("LUN configuration {} moved from {}/{} ({}) to {}/{} ({})", next.name(),
                        where(prev), prev.lun(), prev.backend(), where(next), next.lun(), next.backend());
                unmap();
                map();
                return;
            }
            applyOptions(prev, next);
        });
    }

    /** Unmaps and closes; returns when done (bounded by the drain time). */
    public void stop() {
        awaitManagement("Removing LUN configuration " + config.name(), () -> {
            stopped = true;
            unmap();
        });
    }

    private void awaitManagement(String what, Runnable work) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        management.execute(() -> {
            try {
                work.run();
            } finally {
                done.complete(null);
            }
        });
        try {
            done.get(DRAIN_MILLIS * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("{} did not finish in time", what);
        }
    }

    // ------------------------------------------------------------------ management thread

    private void map() {
        LunConfig c = config;
        if (stopped || !c.mapped()) {
            if (!stopped) {
                LOG.info("LUN configuration {} has no target; configured but not mapped", c.name());
            }
            return;
        }
        Path dir = stateRoot == null ? null : stateRoot.resolve(c.name().replaceAll("[^A-Za-z0-9._-]", "_"));
        LogicalUnit unit = new LogicalUnit(c.name(), c.target(), c.lun(), c.backend(), QUEUE_DEPTH, dir);
        unit.setRemovable(c.removable());
        unit.setSanitizeBytesPerSecond(c.sanitizeRate());
        unit.setConfiguredReadOnly(c.readOnly());
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
        // Held commands and any that arrive until the LU is out of the target: it is gone.
        BackendHold.of(unit).end(SenseCodes.LUN_NOT_SUPPORTED);
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
        for (Map.Entry<Backend, String> e : candidates.entrySet()) {
            if (Objects.equals(e.getValue(), config.backend())) {
                open(unit, e.getKey());
                return;
            }
        }
    }

    private void open(LogicalUnit unit, Backend b) {
        LunConfig c = config;
        BackendHold hold = BackendHold.of(unit);
        try {
            BlockDevice dev = b.open(c.name(), c.options());
            bound = b;
            Geometry before = unit.geometry();
            boolean protectedBefore = unit.writeProtected();
            unit.attach(dev);
            Geometry after = dev.geometry();
            if (before != null && (before.blockCount() != after.blockCount()
                    || before.blockSize() != after.blockSize())) {
                // The device came back with another size (resized while away): SBC-3 §4.9.
                unit.unitAttentions().establishForAll(SenseCodes.UA_CAPACITY_CHANGED, null);
            }
            if (before != null && (protectedBefore != unit.writeProtected()
                    || before.writeCache() != after.writeCache())) {
                // WP (mode parameter header) or WCE (caching page) reads differently now (SPC-4 §5.14).
                unit.unitAttentions().establishForAll(SenseCodes.UA_MODE_PARAMETERS_CHANGED, null);
            }
            if (before != null && volatileBackends.contains(b)) {
                // A RAM disk reopened (backend bundle updated, options changed) is blank: the data
                // the initiators wrote is gone, and saying so beats a silently empty disk (SPC-4
                // 28/00, as after a medium change).
                LOG.warn("{}: reopened on backend '{}', whose devices start empty; the LUN's previous contents"
                        + " are gone", unit, c.backend());
                unit.unitAttentions().establishForAll(SenseCodes.UA_MEDIUM_MAY_HAVE_CHANGED, null);
            }
            LOG.info("{} is ready on backend '{}' ({} blocks of {} bytes)", unit, c.backend(),
                    after.blockCount(), after.blockSize());
            hold.resume();
        } catch (BackendException | RuntimeException e) {
            LOG.error("{}: backend '{}' cannot open it: {}", unit, c.backend(), e.getMessage());
            unit.detach(LogicalUnit.State.FAILED, e.getMessage());
            hold.end(null);
        }
    }

    /**
     * Holds new medium access commands (when {@code hold} and the LUN's grace allow), fences the
     * device off the LU, waits, bounded, for the I/O already on it, then closes it (DESIGN §3.3:
     * removing a LUN waits for its outstanding I/O; the backend's close makes the write cache
     * stable). The LU keeps its identity and state; the caller attaches the next device.
     */
    private void unbind(String why, boolean hold) {
        LogicalUnit unit = lu;
        bound = null;
        if (unit == null) {
            return;
        }
        BlockDevice dev = quiesce(unit, why, hold);
        if (dev != null) {
            dev.close();
        }
        LOG.info("{}: {}", unit, why);
    }

    /** Hold, detach, drain: afterwards nothing runs on the returned device (null: none was attached). */
    private BlockDevice quiesce(LogicalUnit unit, String why, boolean hold) {
        if (hold) {
            // Before the detach, so no command finds the LU without a device and without a hold.
            BackendHold.of(unit).begin(config.backendGraceMillis(), management);
        }
        BlockDevice dev = unit.detach(LogicalUnit.State.WAITING, why);
        if (dev != null && !drain(unit, dev, DRAIN_MILLIS)) {
            LOG.warn("{}: I/O still outstanding after {} ms; closing the device anyway", unit, DRAIN_MILLIS);
        }
        return dev;
    }

    /**
     * Waits until every command that started on {@code dev} has finished, at most
     * {@code timeoutMillis}. Only those: commands held for the next device are in the task set
     * too, and waiting for them would wait for ourselves. A command's device is captured when it
     * starts, so one that started after the detach sees none (and is held or answered), and
     * {@code Command.device()} of such a command is the LU's, null now.
     */
    static boolean drain(LogicalUnit unit, BlockDevice dev, long timeoutMillis) {
        List<Command> pending = unit.taskSet().select(c -> c.isStarted() && c.device() == dev);
        if (pending.isEmpty()) {
            return true;
        }
        CountDownLatch latch = new CountDownLatch(pending.size());
        for (Command c : pending) {
            c.onFinish(latch::countDown);
        }
        try {
            return latch.await(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void applyOptions(LunConfig prev, LunConfig next) {
        LogicalUnit unit = lu;
        if (unit == null) {
            map();
            return;
        }
        // Properties of the LU, whatever the backend: no reopen.
        unit.setRemovable(next.removable());
        unit.setSanitizeBytesPerSecond(next.sanitizeRate());
        boolean protectedBefore = unit.writeProtected();
        unit.setConfiguredReadOnly(next.readOnly());
        BlockDevice dev = unit.device();
        if (dev == null) {
            if (unit.state() == LogicalUnit.State.FAILED) {
                bindIfNeeded(); // the new options may open where the old ones failed
            }
            modeParametersChanged(unit, protectedBefore);
            return;
        }
        Set<String> changed = changedKeys(prev, next);
        Set<String> needReopen = caseInsensitive();
        needReopen.addAll(changed);
        needReopen.removeAll(LIVE_OPTIONS);
        if (!next.readOnly() && dev.geometry().readOnly()) {
            // Opened read-only (no write access to the storage): writable needs a reopen.
            needReopen.add(LunConfig.READ_ONLY);
        }
        if (!needReopen.isEmpty()) {
            // path, blockSize, direct... : a reopen with the new options; same LU, same identity.
            LOG.info("{}: options {} changed, reopening", unit, needReopen);
            Backend b = bound;
            unbind("reopening with new options " + needReopen, true);
            bound = null;
            if (b != null && candidates.containsKey(b)) {
                open(unit, b);
            } else {
                bindIfNeeded();
            }
            modeParametersChanged(unit, protectedBefore);
            return;
        }
        modeParametersChanged(unit, protectedBefore);
        if (changed.contains("size")) {
            resize(unit, next.option("size"));
        }
        String wc = next.option("writeCache");
        if (changed.contains("writecache") && wc != null) {
            setWriteCache(unit, dev, wc);
        }
    }

    private static void modeParametersChanged(LogicalUnit unit, boolean protectedBefore) {
        if (protectedBefore != unit.writeProtected()) {
            // MODE SENSE's WP bit changed (SBC-3 §6.5.1, SPC-4 §5.14: MODE PARAMETERS CHANGED).
            unit.unitAttentions().establishForAll(SenseCodes.UA_MODE_PARAMETERS_CHANGED, null);
        }
    }

    private void setWriteCache(LogicalUnit unit, BlockDevice dev, String wc) {
        boolean on;
        try {
            on = new BackendOptions(unit.name(), Map.of("writeCache", wc)).bool("writeCache", true);
        } catch (BackendException e) {
            LOG.error("{}: {}", unit, e.getMessage());
            return;
        }
        if (dev.geometry().writeCache() == on) {
            return;
        }
        dev.setWriteCache(on, new IoCompletion<>() {
            @Override
            public void completed(Void result) {
                unit.refreshGeometry();
                unit.unitAttentions().establishForAll(SenseCodes.UA_MODE_PARAMETERS_CHANGED, null);
                LOG.info("{}: write cache {}", unit, on ? "on (write-back)" : "off (write-through)");
            }

            @Override
            public void failed(Sense sense) {
                LOG.warn("{}: backend refused writeCache={}: {}", unit, on, sense);
            }
        });
    }

    /**
     * Changes the capacity with the LU quiesced (held, drained), so that no I/O runs across the
     * old end while it moves; growing and shrinking are both allowed (SBC-3 §4.9 lets capacity
     * change; shrinking drops the data beyond the new end, the admin's call). Every I_T nexus then
     * gets CAPACITY DATA HAS CHANGED.
     */
    private void resize(LogicalUnit unit, String size) {
        BlockDevice current = unit.device();
        if (current == null || size == null) {
            return;
        }
        Geometry g = current.geometry();
        long bytes = BackendOptions.parseSize(size).orElse(-1);
        if (bytes < g.blockSize() || bytes % g.blockSize() != 0) {
            LOG.error("{}: size={} is not a whole number of {}-byte blocks (use bytes or K, M, G, T); not resized",
                    unit, size, g.blockSize());
            return;
        }
        long blocks = bytes / g.blockSize();
        if (blocks == g.blockCount()) {
            return;
        }
        BlockDevice dev = quiesce(unit, "resizing to " + size, true);
        try {
            dev.resize(blocks);
            LOG.info("{} resized from {} to {} blocks", unit, g.blockCount(), blocks);
        } catch (BackendException | RuntimeException e) {
            LOG.error("{}: resize to {} refused: {}", unit, size, e.getMessage());
        } finally {
            unit.attach(dev);
            BackendHold.of(unit).resume();
        }
        if (dev.geometry().blockCount() != g.blockCount()) {
            // SBC-3 §4.9: every I_T nexus learns the new capacity.
            unit.unitAttentions().establishForAll(SenseCodes.UA_CAPACITY_CHANGED, null);
        }
    }

    private static Set<String> changedKeys(LunConfig prev, LunConfig next) {
        Set<String> changed = caseInsensitive();
        for (String k : next.options().keySet()) {
            if (!Objects.equals(prev.option(k), next.option(k))) {
                changed.add(k.toLowerCase(java.util.Locale.ROOT));
            }
        }
        for (String k : prev.options().keySet()) {
            if (next.option(k) == null) {
                changed.add(k.toLowerCase(java.util.Locale.ROOT));
            }
        }
        return changed;
    }

    private static Set<String> caseInsensitive(String... keys) {
        Set<String> s = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        s.addAll(List.of(keys));
        return s;
    }

    private static String where(LunConfig c) {
        return c.mapped() ? c.target() : "(unmapped)";
    }

    /** What {@code LunService.luns()} reports. */
    public LunInfo info() {
        LunConfig c = config;
        LogicalUnit unit = lu;
        if (!c.mapped()) {
            return new LunInfo(c.name(), "", c.lun(), c.backend(), 0, 0, UNMAPPED,
                    "no target configured; set option target to map it");
        }
        if (unit == null) {
            return new LunInfo(c.name(), c.target(), c.lun(), c.backend(), 0, 0, LogicalUnit.State.FAILED.name(),
                    mapError == null ? "not mapped" : mapError);
        }
        Geometry g = unit.device() == null ? null : unit.geometry();
        String detail = unit.detail();
        BackendHold hold = unit.extensionIfPresent(BackendHold.class);
        if (hold != null && hold.isHolding()) {
            detail = detail + "; holding " + hold.heldNow() + " command(s), up to "
                    + c.backendGraceMillis() / 1000 + " s";
        }
        return new LunInfo(c.name(), c.target(), c.lun(), c.backend(), g == null ? 0 : g.capacityBytes(),
                g == null ? 0 : g.blockSize(), unit.state().name(), detail);
    }
}
