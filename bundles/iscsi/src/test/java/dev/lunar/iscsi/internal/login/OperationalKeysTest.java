package dev.lunar.iscsi.internal.login;

import static dev.lunar.iscsi.internal.login.LoginTexts.INITIATOR;
import static dev.lunar.iscsi.internal.login.LoginTexts.TARGET;
import static dev.lunar.iscsi.internal.login.LoginTexts.keys;
import static dev.lunar.iscsi.internal.login.LoginTexts.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.transport.TransportLimits;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Result functions, ranges and special answers of every operational key (RFC 7143 §13, RFC 7144). */
class OperationalKeysTest {

    private final FakeLoginContext ctx = new FakeLoginContext().add(TargetConfig.of(TARGET));

    /** One login straight into the operational stage offering {@code pairs}; returns the final step. */
    private LoginStep offer(String... pairs) {
        String[] all = Arrays.copyOf(new String[] {"InitiatorName=" + INITIATOR, "TargetName=" + TARGET},
                2 + pairs.length);
        System.arraycopy(pairs, 0, all, 2, pairs.length);
        LoginStep step = new LoginNegotiator(ctx, new SecureRandom()).handle(request(1, 3, true, all));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, step.outcome(), () -> "status " + step.response().status());
        return step;
    }

    private String answer(String pair) {
        return keys(offer(pair).response()).get(pair.substring(0, pair.indexOf('=')));
    }

    @Test
    void maxBurstLengthIsMinimum() {
        LoginStep step = offer("MaxBurstLength=16777215");
        assertEquals("1048576", keys(step.response()).get("MaxBurstLength"));
        assertEquals(1048576, step.parameters().maxBurstLength());
        assertEquals("4096", answer("MaxBurstLength=4096"));
        assertEquals("4096", answer("MaxBurstLength=0x1000"), "hex accepted");
    }

    @Test
    void maxBurstLengthFollowsTransportLimits() {
        ctx.limits = new TransportLimits(65536, 131072, 131072, false, false);
        LoginStep step = offer("MaxBurstLength=16777215", "MaxRecvDataSegmentLength=16777215");
        Map<String, String> answers = keys(step.response());
        assertEquals("131072", answers.get("MaxBurstLength"));
        assertEquals("65536", answers.get("MaxRecvDataSegmentLength"),
                "never declare more than the transport receives");
        assertEquals(65536, step.parameters().targetMaxRecvDataSegmentLength());
        assertEquals(131072, step.parameters().maxRecvDataSegmentLength(),
                "initiator's value clamped to what we can send");
    }

    @Test
    void firstBurstLengthIsMinimumAndBelowMaxBurst() {
        assertEquals("65536", answer("FirstBurstLength=65536"));
        assertEquals("262144", answer("FirstBurstLength=16777215"));
        LoginStep step = offer("MaxBurstLength=8192", "FirstBurstLength=65536");
        assertEquals("8192", keys(step.response()).get("FirstBurstLength"));
        assertEquals(8192, step.parameters().firstBurstLength());
        // FirstBurstLength first in the request, MaxBurstLength later: still consistent
        LoginStep reversed = offer("FirstBurstLength=65536", "MaxBurstLength=8192");
        assertEquals("8192", keys(reversed.response()).get("FirstBurstLength"));
    }

    @Test
    void firstBurstLengthWithoutMaxBurstKeyStaysBelowDefaultMaxBurst() {
        ctx.defaults = new NegotiationDefaults(262144, 1048576, 1048576, true, false, 8, 1, 0, 2, 20, true, true,
                true, true);
        LoginStep step = offer("FirstBurstLength=1048576");
        assertEquals("262144", keys(step.response()).get("FirstBurstLength"), "RFC default MaxBurstLength is 262144");
        assertTrue(step.parameters().firstBurstLength() <= step.parameters().maxBurstLength());
    }

    @Test
    void firstBurstLengthIrrelevantWithoutUnsolicitedData() {
        LoginStep step = offer("FirstBurstLength=65536", "InitialR2T=Yes", "ImmediateData=No");
        assertEquals("Irrelevant", keys(step.response()).get("FirstBurstLength"));
        assertTrue(step.parameters().initialR2T());
        assertFalse(step.parameters().immediateData());
    }

    @Test
    void initialR2TIsOr() {
        assertEquals("No", answer("InitialR2T=No"));
        assertEquals("Yes", answer("InitialR2T=Yes"));
        ctx.defaults = new NegotiationDefaults(262144, 1048576, 262144, true, true, 8, 1, 0, 2, 20, true, true, true,
                true);
        assertEquals("Yes", answer("InitialR2T=No"), "we insist on R2T");
    }

    @Test
    void immediateDataIsAnd() {
        assertEquals("Yes", answer("ImmediateData=Yes"));
        assertEquals("No", answer("ImmediateData=No"));
        ctx.defaults = new NegotiationDefaults(262144, 1048576, 262144, false, false, 8, 1, 0, 2, 20, true, true,
                true, true);
        assertEquals("No", answer("ImmediateData=Yes"));
    }

    @Test
    void orderKeysAreOr() {
        assertEquals("Yes", answer("DataPDUInOrder=No"));
        assertEquals("Yes", answer("DataSequenceInOrder=No"));
        ctx.defaults = new NegotiationDefaults(262144, 1048576, 262144, true, false, 8, 1, 0, 2, 20, false, false,
                true, true);
        LoginStep step = offer("DataPDUInOrder=No", "DataSequenceInOrder=No");
        assertFalse(step.parameters().dataPduInOrder());
        assertFalse(step.parameters().dataSequenceInOrder());
    }

    @Test
    void minimumKeys() {
        LoginStep step = offer("MaxConnections=8", "MaxOutstandingR2T=64", "ErrorRecoveryLevel=2",
                "DefaultTime2Retain=3600");
        Map<String, String> answers = keys(step.response());
        assertEquals("1", answers.get("MaxConnections"));
        assertEquals("8", answers.get("MaxOutstandingR2T"));
        assertEquals("0", answers.get("ErrorRecoveryLevel"));
        assertEquals("20", answers.get("DefaultTime2Retain"));
        assertEquals(8, step.parameters().maxOutstandingR2T());
        assertEquals("2", answer("MaxOutstandingR2T=2"));
        assertEquals("0", answer("DefaultTime2Retain=0"));
    }

    @Test
    void errorRecoveryWithSequencesInOrderAllowsOneR2T() {
        ctx.defaults = new NegotiationDefaults(262144, 1048576, 262144, true, false, 8, 1, 2, 2, 20, true, true, true,
                true);
        LoginStep step = offer("MaxOutstandingR2T=4", "ErrorRecoveryLevel=1", "DataSequenceInOrder=Yes");
        assertEquals("1", keys(step.response()).get("ErrorRecoveryLevel"));
        assertEquals("1", keys(step.response()).get("MaxOutstandingR2T"), "RFC 7143 §13.19");
        assertEquals(1, step.parameters().maxOutstandingR2T());
        assertEquals("4", answer("MaxOutstandingR2T=4"), "ERL 0: no restriction");
    }

    @Test
    void defaultTime2WaitIsMaximum() {
        assertEquals("2", answer("DefaultTime2Wait=0"));
        assertEquals("3600", answer("DefaultTime2Wait=3600"));
    }

    @Test
    void digestsPickFirstAcceptable() {
        LoginStep step = offer("HeaderDigest=CRC32C,None", "DataDigest=None,CRC32C");
        assertEquals("CRC32C", keys(step.response()).get("HeaderDigest"));
        assertEquals("None", keys(step.response()).get("DataDigest"));
        assertTrue(step.parameters().headerDigest());
        assertFalse(step.parameters().dataDigest());
        assertEquals("None", answer("HeaderDigest=MD5,None"));
        assertEquals("Reject", answer("HeaderDigest=MD5"));
        ctx.defaults = new NegotiationDefaults(262144, 1048576, 262144, true, false, 8, 1, 0, 2, 20, true, true,
                false, false);
        assertEquals("None", answer("DataDigest=CRC32C,None"), "digests disabled by configuration");
        assertEquals("Reject", answer("DataDigest=CRC32C"));
    }

    @Test
    void maxRecvDataSegmentLengthIsDeclarative() {
        LoginStep step = offer("MaxRecvDataSegmentLength=4096");
        assertEquals("262144", keys(step.response()).get("MaxRecvDataSegmentLength"),
                "answer declares ours, not a min");
        assertEquals(4096, step.parameters().maxRecvDataSegmentLength());
        assertEquals(262144, step.parameters().targetMaxRecvDataSegmentLength());
    }

    @Test
    void invalidMaxRecvDataSegmentLengthFailsLogin() {
        for (String bad : new String[] {"511", "16777216", "lots"}) {
            LoginStep step = new LoginNegotiator(ctx, new SecureRandom()).handle(request(1, 3, true,
                    "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "MaxRecvDataSegmentLength=" + bad));
            assertEquals(LoginResponse.INITIATOR_ERROR, step.response().status(), bad);
        }
    }

    @Test
    void protocolLevel() {
        assertEquals("1", answer("iSCSIProtocolLevel=2"));
        assertEquals("0", answer("iSCSIProtocolLevel=0"));
        assertEquals(1, offer("iSCSIProtocolLevel=1").parameters().protocolLevel());
        assertEquals("Reject", answer("iSCSIProtocolLevel=32"));
    }

    @Test
    void taskReporting() {
        assertEquals("RFC3720", answer("TaskReporting=FastAbort,RFC3720"));
        assertEquals("Reject", answer("TaskReporting=ResponseFence"));
    }

    @Test
    void obsoleteMarkersAndIserKeys() {
        LoginStep step = offer("OFMarker=Yes", "IFMarker=No", "OFMarkInt=2048~8192", "IFMarkInt=2048~8192",
                "RDMAExtensions=Yes", "MaxAHSLength=256", "iSERHelloRequired=No");
        Map<String, String> answers = keys(step.response());
        assertEquals("No", answers.get("OFMarker"));
        assertEquals("No", answers.get("IFMarker"));
        assertEquals("Irrelevant", answers.get("OFMarkInt"));
        assertEquals("Irrelevant", answers.get("IFMarkInt"));
        assertEquals("No", answers.get("RDMAExtensions"));
        assertEquals("Irrelevant", answers.get("MaxAHSLength"));
        assertEquals("Irrelevant", answers.get("iSERHelloRequired"));
    }

    @Test
    void outOfRangeAndMalformedValuesAreRejectedAndKeepDefaults() {
        LoginStep step = offer("MaxBurstLength=511", "FirstBurstLength=16777216", "MaxConnections=0",
                "MaxOutstandingR2T=65536", "ErrorRecoveryLevel=3", "DefaultTime2Wait=3601", "DefaultTime2Retain=-1",
                "InitialR2T=yes", "ImmediateData=1", "DataPDUInOrder=", "OFMarker=Maybe", "HeaderDigest=CRC32C,,None");
        Map<String, String> answers = keys(step.response());
        for (String key : new String[] {"MaxBurstLength", "FirstBurstLength", "MaxConnections", "MaxOutstandingR2T",
                "ErrorRecoveryLevel", "DefaultTime2Wait", "DefaultTime2Retain", "InitialR2T", "ImmediateData",
                "DataPDUInOrder", "OFMarker", "HeaderDigest"}) {
            assertEquals("Reject", answers.get(key), key);
        }
        SessionParameters parameters = step.parameters();
        assertEquals(262144, parameters.maxBurstLength());
        assertEquals(65536, parameters.firstBurstLength());
        assertEquals(1, parameters.maxConnections());
        assertEquals(1, parameters.maxOutstandingR2T());
        assertEquals(0, parameters.errorRecoveryLevel());
        assertEquals(2, parameters.defaultTime2Wait());
        assertEquals(20, parameters.defaultTime2Retain());
        assertTrue(parameters.initialR2T());
        assertTrue(parameters.immediateData());
        assertFalse(parameters.headerDigest());
    }

    @Test
    void defaultsValidateThemselves() {
        assertThrows(IllegalArgumentException.class,
                () -> new NegotiationDefaults(262144, 65536, 262144, true, false, 8, 1, 0, 2, 20, true, true, true,
                        true));
        assertThrows(IllegalArgumentException.class,
                () -> new NegotiationDefaults(100, 1048576, 262144, true, false, 8, 1, 0, 2, 20, true, true, true,
                        true));
        assertThrows(IllegalArgumentException.class,
                () -> new NegotiationDefaults(262144, 1048576, 262144, true, false, 8, 1, 3, 2, 20, true, true, true,
                        true));
        NegotiationDefaults standard = NegotiationDefaults.standard();
        assertEquals(262144, standard.maxRecvDataSegmentLength());
        assertEquals(1048576, standard.maxBurstLength());
        assertEquals(262144, standard.firstBurstLength());
        assertTrue(standard.immediateData());
        assertFalse(standard.initialR2T());
        assertEquals(1, standard.maxConnections());
        assertEquals(0, standard.errorRecoveryLevel());
    }
}
