package dev.lunar.scsi.internal.lun;

import dev.lunar.api.IoStatsRecorder;
import dev.lunar.scsi.internal.command.TaskSet;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.scsi.Sense;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * One logical unit: its identity, the backend device while one is bound, mode pages, unit
 * attentions, task set, and per-LU state of command families ({@link #extension}). It outlives
 * its backend: while none is bound the LU answers NOT READY and keeps its identity (DESIGN §3.5).
 */
public final class LogicalUnit {

    /** Lifecycle as {@code LunService} reports it. */
    public enum State {
        /** A backend device is open. */
        READY,
        /** No backend of the configured kind is registered yet (NOT READY, becoming ready). */
        WAITING,
        /** The backend refused to open the device (NOT READY, manual intervention required). */
        FAILED
    }

    private final String name;
    private final String targetName;
    private final int lun;
    private final String backendKind;
    private final LunIdentity identity;
    private final ModePages modePages;
    private final UnitAttentions unitAttentions = new UnitAttentions();
    private final TaskSet taskSet;
    private final Path stateDirectory;
    private final ConcurrentMap<Class<?>, Object> extensions = new ConcurrentHashMap<>();
    /** Every command that ran on this LU, from any nexus, since it was mapped (LunService.lunStats). */
    private final IoStatsRecorder ioStats = new IoStatsRecorder();

    private volatile BlockDevice device;
    private volatile Geometry geometry;
    private volatile State state = State.WAITING;
    private volatile String detail = "waiting for a backend";
    private volatile boolean removable;
    private volatile long sanitizeBytesPerSecond;
    private volatile boolean mediumLoaded = true;
    private volatile boolean configuredReadOnly;

    /**
     * @param queueDepth tasks the LU accepts before TASK SET FULL
     * @param stateDirectory where command families may persist state (APTPL), or null for none
     */
    public LogicalUnit(String name, String targetName, int lun, String backendKind, int queueDepth,
            Path stateDirectory) {
        this.name = name;
        this.targetName = targetName;
        this.lun = lun;
        this.backendKind = backendKind;
        this.identity = LunIdentity.of(targetName, name);
        this.modePages = new ModePages(false, true);
        this.taskSet = new TaskSet(queueDepth);
        this.stateDirectory = stateDirectory;
    }

    /** The configuration name. */
    public String name() {
        return name;
    }

    public String targetName() {
        return targetName;
    }

    public int lun() {
        return lun;
    }

    public String backendKind() {
        return backendKind;
    }

    public LunIdentity identity() {
        return identity;
    }

    public ModePages modePages() {
        return modePages;
    }

    public UnitAttentions unitAttentions() {
        return unitAttentions;
    }

    public TaskSet taskSet() {
        return taskSet;
    }

    /**
     * The LU's I/O counters: commands complete into it on any thread ({@code Command}), and
     * {@code LunService.lunStats()} snapshots it. They survive backend swaps (same LU) and start
     * again when the LUN is remapped.
     */
    public IoStatsRecorder ioStats() {
        return ioStats;
    }

    /** Directory for persistent per-LU state (e.g. APTPL reservations), or null. */
    public Path stateDirectory() {
        return stateDirectory;
    }

    /**
     * Per-LU state of a command family, created on first use: reservations, COMPARE AND WRITE
     * locks, copy operations. Keeps {@code LogicalUnit} free of every family's fields.
     */
    @SuppressWarnings("unchecked")
    public <T> T extension(Class<T> type, Function<LogicalUnit, T> create) {
        // get() first: every command asks for the reservation state, and computeIfAbsent's
        // capturing lambda would be one allocation per command (JMH ScsiDispatchBenchmark).
        Object present = extensions.get(type);
        if (present != null) {
            return (T) present;
        }
        return (T) extensions.computeIfAbsent(type, k -> create.apply(this));
    }

    /** The extension of this type if created, else null. */
    public <T> T extensionIfPresent(Class<T> type) {
        return type.cast(extensions.get(type));
    }

    public BlockDevice device() {
        return device;
    }

    public Geometry geometry() {
        return geometry;
    }

    public State state() {
        return state;
    }

    public String detail() {
        return detail;
    }

    /** Binds an opened backend device; the LU becomes READY. */
    public void attach(BlockDevice dev) {
        Geometry g = dev.geometry();
        this.geometry = g;
        this.device = dev;
        modePages.setWriteCacheEnabled(g.writeCache());
        this.detail = "";
        this.state = State.READY;
    }

    /** Unbinds the device (the caller closes it); the LU answers NOT READY. */
    public BlockDevice detach(State newState, String why) {
        BlockDevice old = device;
        this.device = null;
        this.state = newState;
        this.detail = why;
        return old;
    }

    /** Re-reads the geometry after a resize or write cache change. */
    public void refreshGeometry() {
        BlockDevice d = device;
        if (d != null) {
            geometry = d.geometry();
            modePages.setWriteCacheEnabled(geometry.writeCache());
        }
    }

    /** Why a medium access command cannot run now, or null when it can (SBC-3 §4.17). */
    public Sense notReadySense() {
        if (device == null) {
            return state == State.FAILED ? SenseCodes.NOT_READY_MANUAL_INTERVENTION
                    : SenseCodes.NOT_READY_BECOMING_READY;
        }
        if (!mediumLoaded) {
            return SenseCodes.MEDIUM_NOT_PRESENT;
        }
        return null;
    }

    /**
     * Whether the LU presents removable medium (RMB in standard INQUIRY): an admin's choice per
     * LUN (option {@code removable}), for virtual CD/DVD or USB-stick style exports that hosts
     * may eject with START STOP UNIT. Set by the LUN binding before the LU is mapped and on
     * configuration change; read by any thread.
     */
    public boolean removable() {
        return removable;
    }

    /** The most bytes per second a SANITIZE OVERWRITE may write; 0 for unlimited (option sanitizeRate). */
    public long sanitizeBytesPerSecond() {
        return sanitizeBytesPerSecond;
    }

    public void setSanitizeBytesPerSecond(long bytesPerSecond) {
        this.sanitizeBytesPerSecond = Math.max(0, bytesPerSecond);
    }

    public void setRemovable(boolean removable) {
        this.removable = removable;
        if (!removable) {
            // A fixed disk has no medium to be out: whatever an eject did is undone.
            mediumLoaded = true;
        }
    }

    /**
     * False after START STOP UNIT ejected the medium (LOEJ = 1, START = 0), until it is loaded
     * again (LOEJ = 1, START = 1): medium access commands get NOT READY, MEDIUM NOT PRESENT. The
     * backend device stays open; only the initiator's view changes.
     */
    public boolean mediumLoaded() {
        return mediumLoaded;
    }

    public void setMediumLoaded(boolean loaded) {
        this.mediumLoaded = loaded || !removable;
    }

    /** Read-only backend, LUN option readOnly, or SWP set (SPC-4 §7.5.7); the nexus's ACL is checked separately. */
    public boolean writeProtected() {
        Geometry g = geometry;
        return configuredReadOnly || (g != null && g.readOnly()) || modePages.softwareWriteProtect();
    }

    /** LUN option readOnly turned on live: write-protected without reopening a writable device. */
    public void setConfiguredReadOnly(boolean readOnly) {
        this.configuredReadOnly = readOnly;
    }

    @Override
    public String toString() {
        return "LUN " + lun + " (" + name + ") of " + targetName;
    }
}
