package dev.lunar.scsi.internal.target;

import dev.lunar.scsi.internal.lun.LogicalUnit;
import dev.lunar.spi.scsi.Nexus;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.scsi.TmfRequest;
import dev.lunar.spi.scsi.TmfResponse;
import dev.lunar.spi.scsi.TmfResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One I_T nexus: an initiator port logged in to a target port of one target. Its
 * {@link #name()} keys per-nexus state in the logical units (unit attentions, reservations).
 *
 * <p>What the nexus sees follows its target's access control entries live
 * ({@link ScsiTarget#access}): a masked LUN is answered exactly like a LUN that does not exist
 * ({@link #lookup}, {@link #logicalUnits}), and a read-only entry write protects every LUN
 * ({@link #readOnly}). An initiator removed from a target that keeps other ACLs stays logged in
 * but sees no LUN from its next command on; ending the session is the port's business.
 */
public final class ScsiNexus implements Nexus {

    private final DeviceServerCore server;
    private final ScsiTarget target;
    private final String initiatorPort;
    private final String targetPort;
    private final int relativeTargetPortId;
    private final boolean readOnly;
    private final String name;
    private final String initiatorKey;
    private volatile boolean closed;

    ScsiNexus(DeviceServerCore server, ScsiTarget target, String initiatorPort, String targetPort,
            int relativeTargetPortId, boolean readOnly) {
        this.server = server;
        this.target = target;
        this.initiatorPort = initiatorPort;
        this.targetPort = targetPort;
        this.relativeTargetPortId = relativeTargetPortId;
        this.readOnly = readOnly;
        this.name = initiatorPort + "|" + targetPort;
        this.initiatorKey = AccessGrant.key(initiatorName());
    }

    @Override
    public void execute(ScsiTask task) {
        server.dispatcher().execute(this, task);
    }

    @Override
    public void manage(TmfRequest request, Consumer<TmfResponse> done) {
        if (closed) {
            done.accept(TmfResponse.of(TmfResult.FUNCTION_REJECTED));
            return;
        }
        server.taskManagement().manage(this, request, done);
    }

    @Override
    public void close() {
        server.closeNexus(this);
    }

    /** Marks closed; true the first time. */
    synchronized boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    public boolean closed() {
        return closed;
    }

    public ScsiTarget target() {
        return target;
    }

    /** The device server this nexus belongs to (target port groups, other targets). */
    public DeviceServerCore server() {
        return server;
    }

    /** The initiator port name, e.g. {@code iqn.1993-08.org.debian:01:abc,i,0x23d000000001}. */
    public String initiatorPort() {
        return initiatorPort;
    }

    /** The initiator device name: the initiator port name without its ",i,0x<ISID>" suffix. */
    public String initiatorName() {
        int i = initiatorPort.indexOf(",i,");
        return i < 0 ? initiatorPort : initiatorPort.substring(0, i);
    }

    /** The target port name, e.g. {@code iqn.2026-01.dev.lunar:disk1,t,0x1}. */
    public String targetPort() {
        return targetPort;
    }

    /** The relative target port identifier: the iSCSI target portal group tag (SPC-4 §7.8.6.6). */
    public int relativeTargetPortId() {
        return relativeTargetPortId;
    }

    /**
     * The target port group of this nexus's port: one port per group, so its number is the
     * relative target port identifier (the tpgt; {@link PortGroups}).
     */
    public int targetPortGroup() {
        return relativeTargetPortId;
    }

    /** The asymmetric access state of this nexus's target port group, now (lock-free, live). */
    public PortGroups.AccessState accessState() {
        return server.portGroups().state(targetPortGroup());
    }

    /**
     * Every LUN is write protected for this nexus: the port opened it read-only, or the target's
     * ACL entry for this initiator says {@code readOnly} (checked at every call: live).
     */
    public boolean readOnly() {
        return readOnly || target.access(initiatorKey).readOnly();
    }

    /** Whether LUN {@code lun} is visible to this nexus under the target's ACL right now. */
    public boolean sees(int lun) {
        return target.access(initiatorKey).sees(lun);
    }

    /**
     * The LU addressed by an 8-byte SAM LUN as this nexus sees it: null for an unmapped LUN and
     * for one the ACL masks, so both get the same answer (LOGICAL UNIT NOT SUPPORTED, peripheral
     * qualifier 011b for INQUIRY; SPC-4 §6.6.2).
     */
    public LogicalUnit lookup(long samLun) {
        LogicalUnit lu = target.lookup(samLun);
        return lu == null || !sees(lu.lun()) ? null : lu;
    }

    /** The target's LUs this nexus sees, in LUN order (REPORT LUNS, EXTENDED COPY targets). */
    public List<LogicalUnit> logicalUnits() {
        AccessGrant access = target.access(initiatorKey);
        List<LogicalUnit> out = new ArrayList<>();
        for (LogicalUnit lu : target.logicalUnits()) {
            if (access.sees(lu.lun())) {
                out.add(lu);
            }
        }
        return out;
    }

    /** The ACL key of this nexus's initiator ({@link AccessGrant#key}). */
    String initiatorKey() {
        return initiatorKey;
    }

    /** Stable key of this I_T nexus across reconnects with the same ISID. */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "nexus " + name;
    }
}
