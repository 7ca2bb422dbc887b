package dev.lunar.iscsi.internal.login;

/**
 * One Login Request PDU as the negotiator sees it (RFC 7143 §11.12): the BHS fields that matter to
 * login and this PDU's data segment. The session layer decodes the PDU and builds this record; the
 * negotiator never touches PDUs or buffers.
 *
 * @param versionMax Version-max field
 * @param versionMin Version-min field
 * @param transit T bit: the initiator is ready to move to {@code nsg}
 * @param cont C bit: the text continues in the next Login Request (RFC 7143 §11.12.2)
 * @param csg current stage (0 security, 1 operational, 3 full feature is never valid here)
 * @param nsg next stage, meaningful only when {@code transit}
 * @param isid initiator part of the session id, 48 bits in the low bits of the long
 * @param tsih target session identifying handle, 0 for a new session
 * @param itt initiator task tag
 * @param cid connection id
 * @param cmdSN CmdSN field
 * @param expStatSN ExpStatSN field
 * @param text this PDU's data segment (key=value pairs, not yet parsed); never null, may be empty
 */
public record LoginRequest(
        int versionMax,
        int versionMin,
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        long isid,
        int tsih,
        int itt,
        int cid,
        int cmdSN,
        int expStatSN,
        byte[] text) {

    public LoginRequest {
        if (text == null) {
            text = new byte[0];
        }
    }
}
