package dev.lunar.iscsi.internal.login;

/**
 * The target's preferred values for the operational keys of RFC 7143 §13: what it answers with when
 * a result function (min, max, AND, OR) lets it choose. Configuration may override them;
 * {@link #standard()} is the product default. Values beyond what the transport handles are clamped
 * by the negotiator against {@link dev.lunar.spi.transport.TransportLimits}.
 */
public record NegotiationDefaults(
        int maxRecvDataSegmentLength,
        int maxBurstLength,
        int firstBurstLength,
        boolean immediateData,
        boolean initialR2T,
        int maxOutstandingR2T,
        int maxConnections,
        int errorRecoveryLevel,
        int defaultTime2Wait,
        int defaultTime2Retain,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder,
        boolean headerDigestAllowed,
        boolean dataDigestAllowed) {

    public NegotiationDefaults {
        requireRange("MaxRecvDataSegmentLength", maxRecvDataSegmentLength, 512, 16777215);
        requireRange("MaxBurstLength", maxBurstLength, 512, 16777215);
        requireRange("FirstBurstLength", firstBurstLength, 512, 16777215);
        requireRange("MaxOutstandingR2T", maxOutstandingR2T, 1, 65535);
        requireRange("MaxConnections", maxConnections, 1, 65535);
        requireRange("ErrorRecoveryLevel", errorRecoveryLevel, 0, 2);
        requireRange("DefaultTime2Wait", defaultTime2Wait, 0, 3600);
        requireRange("DefaultTime2Retain", defaultTime2Retain, 0, 3600);
        if (firstBurstLength > maxBurstLength) {
            throw new IllegalArgumentException("FirstBurstLength " + firstBurstLength
                    + " exceeds MaxBurstLength " + maxBurstLength + " (RFC 7143 §13.14)");
        }
    }

    /**
     * Product defaults: large bursts, immediate and unsolicited data, one connection and ERL 0 until
     * MC/S and ERL 1/2 exist, digests allowed when the initiator asks.
     */
    public static NegotiationDefaults standard() {
        return new NegotiationDefaults(262144, 1048576, 262144, true, false, 8, 1, 0, 2, 20, true, true, true, true);
    }

    private static void requireRange(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " " + value + " outside " + min + ".." + max);
        }
    }
}
