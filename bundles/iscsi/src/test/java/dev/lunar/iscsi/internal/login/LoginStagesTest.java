package dev.lunar.iscsi.internal.login;

import static dev.lunar.iscsi.internal.login.LoginTexts.INITIATOR;
import static dev.lunar.iscsi.internal.login.LoginTexts.ISID;
import static dev.lunar.iscsi.internal.login.LoginTexts.TARGET;
import static dev.lunar.iscsi.internal.login.LoginTexts.keys;
import static dev.lunar.iscsi.internal.login.LoginTexts.request;
import static dev.lunar.iscsi.internal.login.LoginTexts.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoginStagesTest {

    private final FakeLoginContext ctx = new FakeLoginContext().add(TargetConfig.of(TARGET), "127.0.0.1:3260,1");
    private final LoginNegotiator negotiator = new LoginNegotiator(ctx, new SecureRandom());

    private static String[] firstKeys(String... more) {
        String[] base = {"InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "SessionType=Normal"};
        String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private static void assertFailed(LoginStep step, int status) {
        assertEquals(LoginStep.Outcome.FAILED, step.outcome());
        assertEquals(status, step.response().status(), () -> "status " + Integer.toHexString(step.response().status()));
        assertFalse(step.response().transit());
        assertNull(step.parameters());
    }

    @Test
    void normalLoginWithoutAuthOnLoopback() {
        LoginStep security = negotiator.handle(request(0, 1, true, firstKeys("AuthMethod=None")));
        assertEquals(LoginStep.Outcome.CONTINUE, security.outcome());
        LoginResponse response = security.response();
        assertEquals(LoginResponse.SUCCESS, response.status());
        assertTrue(response.transit());
        assertFalse(response.cont());
        assertEquals(0, response.csg());
        assertEquals(1, response.nsg());
        assertEquals(Map.of("TargetPortalGroupTag", "1", "AuthMethod", "None"), keys(response));
        assertEquals(List.of(INITIATOR + "/" + Long.toHexString(ISID) + "/0/" + TARGET), ctx.checks);

        LoginStep operational = negotiator.handle(request(1, 3, true, "HeaderDigest=None", "DataDigest=None",
                "MaxRecvDataSegmentLength=65536", "InitialR2T=No", "ImmediateData=Yes", "MaxBurstLength=262144",
                "FirstBurstLength=65536", "MaxConnections=1", "ErrorRecoveryLevel=0"));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, operational.outcome());
        assertTrue(operational.response().transit());
        assertEquals(1, operational.response().csg());
        assertEquals(3, operational.response().nsg());
        Map<String, String> answers = keys(operational.response());
        assertEquals(List.of("HeaderDigest", "DataDigest", "MaxRecvDataSegmentLength", "InitialR2T", "ImmediateData",
                "MaxBurstLength", "FirstBurstLength", "MaxConnections", "ErrorRecoveryLevel"),
                        List.copyOf(answers.keySet()),
                "answers in request order, no TargetPortalGroupTag twice");
        assertEquals("262144", answers.get("MaxRecvDataSegmentLength"), "our own declaration");
        SessionParameters parameters = operational.parameters();
        assertNotNull(parameters);
        assertEquals(SessionType.NORMAL, parameters.sessionType());
        assertEquals(INITIATOR, parameters.initiatorName());
        assertEquals(TARGET, parameters.targetName());
        assertEquals(65536, parameters.maxRecvDataSegmentLength());
        assertEquals(262144, parameters.targetMaxRecvDataSegmentLength());
        assertFalse(parameters.initialR2T());
        assertTrue(parameters.immediateData());
        assertEquals(262144, parameters.maxBurstLength());
        assertEquals(65536, parameters.firstBurstLength());
        assertFalse(parameters.headerDigest());
        assertEquals(0, parameters.errorRecoveryLevel());
        assertNull(parameters.chapUser());
        assertEquals("None", parameters.asMap().get("AuthMethod"));
        assertEquals("65536", parameters.asMap().get("MaxRecvDataSegmentLength"));

        assertFailed(negotiator.handle(request(1, 3, true)), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void loginStartingInOperationalStage() {
        LoginStep step = negotiator.handle(request(1, 3, true, firstKeys("MaxRecvDataSegmentLength=8192")));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, step.outcome());
        assertEquals(Map.of("TargetPortalGroupTag", "1", "MaxRecvDataSegmentLength", "262144"), keys(step.response()));
        assertEquals(8192, step.parameters().maxRecvDataSegmentLength());
    }

    @Test
    void operationalStageDeclaresMaxRecvDataSegmentLengthUnasked() {
        negotiator.handle(request(0, 1, true, firstKeys()));
        LoginStep step = negotiator.handle(request(1, 3, false, "HeaderDigest=None"));
        assertEquals(LoginStep.Outcome.CONTINUE, step.outcome());
        assertFalse(step.response().transit(), "initiator did not ask to transit");
        assertEquals(Map.of("HeaderDigest", "None", "MaxRecvDataSegmentLength", "262144"), keys(step.response()));
        LoginStep last = negotiator.handle(request(1, 3, true));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, last.outcome());
        assertEquals(Map.of(), keys(last.response()), "declared once only");
        assertEquals(262144, last.parameters().targetMaxRecvDataSegmentLength());
        assertEquals(8192, last.parameters().maxRecvDataSegmentLength(), "initiator default");
    }

    @Test
    void securityStageStraightToFullFeatureKeepsDefaults() {
        LoginStep step = negotiator.handle(request(0, 3, true, firstKeys("AuthMethod=None")));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, step.outcome());
        assertEquals(3, step.response().nsg());
        SessionParameters parameters = step.parameters();
        assertEquals(8192, parameters.targetMaxRecvDataSegmentLength(), "nothing declared: RFC default");
        assertTrue(parameters.initialR2T());
        assertTrue(parameters.immediateData());
        assertEquals(262144, parameters.maxBurstLength());
        assertEquals(65536, parameters.firstBurstLength());
        assertEquals(1, parameters.maxOutstandingR2T());
        assertEquals(0, parameters.protocolLevel());
    }

    @Test
    void securityStageWithoutTransitWaits() {
        LoginStep step = negotiator.handle(request(0, 1, false, firstKeys()));
        assertEquals(LoginStep.Outcome.CONTINUE, step.outcome());
        assertFalse(step.response().transit());
        assertEquals(Map.of("TargetPortalGroupTag", "1"), keys(step.response()));
        LoginStep next = negotiator.handle(request(0, 1, true));
        assertTrue(next.response().transit());
        assertEquals(Map.of(), keys(next.response()), "TargetPortalGroupTag only in the first response");
    }

    @Test
    void targetAliasInFirstResponse() {
        ctx.add(new TargetConfig(TARGET, "Disk Zero", AuthConfig.none(), null, false));
        ctx.portalGroupTag = 7;
        LoginStep step = negotiator.handle(request(0, 1, true, firstKeys("AuthMethod=None")));
        assertEquals(Map.of("TargetPortalGroupTag", "7", "TargetAlias", "Disk Zero", "AuthMethod", "None"),
                keys(step.response()));
    }

    @Test
    void discoveryLogin() {
        LoginStep security = negotiator.handle(request(0, 1, true, "InitiatorName=" + INITIATOR,
                "SessionType=Discovery", "AuthMethod=None"));
        assertEquals(Map.of("AuthMethod", "None"), keys(security.response()), "no TargetPortalGroupTag in discovery");
        assertTrue(security.response().transit());
        assertEquals(List.of(INITIATOR + "/" + Long.toHexString(ISID) + "/0/null"), ctx.checks);
        LoginStep operational = negotiator.handle(request(1, 3, true, "HeaderDigest=None", "DataDigest=None",
                "MaxRecvDataSegmentLength=32768", "InitialR2T=Yes", "ImmediateData=No", "MaxBurstLength=16384",
                "FirstBurstLength=8192", "MaxConnections=1", "MaxOutstandingR2T=1", "DataPDUInOrder=Yes",
                "DataSequenceInOrder=Yes", "DefaultTime2Wait=2", "DefaultTime2Retain=0", "ErrorRecoveryLevel=0"));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, operational.outcome());
        Map<String, String> answers = keys(operational.response());
        for (String irrelevant : List.of("InitialR2T", "ImmediateData", "MaxBurstLength", "FirstBurstLength",
                "MaxConnections", "MaxOutstandingR2T", "DataPDUInOrder", "DataSequenceInOrder")) {
            assertEquals("Irrelevant", answers.get(irrelevant), irrelevant);
        }
        assertEquals("None", answers.get("HeaderDigest"));
        assertEquals("262144", answers.get("MaxRecvDataSegmentLength"));
        assertEquals("0", answers.get("DefaultTime2Retain"));
        SessionParameters parameters = operational.parameters();
        assertTrue(parameters.discovery());
        assertNull(parameters.targetName());
        assertEquals(32768, parameters.maxRecvDataSegmentLength());
        assertEquals("Discovery", parameters.asMap().get("SessionType"));
    }

    @Test
    void discoveryIgnoresTargetName() {
        LoginStep step = negotiator.handle(request(0, 3, true, "InitiatorName=" + INITIATOR, "SessionType=Discovery",
                "TargetName=iqn.2026-01.dev.lunar:nonexistent"));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, step.outcome());
    }

    @Test
    void unsupportedVersion() {
        LoginStep step = negotiator.handle(new LoginRequest(2, 1, true, false, 0, 1, ISID, 0, 1, 1, 1, 0,
                text(firstKeys())));
        assertFailed(step, LoginResponse.UNSUPPORTED_VERSION);
        assertEquals(2, step.response().statusClass());
        assertEquals(5, step.response().statusDetail());
    }

    @Test
    void versionRangeIncludingZeroIsAccepted() {
        LoginStep step = negotiator.handle(new LoginRequest(2, 0, true, false, 0, 1, ISID, 0, 1, 1, 1, 0,
                text(firstKeys())));
        assertEquals(LoginResponse.SUCCESS, step.response().status());
    }

    @Test
    void missingInitiatorName() {
        assertFailed(negotiator.handle(request(0, 1, true, "TargetName=" + TARGET)), LoginResponse.MISSING_PARAMETER);
    }

    @Test
    void normalSessionWithoutTargetName() {
        assertFailed(negotiator.handle(request(0, 1, true, "InitiatorName=" + INITIATOR)),
                LoginResponse.MISSING_PARAMETER);
    }

    @Test
    void unknownTarget() {
        LoginStep step = negotiator.handle(request(0, 1, true, "InitiatorName=" + INITIATOR,
                "TargetName=iqn.2026-01.dev.lunar:nope"));
        assertFailed(step, LoginResponse.NOT_FOUND);
        assertEquals(List.of(), ctx.checks, "session layer not asked about an unknown target");
    }

    @Test
    void unsupportedSessionType() {
        assertFailed(negotiator.handle(request(0, 1, true, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "SessionType=Backup")), LoginResponse.SESSION_TYPE_NOT_SUPPORTED);
    }

    @Test
    void overlongInitiatorName() {
        assertFailed(negotiator.handle(request(0, 1, true, "InitiatorName=iqn." + "x".repeat(220),
                "TargetName=" + TARGET)), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void sessionCheckAnswersMapToStatuses() {
        Map<SessionCheck, Integer> expected = Map.of(
                SessionCheck.SESSION_DOES_NOT_EXIST, 0x020a,
                SessionCheck.TOO_MANY_CONNECTIONS, 0x0206,
                SessionCheck.CANT_INCLUDE, 0x0208,
                SessionCheck.OUT_OF_RESOURCES, 0x0302);
        for (Map.Entry<SessionCheck, Integer> entry : expected.entrySet()) {
            ctx.sessionCheck = entry.getKey();
            LoginStep step = new LoginNegotiator(ctx, new SecureRandom()).handle(
                    new LoginRequest(0, 0, true, false, 0, 1, ISID, 5, 1, 2, 1, 0, text(firstKeys())));
            assertFailed(step, entry.getValue());
        }
        assertTrue(ctx.checks.get(0).endsWith("/5/" + TARGET), "TSIH passed to the session layer");
    }

    @Test
    void addedConnectionMayNotTouchSessionKeys() {
        ctx.sessionCheck = SessionCheck.ADD_CONNECTION;
        LoginStep ok = negotiator.handle(request(1, 3, false, firstKeys("HeaderDigest=None",
                "MaxRecvDataSegmentLength=8192")));
        assertEquals(LoginStep.Outcome.CONTINUE, ok.outcome());
        assertFailed(negotiator.handle(request(1, 3, true, "MaxBurstLength=512")), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void redirectTemporary() {
        ctx.add(new TargetConfig(TARGET, null, AuthConfig.none(), "192.0.2.10:3260,2", false));
        LoginStep step = negotiator.handle(request(0, 1, true, firstKeys("AuthMethod=None")));
        assertEquals(LoginStep.Outcome.FAILED, step.outcome());
        assertEquals(LoginResponse.TARGET_MOVED_TEMPORARILY, step.response().status());
        assertEquals(1, step.response().statusClass());
        assertEquals(Map.of("TargetAddress", "192.0.2.10:3260"), keys(step.response()));
        assertEquals(List.of(), ctx.checks, "no session for a redirected login");
    }

    @Test
    void redirectPermanent() {
        ctx.add(new TargetConfig(TARGET, null, AuthConfig.none(), "[2001:db8::1]:3260", true));
        LoginStep step = negotiator.handle(request(0, 1, true, firstKeys()));
        assertEquals(LoginResponse.TARGET_MOVED_PERMANENTLY, step.response().status());
        assertEquals(Map.of("TargetAddress", "[2001:db8::1]:3260"), keys(step.response()));
    }

    @Test
    void redirectAddressLosesPortalGroupTag() {
        ctx.add(new TargetConfig(TARGET, null, AuthConfig.none(), "[2001:db8::1]:3260,7", false));
        LoginStep step = negotiator.handle(request(0, 1, true, firstKeys()));
        assertEquals(Map.of("TargetAddress", "[2001:db8::1]:3260"), keys(step.response()), "RFC 7143 §13.8");
    }

    @Test
    void transitAndContinueTogether() {
        assertFailed(negotiator.handle(request(0, 1, true, true, text(firstKeys()))), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void invalidStages() {
        assertFailed(new LoginNegotiator(ctx, new SecureRandom()).handle(request(3, 3, false, firstKeys())),
                LoginResponse.INITIATOR_ERROR);
        assertFailed(new LoginNegotiator(ctx, new SecureRandom()).handle(request(2, 3, true, firstKeys())),
                LoginResponse.INITIATOR_ERROR);
        assertFailed(new LoginNegotiator(ctx, new SecureRandom()).handle(request(0, 2, true, firstKeys())),
                LoginResponse.INITIATOR_ERROR);
        assertFailed(new LoginNegotiator(ctx, new SecureRandom()).handle(request(1, 1, true, firstKeys())),
                LoginResponse.INITIATOR_ERROR);
        assertFailed(new LoginNegotiator(ctx, new SecureRandom()).handle(request(1, 0, true, firstKeys())),
                LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void stageMustFollowTheTarget() {
        negotiator.handle(request(0, 1, false, firstKeys()));
        assertFailed(negotiator.handle(request(1, 3, true)), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void goingBackToSecurityStageFails() {
        negotiator.handle(request(0, 1, true, firstKeys()));
        assertFailed(negotiator.handle(request(0, 1, true)), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void isidChangeFails() {
        negotiator.handle(request(0, 1, false, firstKeys()));
        assertFailed(negotiator.handle(new LoginRequest(0, 0, true, false, 0, 1, ISID + 1, 0, 1, 1, 1, 0, new byte[0])),
                LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void targetNameChangeFails() {
        ctx.add(TargetConfig.of("iqn.2026-01.dev.lunar:other"));
        negotiator.handle(request(0, 1, false, firstKeys()));
        assertFailed(negotiator.handle(request(0, 1, true, "TargetName=iqn.2026-01.dev.lunar:other")),
                LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void unchangedNamesMayBeRepeatedLikeLibiscsiDoes() {
        // libiscsi with CHAP credentials on a target that chose AuthMethod=None: the names come again
        LoginStep security = negotiator.handle(request(0, 1, true, firstKeys("InitiatorAlias=host1",
                "AuthMethod=CHAP,None")));
        assertEquals("None", keys(security.response()).get("AuthMethod"));
        LoginStep operational = negotiator.handle(request(1, 3, true, firstKeys("InitiatorAlias=host1",
                "HeaderDigest=None,CRC32C", "DataDigest=None", "MaxRecvDataSegmentLength=262144")));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, operational.outcome());
        assertEquals(List.of("HeaderDigest", "DataDigest", "MaxRecvDataSegmentLength"),
                List.copyOf(keys(operational.response()).keySet()), "repeated declarations get no answer");
    }

    @Test
    void changedAliasFails() {
        negotiator.handle(request(0, 1, true, firstKeys("InitiatorAlias=host1")));
        assertFailed(negotiator.handle(request(1, 3, true, "InitiatorAlias=host2")), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void aliasAndSessionTypeMayComeLater() {
        negotiator.handle(request(0, 1, true, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET));
        LoginStep step = negotiator.handle(request(1, 3, true, "InitiatorAlias=host1", "SessionType=Normal"));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, step.outcome());
        assertEquals("host1", step.parameters().initiatorAlias());
        assertEquals(Map.of("MaxRecvDataSegmentLength", "262144"), keys(step.response()), "declarations get no answer");
    }

    @Test
    void sessionTypeChangeFails() {
        negotiator.handle(request(0, 1, false, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET));
        assertFailed(negotiator.handle(request(0, 1, false, "SessionType=Discovery")), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void requestAfterFailureFails() {
        negotiator.handle(request(0, 1, true, "TargetName=" + TARGET));
        assertFailed(negotiator.handle(request(0, 1, true, firstKeys())), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void endlessLoginIsCut() {
        negotiator.handle(request(0, 1, false, firstKeys()));
        LoginStep step = null;
        for (int i = 0; i < LoginNegotiator.MAX_LOGIN_REQUESTS; i++) {
            step = negotiator.handle(request(0, 1, false));
        }
        assertFailed(step, LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void continuedRequestTextIsAccumulated() {
        byte[] whole = text(firstKeys("AuthMethod=None", "X-vendor.flag=1"));
        // split inside a key and inside a value
        byte[] part1 = Arrays.copyOfRange(whole, 0, 10);
        byte[] part2 = Arrays.copyOfRange(whole, 10, 50);
        byte[] part3 = Arrays.copyOfRange(whole, 50, whole.length);
        for (byte[] part : List.of(part1, part2)) {
            LoginStep step = negotiator.handle(request(0, 1, false, true, part));
            assertEquals(LoginStep.Outcome.CONTINUE, step.outcome());
            assertEquals(0, step.response().text().length, "empty answer while C=1");
            assertFalse(step.response().transit());
            assertFalse(step.response().cont());
        }
        assertTrue(ctx.checks.isEmpty(), "nothing evaluated before the last part");
        LoginStep last = negotiator.handle(request(0, 1, true, false, part3));
        assertEquals(LoginResponse.SUCCESS, last.response().status());
        assertTrue(last.response().transit());
        assertEquals(Map.of("TargetPortalGroupTag", "1", "X-vendor.flag", "NotUnderstood", "AuthMethod", "None"),
                keys(last.response()));
    }

    @Test
    void continuedRequestTextIsCapped() {
        byte[] chunk = new byte[8192];
        Arrays.fill(chunk, (byte) 'A');
        LoginStep step = null;
        for (int i = 0; i <= LoginNegotiator.MAX_LOGIN_TEXT_BYTES / chunk.length; i++) {
            step = negotiator.handle(request(0, 1, false, true, chunk));
        }
        assertFailed(step, LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void longResponseIsSentInParts() {
        negotiator.handle(request(0, 1, true, firstKeys()));
        String[] flood = new String[200];
        for (int i = 0; i < flood.length; i++) {
            flood[i] = String.format("X-com.example.vendor-specific-key-number-%04d=1", i);
        }
        LoginStep first = negotiator.handle(request(1, 3, true, flood));
        assertEquals(LoginStep.Outcome.CONTINUE, first.outcome());
        assertTrue(first.response().cont());
        assertFalse(first.response().transit(), "no transit while the response continues");
        assertEquals(LoginNegotiator.MAX_RESPONSE_SEGMENT, first.response().text().length);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(first.response().text());
        LoginStep step = first;
        int parts = 1;
        while (step.response().cont()) {
            step = negotiator.handle(request(1, 3, true));
            all.writeBytes(step.response().text());
            parts++;
            assertTrue(step.response().text().length <= LoginNegotiator.MAX_RESPONSE_SEGMENT);
        }
        assertTrue(parts >= 2);
        assertEquals(LoginStep.Outcome.FULL_FEATURE, step.outcome());
        assertTrue(step.response().transit());
        assertEquals(3, step.response().nsg());
        Map<String, String> answers = keys(all.toByteArray());
        assertEquals(201, answers.size());
        assertEquals("NotUnderstood", answers.get("X-com.example.vendor-specific-key-number-0199"));
        assertEquals("262144", answers.get("MaxRecvDataSegmentLength"));
    }

    @Test
    void textWhileResponseContinuesFails() {
        negotiator.handle(request(0, 1, true, firstKeys()));
        String[] flood = new String[200];
        for (int i = 0; i < flood.length; i++) {
            flood[i] = String.format("X-com.example.vendor-specific-key-number-%04d=1", i);
        }
        assertTrue(negotiator.handle(request(1, 3, true, flood)).response().cont());
        assertFailed(negotiator.handle(request(1, 3, true, "HeaderDigest=None")), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void keyFloodIsRefused() {
        String[] flood = new String[LoginNegotiator.MAX_KEYS_PER_REQUEST + 1];
        for (int i = 0; i < flood.length; i++) {
            flood[i] = "X-k" + i + "=v";
        }
        assertFailed(negotiator.handle(request(1, 3, true, flood)), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void keyFloodAcrossRequestsIsRefused() {
        negotiator.handle(request(0, 1, true, firstKeys()));
        LoginStep step = null;
        int key = 0;
        for (int request = 0; request < 3; request++) {
            String[] keys = new String[200];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = "X-k" + key++ + "=v";
            }
            step = negotiator.handle(request(1, 3, false, keys));
            if (step.outcome() == LoginStep.Outcome.FAILED) {
                break;
            }
        }
        assertFailed(step, LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void nonUtf8IsRefused() {
        byte[] prefix = text(firstKeys());
        byte[] bad = {'I', 'n', 'i', 't', 'i', 'a', 't', 'o', 'r', 'A', 'l', 'i', 'a', 's', '=', (byte) 0xff,
                (byte) 0xfe, 0};
        byte[] all = Arrays.copyOf(prefix, prefix.length + bad.length);
        System.arraycopy(bad, 0, all, prefix.length, bad.length);
        assertFailed(negotiator.handle(request(0, 1, true, false, all)), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void duplicateKeyInOneRequestIsRefused() {
        assertFailed(negotiator.handle(request(0, 1, true, firstKeys("AuthMethod=None", "AuthMethod=None"))),
                LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void renegotiatedKeyIsRefused() {
        negotiator.handle(request(0, 1, true, firstKeys()));
        negotiator.handle(request(1, 3, false, "MaxBurstLength=65536"));
        assertFailed(negotiator.handle(request(1, 3, true, "MaxBurstLength=65536")), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void malformedTextIsRefused() {
        assertFailed(negotiator.handle(request(0, 1, true, false, "InitiatorName".getBytes())),
                LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void operationalKeyInSecurityStageIsRefused() {
        assertFailed(negotiator.handle(request(0, 1, true, firstKeys("MaxBurstLength=65536"))),
                LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void securityKeyInOperationalStageIsRefused() {
        negotiator.handle(request(0, 1, true, firstKeys()));
        assertFailed(negotiator.handle(request(1, 3, true, "AuthMethod=None")), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void targetOnlyKeyFromInitiatorIsRefused() {
        assertFailed(negotiator.handle(request(0, 1, true, firstKeys("TargetAlias=x"))), LoginResponse.INITIATOR_ERROR);
        assertFailed(new LoginNegotiator(ctx, new SecureRandom()).handle(request(1, 3, true,
                firstKeys("TargetPortalGroupTag=1"))), LoginResponse.INITIATOR_ERROR);
    }

    @Test
    void sendTargetsDuringLoginIsIrrelevant() {
        LoginStep step = negotiator.handle(request(1, 3, true, "InitiatorName=" + INITIATOR, "SessionType=Discovery",
                "SendTargets=All"));
        assertEquals("Irrelevant", keys(step.response()).get("SendTargets"));
    }

    @Test
    void unknownAndPrivateKeysAreNotUnderstood() {
        LoginStep step = negotiator.handle(request(1, 3, true, firstKeys("X-com.example.a=1", "X#org.example.b=2",
                "FutureKey=3")));
        Map<String, String> answers = keys(step.response());
        assertEquals("NotUnderstood", answers.get("X-com.example.a"));
        assertEquals("NotUnderstood", answers.get("X#org.example.b"));
        assertEquals("NotUnderstood", answers.get("FutureKey"));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, step.outcome());
    }

    @Test
    void handleNeverThrowsOnRandomInput() {
        java.util.Random random = new java.util.Random(3720);
        String[] vocabulary = {"InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "SessionType=Discovery",
                "AuthMethod=CHAP,None", "AuthMethod=None", "CHAP_A=5", "CHAP_N=x", "CHAP_R=0x00", "CHAP_I=1",
                "CHAP_C=0x01", "MaxBurstLength=512", "FirstBurstLength=99999999", "HeaderDigest=CRC32C",
                "X-a=b", "TargetAlias=a", "MaxRecvDataSegmentLength=0"};
        for (int round = 0; round < 2000; round++) {
            LoginNegotiator fuzzed = new LoginNegotiator(ctx, new SecureRandom());
            for (int i = 0; i < 4; i++) {
                String[] pairs = new String[random.nextInt(4)];
                for (int p = 0; p < pairs.length; p++) {
                    pairs[p] = vocabulary[random.nextInt(vocabulary.length)];
                }
                LoginRequest request = new LoginRequest(0, random.nextInt(2), random.nextBoolean(),
                        random.nextInt(8) == 0,
                        random.nextInt(4), random.nextInt(4), ISID, 0, 1, 1, 1, 0, text(pairs));
                LoginStep step = fuzzed.handle(request);
                assertNotNull(step.response());
                try {
                    // every answer is well-formed text with each key at most once
                    dev.lunar.pdu.text.TextCodec.decode(step.response().text(), 1 << 20, 1 << 10);
                } catch (dev.lunar.pdu.text.TextFormatException e) {
                    throw new AssertionError("malformed response text: " + e.getMessage(), e);
                }
                assertEquals(step.outcome() == LoginStep.Outcome.FULL_FEATURE, step.parameters() != null);
                if (step.outcome() != LoginStep.Outcome.CONTINUE) {
                    break;
                }
            }
        }
    }

    @Test
    void networkTextIsMadePrintableForLogs() {
        assertEquals("a?b?c", LoginNegotiator.printable("a\nb\rc"));
        assertEquals(303, LoginNegotiator.printable("x".repeat(1000)).length());
        assertNull(LoginNegotiator.printable(null));
    }

    @Test
    void responseTextIsAlwaysEncodable() {
        LoginStep step = negotiator.handle(request(0, 1, true, firstKeys()));
        assertArrayEquals(LoginTexts.encode(LoginTexts.pairs(step.response().text())), step.response().text());
    }
}
