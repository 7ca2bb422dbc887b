package dev.lunar.scsi.internal.target;

import dev.lunar.spi.scsi.Nexus;
import dev.lunar.spi.scsi.ScsiTask;
import dev.lunar.spi.scsi.TmfRequest;
import dev.lunar.spi.scsi.TmfResponse;
import dev.lunar.spi.scsi.TmfResult;
import java.util.function.Consumer;

/**
 * One I_T nexus: an initiator port logged in to a target port of one target. Its
 * {@link #name()} keys per-nexus state in the logical units (unit attentions, reservations).
 */
public final class ScsiNexus implements Nexus {

    private final DeviceServerCore server;
    private final ScsiTarget target;
    private final String initiatorPort;
    private final String targetPort;
    private final int relativeTargetPortId;
    private final boolean readOnly;
    private final String name;
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

    public int relativeTargetPortId() {
        return relativeTargetPortId;
    }

    /** The ACL grants read-only access. */
    public boolean readOnly() {
        return readOnly;
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
