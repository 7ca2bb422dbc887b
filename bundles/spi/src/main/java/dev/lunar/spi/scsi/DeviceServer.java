package dev.lunar.spi.scsi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The SCSI target device: logical units grouped by target, executing commands for any transport
 * protocol. Registered by the scsi core as a service; used by the iscsi bundle.
 */
@ProviderType
public interface DeviceServer {

    /**
     * Opens an I_T nexus. Called on any thread; does not block.
     *
     * @param targetName the SCSI target device name (iSCSI: the target IQN)
     * @param initiatorPort the initiator port name (iSCSI: {@code "<name>,i,0x<ISID>"})
     * @param targetPort the target port name (iSCSI: {@code "<target>,t,0x<TPGT>"})
     * @param relativeTargetPortId relative target port identifier (1-based)
     * @param readOnly the initiator's ACL grants read-only access to every LUN
     */
    Nexus openNexus(String targetName, String initiatorPort, String targetPort,
            int relativeTargetPortId, boolean readOnly);
}
