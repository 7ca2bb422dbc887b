package dev.lunar.spi.transport;

/**
 * What login negotiated that the transport needs to frame PDUs (RFC 7143 §13).
 *
 * @param headerDigest CRC32C on headers
 * @param dataDigest CRC32C on data segments
 * @param maxRecvDataSegmentLength largest data segment we accept; a larger one is a protocol
 *     error the transport reports by closing the connection (never by allocating it)
 * @param maxSendDataSegmentLength largest data segment the initiator accepts from us
 */
public record ConnectionSettings(
        boolean headerDigest,
        boolean dataDigest,
        int maxRecvDataSegmentLength,
        int maxSendDataSegmentLength) {

    /** What holds during login, before anything is negotiated (RFC 7143 §6.1: 8192 bytes). */
    public static final ConnectionSettings LOGIN = new ConnectionSettings(false, false, 8192, 8192);
}
