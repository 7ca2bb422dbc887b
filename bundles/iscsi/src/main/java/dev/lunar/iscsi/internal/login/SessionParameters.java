package dev.lunar.iscsi.internal.login;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every value a login negotiated (RFC 7143 §13), as the full feature phase uses it. Keys the
 * initiator never offered hold their RFC defaults. On a connection that joins an existing session
 * ({@link SessionCheck#ADD_CONNECTION}) the session-wide values (everything but the digests and the
 * two MaxRecvDataSegmentLength values) are not negotiated again and hold RFC defaults: use the
 * session's own.
 *
 * @param headerDigest CRC32C header digests on this connection
 * @param dataDigest CRC32C data digests on this connection
 * @param maxConnections MaxConnections
 * @param initialR2T InitialR2T
 * @param immediateData ImmediateData
 * @param maxRecvDataSegmentLength the initiator's declared MaxRecvDataSegmentLength, clamped to the
 *     transport's send limit: the largest data segment WE may send
 * @param targetMaxRecvDataSegmentLength what we declared: the largest data segment we accept
 * @param maxBurstLength MaxBurstLength
 * @param firstBurstLength FirstBurstLength (never above maxBurstLength)
 * @param defaultTime2Wait DefaultTime2Wait, seconds
 * @param defaultTime2Retain DefaultTime2Retain, seconds
 * @param maxOutstandingR2T MaxOutstandingR2T
 * @param dataPduInOrder DataPDUInOrder
 * @param dataSequenceInOrder DataSequenceInOrder
 * @param errorRecoveryLevel ErrorRecoveryLevel
 * @param sessionType Normal or Discovery
 * @param initiatorName InitiatorName
 * @param initiatorAlias InitiatorAlias, null when not sent
 * @param targetName TargetName, null for discovery sessions that did not name one
 * @param protocolLevel negotiated iSCSIProtocolLevel (RFC 7144)
 * @param chapUser CHAP_N the initiator authenticated as, null when no CHAP was done
 */
public record SessionParameters(
        boolean headerDigest,
        boolean dataDigest,
        int maxConnections,
        boolean initialR2T,
        boolean immediateData,
        int maxRecvDataSegmentLength,
        int targetMaxRecvDataSegmentLength,
        int maxBurstLength,
        int firstBurstLength,
        int defaultTime2Wait,
        int defaultTime2Retain,
        int maxOutstandingR2T,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder,
        int errorRecoveryLevel,
        SessionType sessionType,
        String initiatorName,
        String initiatorAlias,
        String targetName,
        int protocolLevel,
        String chapUser) {

    /** The session is a discovery session (SendTargets only, no SCSI). */
    public boolean discovery() {
        return sessionType == SessionType.DISCOVERY;
    }

    /** Key names and values in RFC spelling, for the shell and logs (no secrets). */
    public Map<String, String> asMap() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put("SessionType", sessionType.keyValue());
        map.put("InitiatorName", initiatorName);
        if (initiatorAlias != null) {
            map.put("InitiatorAlias", initiatorAlias);
        }
        if (targetName != null) {
            map.put("TargetName", targetName);
        }
        map.put("HeaderDigest", headerDigest ? "CRC32C" : "None");
        map.put("DataDigest", dataDigest ? "CRC32C" : "None");
        map.put("MaxConnections", Integer.toString(maxConnections));
        map.put("InitialR2T", yesNo(initialR2T));
        map.put("ImmediateData", yesNo(immediateData));
        map.put("MaxRecvDataSegmentLength", Integer.toString(maxRecvDataSegmentLength));
        map.put("TargetMaxRecvDataSegmentLength", Integer.toString(targetMaxRecvDataSegmentLength));
        map.put("MaxBurstLength", Integer.toString(maxBurstLength));
        map.put("FirstBurstLength", Integer.toString(firstBurstLength));
        map.put("DefaultTime2Wait", Integer.toString(defaultTime2Wait));
        map.put("DefaultTime2Retain", Integer.toString(defaultTime2Retain));
        map.put("MaxOutstandingR2T", Integer.toString(maxOutstandingR2T));
        map.put("DataPDUInOrder", yesNo(dataPduInOrder));
        map.put("DataSequenceInOrder", yesNo(dataSequenceInOrder));
        map.put("ErrorRecoveryLevel", Integer.toString(errorRecoveryLevel));
        map.put("iSCSIProtocolLevel", Integer.toString(protocolLevel));
        map.put("AuthMethod", chapUser == null ? "None" : "CHAP");
        if (chapUser != null) {
            map.put("CHAP_N", chapUser);
        }
        return map;
    }

    private static String yesNo(boolean value) {
        return value ? "Yes" : "No";
    }
}
