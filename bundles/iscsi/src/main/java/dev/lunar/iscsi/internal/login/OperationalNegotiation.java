package dev.lunar.iscsi.internal.login;

import dev.lunar.pdu.text.TextFormatException;
import dev.lunar.pdu.text.TextValues;
import dev.lunar.spi.transport.TransportLimits;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Operational parameter negotiation of one login (RFC 7143 §6.2, §13): the key table with each
 * key's kind and result function, and the values agreed so far (RFC defaults until negotiated).
 * Not thread-safe; one per login.
 */
final class OperationalNegotiation {

    /** Where a key may appear and who handles it. */
    enum KeyKind {
        /** InitiatorName, TargetName, SessionType, InitiatorAlias: declared by the initiator, any login stage. */
        LOGIN_DECLARATIVE,
        /** AuthMethod and CHAP keys: security stage only (RFC 7143 §6.3.2). */
        SECURITY,
        /** Session-wide (leading only) operational keys: operational stage of the leading connection. */
        SESSION,
        /** Per-connection operational keys: operational stage. */
        CONNECTION,
        /** Keys only a target sends (RFC 7143 §13: "Senders: Target"). */
        TARGET_ONLY,
        /** Keys used in the full feature phase only (SendTargets, §13.3). */
        FULL_FEATURE_ONLY
    }

    /** Answers one offered value; a TextFormatException means the value is invalid: answer Reject. */
    @FunctionalInterface
    interface KeyRule {
        String answer(OperationalNegotiation negotiation, String offered) throws TextFormatException, LoginFailure;
    }

    /**
     * One row of the key table.
     *
     * @param irrelevantInDiscovery RFC 7143 §13 lists "Irrelevant when: SessionType=Discovery"
     * @param rule null for keys not negotiated here (declarative, security, target-only)
     */
    record KeyDefinition(String name, KeyKind kind, boolean irrelevantInDiscovery, KeyRule rule) {
    }

    static final String MAX_RECV_DATA_SEGMENT_LENGTH = "MaxRecvDataSegmentLength";
    static final String FIRST_BURST_LENGTH = "FirstBurstLength";
    static final String MAX_OUTSTANDING_R2T = "MaxOutstandingR2T";

    /**
     * Keys whose answer depends on other keys (FirstBurstLength on InitialR2T, ImmediateData and
     * MaxBurstLength; MaxOutstandingR2T on ErrorRecoveryLevel and DataSequenceInOrder): answered after
     * the rest of their request.
     */
    static final Set<String> DEPENDENT_KEYS = Set.of(FIRST_BURST_LENGTH, MAX_OUTSTANDING_R2T);
    static final String NOT_UNDERSTOOD = "NotUnderstood";
    static final String IRRELEVANT = "Irrelevant";
    static final String REJECT = "Reject";

    /** iSCSIProtocolLevel we implement: RFC 7143 (RFC 7144 §2.1 assigns 1). */
    static final int PROTOCOL_LEVEL = 1;

    private static final int MAX_24_BIT = 16777215;
    private static final Map<String, KeyDefinition> TABLE = new HashMap<>();

    static {
        declare("InitiatorName", KeyKind.LOGIN_DECLARATIVE);
        declare("TargetName", KeyKind.LOGIN_DECLARATIVE);
        declare("SessionType", KeyKind.LOGIN_DECLARATIVE);
        declare("InitiatorAlias", KeyKind.LOGIN_DECLARATIVE);
        declare(SecurityNegotiation.AUTH_METHOD, KeyKind.SECURITY);
        declare(SecurityNegotiation.CHAP_A, KeyKind.SECURITY);
        declare(SecurityNegotiation.CHAP_I, KeyKind.SECURITY);
        declare(SecurityNegotiation.CHAP_C, KeyKind.SECURITY);
        declare(SecurityNegotiation.CHAP_N, KeyKind.SECURITY);
        declare(SecurityNegotiation.CHAP_R, KeyKind.SECURITY);
        declare("TargetAlias", KeyKind.TARGET_ONLY);
        declare("TargetAddress", KeyKind.TARGET_ONLY);
        declare("TargetPortalGroupTag", KeyKind.TARGET_ONLY);
        declare("SendTargets", KeyKind.FULL_FEATURE_ONLY);

        // RFC 7143 §13.1: list, first of the initiator's values we accept
        rule("HeaderDigest", KeyKind.CONNECTION, false,
                (n, v) -> n.digest(v, n.defaults.headerDigestAllowed(), true));
        rule("DataDigest", KeyKind.CONNECTION, false,
                (n, v) -> n.digest(v, n.defaults.dataDigestAllowed(), false));
        // §13.2: numerical, minimum
        rule("MaxConnections", KeyKind.SESSION, true, (n, v) -> {
            n.maxConnections = (int) Math.min(TextValues.parseNumber(v, 1, 65535), n.defaults.maxConnections());
            return Integer.toString(n.maxConnections);
        });
        // §13.10: boolean, OR
        rule("InitialR2T", KeyKind.SESSION, true, (n, v) -> {
            n.initialR2T = TextValues.parseBoolean(v) || n.defaults.initialR2T();
            return TextValues.formatBoolean(n.initialR2T);
        });
        // §13.11: boolean, AND
        rule("ImmediateData", KeyKind.SESSION, true, (n, v) -> {
            n.immediateData = TextValues.parseBoolean(v) && n.defaults.immediateData();
            return TextValues.formatBoolean(n.immediateData);
        });
        // §13.12: declarative per direction; the answer is our own declaration
        rule(MAX_RECV_DATA_SEGMENT_LENGTH, KeyKind.CONNECTION, false, (n, v) -> {
            long declared;
            try {
                declared = TextValues.parseNumber(v, 512, MAX_24_BIT);
            } catch (TextFormatException e) {
                // without a valid limit we cannot size a single Data-In PDU: no guessing
                throw new LoginFailure(LoginResponse.INITIATOR_ERROR, "invalid MaxRecvDataSegmentLength=" + v);
            }
            n.initiatorMaxRecvDataSegmentLength = (int) Math.min(declared, n.limits.maxSendDataSegmentLength());
            n.targetMaxRecvDataSegmentLength = n.ourMaxRecvDataSegmentLength();
            n.maxRecvDataSegmentLengthDeclared = true;
            return Integer.toString(n.targetMaxRecvDataSegmentLength);
        });
        // §13.13: numerical, minimum
        rule("MaxBurstLength", KeyKind.SESSION, true, (n, v) -> {
            n.maxBurstLength = (int) Math.min(TextValues.parseNumber(v, 512, MAX_24_BIT), n.ourMaxBurstLength());
            return Integer.toString(n.maxBurstLength);
        });
        // §13.14: numerical, minimum, never above MaxBurstLength; irrelevant without unsolicited data
        rule(FIRST_BURST_LENGTH, KeyKind.SESSION, true, (n, v) -> {
            long offered = TextValues.parseNumber(v, 512, MAX_24_BIT);
            if (n.initialR2T && !n.immediateData) {
                return IRRELEVANT;
            }
            n.firstBurstLength = (int) Math.min(Math.min(offered, n.defaults.firstBurstLength()), n.maxBurstLength);
            return Integer.toString(n.firstBurstLength);
        });
        // §13.15: numerical, maximum
        rule("DefaultTime2Wait", KeyKind.SESSION, false, (n, v) -> {
            n.defaultTime2Wait = (int) Math.max(TextValues.parseNumber(v, 0, 3600), n.defaults.defaultTime2Wait());
            return Integer.toString(n.defaultTime2Wait);
        });
        // §13.16: numerical, minimum
        rule("DefaultTime2Retain", KeyKind.SESSION, false, (n, v) -> {
            n.defaultTime2Retain = (int) Math.min(TextValues.parseNumber(v, 0, 3600), n.defaults.defaultTime2Retain());
            return Integer.toString(n.defaultTime2Retain);
        });
        // §13.17: numerical, minimum; §13.19: with ERL > 0 and DataSequenceInOrder=Yes it must be 1
        rule(MAX_OUTSTANDING_R2T, KeyKind.SESSION, true, (n, v) -> {
            n.maxOutstandingR2T = (int) Math.min(TextValues.parseNumber(v, 1, 65535), n.maxOutstandingR2TLimit());
            return Integer.toString(n.maxOutstandingR2T);
        });
        // §13.18, §13.19: boolean, OR
        rule("DataPDUInOrder", KeyKind.SESSION, true, (n, v) -> {
            n.dataPduInOrder = TextValues.parseBoolean(v) || n.defaults.dataPduInOrder();
            return TextValues.formatBoolean(n.dataPduInOrder);
        });
        rule("DataSequenceInOrder", KeyKind.SESSION, true, (n, v) -> {
            n.dataSequenceInOrder = TextValues.parseBoolean(v) || n.defaults.dataSequenceInOrder();
            return TextValues.formatBoolean(n.dataSequenceInOrder);
        });
        // §13.20: numerical, minimum
        rule("ErrorRecoveryLevel", KeyKind.SESSION, false, (n, v) -> {
            n.errorRecoveryLevel = (int) Math.min(TextValues.parseNumber(v, 0, 2), n.defaults.errorRecoveryLevel());
            return Integer.toString(n.errorRecoveryLevel);
        });
        // RFC 7144 §2.1: numerical, minimum, 0..31
        rule("iSCSIProtocolLevel", KeyKind.SESSION, false, (n, v) -> {
            n.protocolLevel = (int) Math.min(TextValues.parseNumber(v, 0, 31), PROTOCOL_LEVEL);
            return Integer.toString(n.protocolLevel);
        });
        // RFC 7144 §2.2: list; we do neither ResponseFence nor FastAbort yet
        rule("TaskReporting", KeyKind.SESSION, true, (n, v) -> {
            if (TextValues.parseList(v, 16).contains("RFC3720")) {
                return "RFC3720";
            }
            return REJECT;
        });
        // RFC 7143 §13.26 obsoletes the marker keys; RFC 3720 initiators still offer them
        rule("OFMarker", KeyKind.CONNECTION, false, (n, v) -> {
            TextValues.parseBoolean(v);
            return "No";
        });
        rule("IFMarker", KeyKind.CONNECTION, false, (n, v) -> {
            TextValues.parseBoolean(v);
            return "No";
        });
        rule("OFMarkInt", KeyKind.CONNECTION, false, (n, v) -> IRRELEVANT);
        rule("IFMarkInt", KeyKind.CONNECTION, false, (n, v) -> IRRELEVANT);
        // RFC 7145 §6.3: iSER is negotiated by an iSER transport; over this connection it is off,
        // and with RDMAExtensions=No the iSER keys are irrelevant
        rule("RDMAExtensions", KeyKind.SESSION, false, (n, v) -> {
            TextValues.parseBoolean(v);
            return "No";
        });
        for (String iserKey : List.of("InitiatorRecvDataSegmentLength", "TargetRecvDataSegmentLength",
                "MaxAHSLength", "TaggedBufferForSolicitedDataOnly", "iSERHelloRequired")) {
            rule(iserKey, KeyKind.CONNECTION, false, (n, v) -> IRRELEVANT);
        }
    }

    private static void declare(String name, KeyKind kind) {
        TABLE.put(name, new KeyDefinition(name, kind, false, null));
    }

    private static void rule(String name, KeyKind kind, boolean irrelevantInDiscovery, KeyRule rule) {
        TABLE.put(name, new KeyDefinition(name, kind, irrelevantInDiscovery, rule));
    }

    /** The table row for {@code key}, or null for keys we do not know (answered NotUnderstood). */
    static KeyDefinition definition(String key) {
        return TABLE.get(key);
    }

    private final NegotiationDefaults defaults;
    private final TransportLimits limits;
    private final boolean discovery;

    // RFC 7143 §13 defaults until negotiated
    private boolean headerDigest;
    private boolean dataDigest;
    private int maxConnections = 1;
    private boolean initialR2T = true;
    private boolean immediateData = true;
    private int initiatorMaxRecvDataSegmentLength = 8192;
    private int targetMaxRecvDataSegmentLength = 8192;
    private boolean maxRecvDataSegmentLengthDeclared;
    private int maxBurstLength = 262144;
    private int firstBurstLength = 65536;
    private int defaultTime2Wait = 2;
    private int defaultTime2Retain = 20;
    private int maxOutstandingR2T = 1;
    private boolean dataPduInOrder = true;
    private boolean dataSequenceInOrder = true;
    private int errorRecoveryLevel;
    private int protocolLevel;

    OperationalNegotiation(NegotiationDefaults defaults, TransportLimits limits, boolean discovery) {
        this.defaults = defaults;
        this.limits = limits;
        this.discovery = discovery;
        this.initiatorMaxRecvDataSegmentLength = Math.min(8192, limits.maxSendDataSegmentLength());
    }

    /**
     * The answer to one offered operational key: its rule's result, Reject for an invalid value,
     * Irrelevant where RFC 7143 §13 says so for discovery sessions.
     */
    String answer(KeyDefinition definition, String offered) throws LoginFailure {
        if (discovery && definition.irrelevantInDiscovery()) {
            return IRRELEVANT;
        }
        try {
            return definition.rule().answer(this, offered);
        } catch (TextFormatException e) {
            return REJECT;
        }
    }

    /** Whether we already declared our MaxRecvDataSegmentLength on this connection. */
    boolean maxRecvDataSegmentLengthDeclared() {
        return maxRecvDataSegmentLengthDeclared;
    }

    /** Declares our MaxRecvDataSegmentLength unasked (RFC 7143 §13.12: each side declares its own). */
    String declareMaxRecvDataSegmentLength() {
        targetMaxRecvDataSegmentLength = ourMaxRecvDataSegmentLength();
        maxRecvDataSegmentLengthDeclared = true;
        return Integer.toString(targetMaxRecvDataSegmentLength);
    }

    private int ourMaxRecvDataSegmentLength() {
        return Math.min(defaults.maxRecvDataSegmentLength(), limits.maxRecvDataSegmentLength());
    }

    private int maxOutstandingR2TLimit() {
        return errorRecoveryLevel > 0 && dataSequenceInOrder ? 1 : defaults.maxOutstandingR2T();
    }

    private int ourMaxBurstLength() {
        return Math.min(defaults.maxBurstLength(), limits.maxBurstLength());
    }

    private String digest(String offered, boolean crcAllowed, boolean header) throws TextFormatException {
        for (String value : TextValues.parseList(offered, 16)) {
            if (value.equals("CRC32C") && crcAllowed) {
                setDigest(header, true);
                return value;
            }
            if (value.equals("None")) {
                setDigest(header, false);
                return value;
            }
        }
        return REJECT;
    }

    private void setDigest(boolean header, boolean crc) {
        if (header) {
            headerDigest = crc;
        } else {
            dataDigest = crc;
        }
    }

    /** Everything agreed, for the full feature phase. */
    SessionParameters parameters(SessionType type, String initiatorName, String initiatorAlias, String targetName,
            String chapUser) {
        // RFC 7143 §13.14: FirstBurstLength never exceeds MaxBurstLength, whatever order they came in
        int firstBurst = Math.min(firstBurstLength, maxBurstLength);
        int outstandingR2T = Math.min(maxOutstandingR2T, maxOutstandingR2TLimit());
        return new SessionParameters(headerDigest, dataDigest, maxConnections, initialR2T, immediateData,
                initiatorMaxRecvDataSegmentLength, targetMaxRecvDataSegmentLength, maxBurstLength, firstBurst,
                defaultTime2Wait, defaultTime2Retain, outstandingR2T, dataPduInOrder, dataSequenceInOrder,
                errorRecoveryLevel, type, initiatorName, initiatorAlias, targetName, protocolLevel, chapUser);
    }
}
