package dev.lunar.api;

import java.util.Map;

/**
 * A logged-in iSCSI session.
 *
 * @param tsih target session identifying handle
 * @param initiator initiator name
 * @param isid initiator session id, hex
 * @param target target name, or empty for a discovery session
 * @param connections number of connections
 * @param transport transport kind of the (first) connection
 * @param remoteAddress initiator address and port of the (first) connection
 * @param parameters negotiated operational parameters
 */
public record SessionInfo(int tsih, String initiator, String isid, String target, int connections,
        String transport, String remoteAddress, Map<String, String> parameters) {
}
