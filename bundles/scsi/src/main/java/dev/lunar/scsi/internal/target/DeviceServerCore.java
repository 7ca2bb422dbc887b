package dev.lunar.scsi.internal.target;

import dev.lunar.scsi.internal.command.Command;
import dev.lunar.scsi.internal.command.CommandTable;
import dev.lunar.scsi.internal.command.Dispatcher;
import dev.lunar.scsi.internal.command.LogicalUnitListener;
import dev.lunar.scsi.internal.command.TaskManagement;
import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.scsi.internal.sense.SenseCodes;
import dev.lunar.spi.scsi.DeviceServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCSI target device server (FreeBSD CTL's role): targets, their logical units and I_T
 * nexuses, the command dispatcher and task management. Plain Java, no OSGi: the DS components in
 * {@code dev.lunar.scsi.internal.osgi} only adapt it, so unit tests drive it directly.
 */
public final class DeviceServerCore implements DeviceServer {

    private static final Logger LOG = LoggerFactory.getLogger(DeviceServerCore.class);

    private final CommandTable table;
    private final Dispatcher dispatcher;
    private final TaskManagement taskManagement;
    private final ConcurrentMap<String, ScsiTarget> targets = new ConcurrentHashMap<>();
    private final PortGroups portGroups = new PortGroups(this);

    public DeviceServerCore(CommandTable table) {
        this.table = table;
        this.dispatcher = new Dispatcher(table);
        this.taskManagement = new TaskManagement(table);
    }

    public CommandTable table() {
        return table;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    public TaskManagement taskManagement() {
        return taskManagement;
    }

    /** ALUA target port groups (= portal group tags) and their access states. */
    public PortGroups portGroups() {
        return portGroups;
    }

    /** The target of that name, created empty on first use (answers REPORT LUNS with no LUNs). */
    public ScsiTarget target(String name) {
        return targets.computeIfAbsent(ScsiTarget.key(name), k -> new ScsiTarget(name));
    }

    public List<ScsiTarget> targets() {
        return new ArrayList<>(targets.values());
    }

    @Override
    public ScsiNexus openNexus(String targetName, String initiatorPort, String targetPort,
            int relativeTargetPortId, boolean readOnly) {
        ScsiTarget t = target(targetName);
        ScsiNexus n = new ScsiNexus(this, t, initiatorPort, targetPort, relativeTargetPortId, readOnly);
        t.nexuses().add(n);
        t.relativePorts().add(relativeTargetPortId);
        for (LogicalUnit lu : t.logicalUnits()) {
            lu.unitAttentions().nexusOpened(n.name(), SenseCodes.UA_POWER_ON_RESET);
        }
        LOG.debug("Opened {} on {}", n, t);
        return n;
    }

    /** I_T nexus loss (SAM-5 §6.3.4): abort its tasks, tell listeners, establish 29/07. */
    void closeNexus(ScsiNexus n) {
        if (!n.markClosed()) {
            return;
        }
        n.target().nexuses().remove(n);
        taskManagement.nexusLoss(n, null);
        LOG.debug("Closed {}", n);
    }

    /**
     * Maps a logical unit into its target. Every nexus gets POWER ON for it, and REPORTED LUNS
     * DATA HAS CHANGED on the target's other LUs (SPC-4 §6.33).
     *
     * @throws IllegalStateException when the LUN number is taken by another configuration
     */
    public void addLogicalUnit(LogicalUnit lu) {
        ScsiTarget t = target(lu.targetName());
        LogicalUnit old = t.putIfAbsent(lu);
        if (old != null && old != lu) {
            throw new IllegalStateException("LUN " + lu.lun() + " of " + lu.targetName()
                    + " is already used by LUN configuration " + old.name());
        }
        if (old == null) {
            for (LogicalUnitListener l : table.listeners()) {
                l.added(lu);
            }
        }
        for (ScsiNexus n : t.nexuses()) {
            lu.unitAttentions().nexusSeen(n.name(), SenseCodes.UA_POWER_ON_RESET);
        }
        inventoryChanged(t, lu);
        LOG.info("Mapped {}", lu);
    }

    /**
     * Unmaps a logical unit: new commands get LOGICAL UNIT NOT SUPPORTED at once; outstanding ones
     * run to completion for at most {@code timeoutMillis}, then are aborted (DESIGN §3.3: removal
     * waits, bounded, for outstanding I/O). The caller closes the device afterwards.
     *
     * @return true when everything drained in time
     */
    public boolean removeLogicalUnit(LogicalUnit lu, long timeoutMillis) {
        ScsiTarget t = target(lu.targetName());
        if (!t.remove(lu)) {
            return true;
        }
        inventoryChanged(t, lu);
        boolean drained = drain(lu, timeoutMillis);
        if (!drained) {
            List<Command> cut = lu.taskSet().select(c -> true);
            LOG.warn("{} removed with {} tasks still running after {} ms; aborting them", lu, cut.size(),
                    timeoutMillis);
            for (Command c : cut) {
                c.abort(() -> { });
            }
        }
        for (LogicalUnitListener l : table.listeners()) {
            l.removed(lu);
        }
        LOG.info("Unmapped {}", lu);
        return drained;
    }

    /** Waits until the LU's task set is empty, at most {@code timeoutMillis}. */
    public static boolean drain(LogicalUnit lu, long timeoutMillis) {
        List<Command> pending = lu.taskSet().select(c -> true);
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

    /**
     * REPORTED LUNS DATA HAS CHANGED (3F/0E) on the target's other LUs for every open nexus that
     * sees {@code changed} (SPC-4 §7.5.3: the inventory an initiator can see changed). A nexus the
     * ACLs hide that LUN from saw no change; a closed nexus gets 29/00 when it comes back anyway.
     */
    private static void inventoryChanged(ScsiTarget t, LogicalUnit changed) {
        for (ScsiNexus n : t.nexuses()) {
            if (!n.sees(changed.lun())) {
                continue;
            }
            for (LogicalUnit other : t.logicalUnits()) {
                if (other != changed) {
                    other.unitAttentions().establish(n.name(), SenseCodes.UA_REPORTED_LUNS_CHANGED);
                }
            }
        }
    }
}
