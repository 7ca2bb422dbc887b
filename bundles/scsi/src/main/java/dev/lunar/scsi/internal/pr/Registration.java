package dev.lunar.scsi.internal.pr;

import dev.lunar.scsi.internal.target.ScsiNexus;

/**
 * One persistent reservation registration (SPC-4 "Registering"): the reservation key of an I_T nexus, or
 * of an initiator port on every target port of the target when registered with ALL_TG_PT = 1.
 * Immutable; a key change replaces the record.
 *
 * @param initiatorPort initiator port name ({@code name,i,0x<ISID>} for iSCSI)
 * @param targetPort target port name the registration was made through
 * @param relativeTargetPortId that port's RELATIVE TARGET PORT IDENTIFIER (READ FULL STATUS)
 * @param allTargetPorts registered with ALL_TG_PT = 1: covers every target port
 * @param key the reservation key, never 0
 */
public record Registration(String initiatorPort, String targetPort, int relativeTargetPortId,
        boolean allTargetPorts, long key) {

    /** Whether commands from {@code nexus} are made under this registration. */
    public boolean covers(ScsiNexus nexus) {
        return covers(nexus.initiatorPort(), nexus.targetPort());
    }

    public boolean covers(String initiator, String target) {
        return initiatorPort.equals(initiator) && (allTargetPorts || targetPort.equals(target));
    }

    /** The same registration with another key. */
    public Registration withKey(long newKey) {
        return new Registration(initiatorPort, targetPort, relativeTargetPortId, allTargetPorts, newKey);
    }

    /**
     * The I_T nexus name this registration was made through, the key of per-nexus state such as
     * unit attentions (same shape as {@link ScsiNexus#name()}).
     */
    public String nexusName() {
        return initiatorPort + "|" + targetPort;
    }
}
