package dev.lunar.spi.transport;

/**
 * What a transport can do; login negotiation reads it so it never offers more than the transport
 * handles (FreeBSD ICL's {@code icl_limits}).
 *
 * @param maxRecvDataSegmentLength largest data segment the transport can receive in one PDU
 * @param maxSendDataSegmentLength largest data segment it can send in one PDU
 * @param maxBurstLength largest solicited or unsolicited sequence it can place at once
 * @param digestOffload CRC32C digests are computed by the transport or its engine at no CPU cost
 * @param zeroCopySend file regions and backend memory are sent without a copy
 */
public record TransportLimits(
        int maxRecvDataSegmentLength,
        int maxSendDataSegmentLength,
        int maxBurstLength,
        boolean digestOffload,
        boolean zeroCopySend) {

    public TransportLimits {
        if (maxRecvDataSegmentLength < 512 || maxSendDataSegmentLength < 512 || maxBurstLength < 512) {
            throw new IllegalArgumentException("transport limits below 512 bytes");
        }
    }
}
