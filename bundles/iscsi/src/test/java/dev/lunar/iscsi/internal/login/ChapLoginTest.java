package dev.lunar.iscsi.internal.login;

import static dev.lunar.iscsi.internal.login.LoginTexts.INITIATOR;
import static dev.lunar.iscsi.internal.login.LoginTexts.TARGET;
import static dev.lunar.iscsi.internal.login.LoginTexts.keys;
import static dev.lunar.iscsi.internal.login.LoginTexts.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.pdu.text.TextFormatException;
import dev.lunar.pdu.text.TextValues;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChapLoginTest {

    private static final byte[] SECRET = "initiator-secret".getBytes(StandardCharsets.UTF_8);
    private static final byte[] MUTUAL_SECRET = "target-secret-12".getBytes(StandardCharsets.UTF_8);

    private final FakeLoginContext ctx = new FakeLoginContext();

    private LoginNegotiator negotiator(ChapCredentials credentials) {
        ctx.add(new TargetConfig(TARGET, null, AuthConfig.chap(credentials), null, false));
        return new LoginNegotiator(ctx, new SecureRandom());
    }

    /** H(id || secret || challenge) computed here, independent of the code under test. */
    private static byte[] chapResponse(String jcaName, int id, byte[] secret, byte[] challenge) throws Exception {
        MessageDigest digest = MessageDigest.getInstance(jcaName);
        digest.update((byte) id);
        digest.update(secret);
        digest.update(challenge);
        return digest.digest();
    }

    private static String hex(byte[] bytes) {
        return "0x" + HexFormat.of().formatHex(bytes);
    }

    /** Runs AuthMethod and CHAP_A and returns the challenge response keys. */
    private static Map<String, String> challenge(LoginNegotiator negotiator, String algorithms) {
        LoginStep first = negotiator.handle(request(0, 1, true, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "SessionType=Normal", "AuthMethod=CHAP,None"));
        assertEquals(LoginStep.Outcome.CONTINUE, first.outcome());
        assertEquals("CHAP", keys(first.response()).get("AuthMethod"));
        assertFalse(first.response().transit(), "CHAP not done: no transit");
        LoginStep second = negotiator.handle(request(0, 1, true, "CHAP_A=" + algorithms));
        assertEquals(LoginStep.Outcome.CONTINUE, second.outcome(), () -> "status " + second.response().status());
        assertFalse(second.response().transit());
        return keys(second.response());
    }

    @Test
    void knownAnswers() {
        byte[] challenge = new byte[16];
        for (int i = 0; i < 16; i++) {
            challenge[i] = (byte) i;
        }
        byte[] secret = "secretsecret".getBytes(StandardCharsets.US_ASCII);
        // computed with Python's hashlib over 0x01 || "secretsecret" || 00..0f
        assertEquals("226dc576c33f04ff9c3a200ffe35f442", HexFormat.of().formatHex(ChapAlgorithm.MD5.response(1,
                secret, challenge)));
        assertEquals("ae35ac1694de2cf7e68e790fbface9a28501fed7",
                HexFormat.of().formatHex(ChapAlgorithm.SHA1.response(1, secret, challenge)));
        assertEquals("024aef34e176668b34ec2bf7f5525e3bf7f0e94d7cec77cb07d08c3d5a8e23ca",
                HexFormat.of().formatHex(ChapAlgorithm.SHA256.response(1, secret, challenge)));
        assertEquals("e2bd0aba5f885a39aa4fbebccc63203c2f728f034cbaf009b44c2f0c5544f172",
                HexFormat.of().formatHex(ChapAlgorithm.SHA3_256.response(1, secret, challenge)));
    }

    @Test
    void md5OneWay() throws Exception {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET));
        Map<String, String> challengeKeys = challenge(negotiator, "5");
        assertEquals("5", challengeKeys.get("CHAP_A"));
        int id = Integer.parseInt(challengeKeys.get("CHAP_I"));
        assertTrue(id >= 0 && id <= 255);
        byte[] challenge = TextValues.parseBinary(challengeKeys.get("CHAP_C"));
        assertTrue(challenge.length >= 16, "challenge at least as long as the MD5 digest");

        LoginStep third = negotiator.handle(request(0, 1, true, "CHAP_N=alice",
                "CHAP_R=" + hex(chapResponse("MD5", id, SECRET, challenge))));
        assertEquals(LoginResponse.SUCCESS, third.response().status());
        assertTrue(third.response().transit());
        assertEquals(1, third.response().nsg());
        assertEquals(Map.of(), keys(third.response()), "one-way CHAP: nothing to answer");

        LoginStep last = negotiator.handle(request(1, 3, true, "HeaderDigest=None"));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, last.outcome());
        assertEquals("alice", last.parameters().chapUser());
        assertEquals("CHAP", last.parameters().asMap().get("AuthMethod"));
    }

    @Test
    void sha256MutualWithBase64Response() throws Exception {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET, "lunar", MUTUAL_SECRET));
        Map<String, String> challengeKeys = challenge(negotiator, "7,5");
        assertEquals("7", challengeKeys.get("CHAP_A"));
        int id = Integer.parseInt(challengeKeys.get("CHAP_I"));
        byte[] challenge = TextValues.parseBinary(challengeKeys.get("CHAP_C"));
        assertTrue(challenge.length >= 32);

        byte[] ourChallenge = new byte[32];
        new SecureRandom().nextBytes(ourChallenge);
        LoginStep third = negotiator.handle(request(0, 1, true, "CHAP_N=alice",
                "CHAP_R=0b" + Base64.getEncoder().encodeToString(chapResponse("SHA-256", id, SECRET, challenge)),
                "CHAP_I=77", "CHAP_C=" + hex(ourChallenge)));
        assertEquals(LoginResponse.SUCCESS, third.response().status());
        assertTrue(third.response().transit());
        Map<String, String> answer = keys(third.response());
        assertEquals("lunar", answer.get("CHAP_N"));
        assertArrayEquals(chapResponse("SHA-256", 77, MUTUAL_SECRET, ourChallenge),
                TextValues.parseBinary(answer.get("CHAP_R")));
    }

    @Test
    void algorithmFollowsInitiatorPreference() throws TextFormatException {
        Map<String, String> sha3 = challenge(negotiator(new ChapCredentials("alice", SECRET)), "8,7,6,5");
        assertEquals("8", sha3.get("CHAP_A"));
        assertTrue(TextValues.parseBinary(sha3.get("CHAP_C")).length >= 32);
        FakeLoginContext other = new FakeLoginContext();
        other.add(new TargetConfig(TARGET, null, AuthConfig.chap(new ChapCredentials("a", SECRET)), null, false));
        LoginNegotiator negotiator = new LoginNegotiator(other, new SecureRandom());
        negotiator.handle(request(0, 1, false, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "AuthMethod=CHAP"));
        Map<String, String> sha1 = keys(negotiator.handle(request(0, 1, false, "CHAP_A=99,bogus,6,5")).response());
        assertEquals("6", sha1.get("CHAP_A"));
        assertEquals(20, TextValues.parseBinary(sha1.get("CHAP_C")).length);
    }

    @Test
    void sha1AndSha3Verify() throws Exception {
        for (String[] algorithm : new String[][] {{"6", "SHA-1"}, {"8", "SHA3-256"}}) {
            FakeLoginContext context = new FakeLoginContext();
            context.add(new TargetConfig(TARGET, null, AuthConfig.chap(new ChapCredentials("alice", SECRET)), null,
                    false));
            LoginNegotiator negotiator = new LoginNegotiator(context, new SecureRandom());
            Map<String, String> challengeKeys = challenge(negotiator, algorithm[0]);
            byte[] response = chapResponse(algorithm[1], Integer.parseInt(challengeKeys.get("CHAP_I")), SECRET,
                    TextValues.parseBinary(challengeKeys.get("CHAP_C")));
            LoginStep step = negotiator.handle(request(0, 1, true, "CHAP_N=alice", "CHAP_R=" + hex(response)));
            assertEquals(LoginResponse.SUCCESS, step.response().status(), algorithm[1]);
            assertTrue(step.response().transit());
        }
    }

    @Test
    void wrongSecretFails() throws Exception {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET));
        Map<String, String> challengeKeys = challenge(negotiator, "5");
        byte[] wrong = chapResponse("MD5", Integer.parseInt(challengeKeys.get("CHAP_I")),
                "not-the-secret".getBytes(StandardCharsets.UTF_8), TextValues.parseBinary(challengeKeys.get("CHAP_C")));
        LoginStep step = negotiator.handle(request(0, 1, true, "CHAP_N=alice", "CHAP_R=" + hex(wrong)));
        assertEquals(LoginStep.Outcome.FAILED, step.outcome());
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
        assertEquals(2, step.response().statusClass());
        assertEquals(1, step.response().statusDetail());
        assertNull(step.parameters());
    }

    @Test
    void wrongUserFails() throws Exception {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET));
        Map<String, String> challengeKeys = challenge(negotiator, "5");
        byte[] right = chapResponse("MD5", Integer.parseInt(challengeKeys.get("CHAP_I")), SECRET,
                TextValues.parseBinary(challengeKeys.get("CHAP_C")));
        LoginStep step = negotiator.handle(request(0, 1, true, "CHAP_N=mallory", "CHAP_R=" + hex(right)));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
    }

    @Test
    void wrongLengthOrGarbageResponseFails() {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET));
        challenge(negotiator, "5");
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE,
                negotiator.handle(request(0, 1, true, "CHAP_N=alice", "CHAP_R=0x00")).response().status());
        LoginNegotiator garbage = new LoginNegotiator(ctx, new SecureRandom());
        challenge(garbage, "5");
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE,
                garbage.handle(request(0, 1, true, "CHAP_N=alice", "CHAP_R=zzz")).response().status());
    }

    @Test
    void missingChapRFails() {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET));
        challenge(negotiator, "5");
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, negotiator.handle(request(0, 1, true,
                "CHAP_N=alice")).response().status());
    }

    @Test
    void unsupportedAlgorithmsOnlyFail() {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET));
        negotiator.handle(request(0, 1, true, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=CHAP"));
        LoginStep step = negotiator.handle(request(0, 1, true, "CHAP_A=1,2,128"));
        assertEquals(LoginStep.Outcome.FAILED, step.outcome());
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
    }

    @Test
    void reflectedChallengeFails() throws Exception {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET, "lunar", MUTUAL_SECRET));
        Map<String, String> challengeKeys = challenge(negotiator, "5");
        int id = Integer.parseInt(challengeKeys.get("CHAP_I"));
        byte[] challenge = TextValues.parseBinary(challengeKeys.get("CHAP_C"));
        LoginStep step = negotiator.handle(request(0, 1, true, "CHAP_N=alice",
                "CHAP_R=" + hex(chapResponse("MD5", id, SECRET, challenge)),
                "CHAP_I=" + id, "CHAP_C=" + challengeKeys.get("CHAP_C")));
        assertEquals(LoginStep.Outcome.FAILED, step.outcome());
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
        assertFalse(keys(step.response()).containsKey("CHAP_R"), "no response to a reflected challenge");
    }

    @Test
    void mutualDemandedWithoutTargetSecretFails() throws Exception {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET));
        Map<String, String> challengeKeys = challenge(negotiator, "5");
        byte[] response = chapResponse("MD5", Integer.parseInt(challengeKeys.get("CHAP_I")), SECRET,
                TextValues.parseBinary(challengeKeys.get("CHAP_C")));
        LoginStep step = negotiator.handle(request(0, 1, true, "CHAP_N=alice", "CHAP_R=" + hex(response),
                "CHAP_I=1", "CHAP_C=0x0102030405060708090a0b0c0d0e0f10"));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
    }

    @Test
    void mutualNeedsBothIdAndChallenge() throws Exception {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET, "lunar", MUTUAL_SECRET));
        Map<String, String> challengeKeys = challenge(negotiator, "5");
        byte[] response = chapResponse("MD5", Integer.parseInt(challengeKeys.get("CHAP_I")), SECRET,
                TextValues.parseBinary(challengeKeys.get("CHAP_C")));
        LoginStep step = negotiator.handle(request(0, 1, true, "CHAP_N=alice", "CHAP_R=" + hex(response), "CHAP_I=1"));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
    }

    @Test
    void chapKeysOutOfOrderFail() {
        LoginNegotiator early = negotiator(new ChapCredentials("alice", SECRET));
        LoginStep step = early.handle(request(0, 1, false, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "CHAP_A=5"));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status(), "CHAP_A before AuthMethod=CHAP");
        LoginNegotiator beforeChallenge = new LoginNegotiator(ctx, new SecureRandom());
        beforeChallenge.handle(request(0, 1, false, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "AuthMethod=CHAP"));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE,
                beforeChallenge.handle(request(0, 1, false, "CHAP_N=alice", "CHAP_R=0x00")).response().status());
    }

    @Test
    void initiatorOfferingOnlyNoneWhenChapRequiredFails() {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET));
        LoginStep step = negotiator.handle(request(0, 1, true, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "AuthMethod=None"));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
    }

    @Test
    void initiatorSkippingAuthenticationFails() {
        LoginNegotiator transitNoAuth = negotiator(new ChapCredentials("alice", SECRET));
        LoginStep step = transitNoAuth.handle(request(0, 1, true, "InitiatorName=" + INITIATOR,
                "TargetName=" + TARGET));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());

        LoginNegotiator operationalFirst = new LoginNegotiator(ctx, new SecureRandom());
        step = operationalFirst.handle(request(1, 3, true, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
    }

    @Test
    void transitRequestedMidChapIsNotGranted() {
        LoginNegotiator negotiator = negotiator(new ChapCredentials("alice", SECRET));
        Map<String, String> challengeKeys = challenge(negotiator, "5");
        assertTrue(challengeKeys.containsKey("CHAP_C"));
        // challenge() already asserted T=0 on both answers although the initiator asked T=1
    }

    @Test
    void leavingInTheMiddleOfChapFails() {
        LoginNegotiator afterMethod = negotiator(new ChapCredentials("alice", SECRET));
        afterMethod.handle(request(0, 1, false, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "AuthMethod=CHAP"));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, afterMethod.handle(request(0, 1, true)).response().status());

        LoginNegotiator afterChallenge = new LoginNegotiator(ctx, new SecureRandom());
        challenge(afterChallenge, "5");
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, afterChallenge.handle(request(0, 3,
                true)).response().status());
    }

    @Test
    void optionalChapOnceAgreedMustBeFinished() {
        ctx.add(new TargetConfig(TARGET, null, new AuthConfig(false, new ChapCredentials("alice", SECRET), false),
                null, false));
        LoginNegotiator negotiator = new LoginNegotiator(ctx, new SecureRandom());
        negotiator.handle(request(0, 1, false, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "AuthMethod=CHAP"));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, negotiator.handle(request(0, 1, true)).response().status());
    }

    @Test
    void chapRequiredWithoutCredentialsFails() {
        ctx.add(new TargetConfig(TARGET, null, new AuthConfig(true, null, false), null, false));
        LoginStep step = new LoginNegotiator(ctx, new SecureRandom()).handle(request(0, 1, true,
                "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=CHAP,None"));
        assertEquals(LoginStep.Outcome.FAILED, step.outcome());
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
    }

    @Test
    void nonLoopbackPortalRequiresChap() {
        ctx.loopback = false;
        ctx.add(TargetConfig.of(TARGET));
        LoginStep step = new LoginNegotiator(ctx, new SecureRandom()).handle(request(0, 1, true,
                "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=None"));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
    }

    @Test
    void nonLoopbackPortalWithExplicitOptOutAllowsNone() {
        ctx.loopback = false;
        ctx.add(new TargetConfig(TARGET, null, new AuthConfig(false, null, true), null, false));
        LoginStep step = new LoginNegotiator(ctx, new SecureRandom()).handle(request(0, 1, true,
                "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=CHAP,None"));
        assertEquals(LoginResponse.SUCCESS, step.response().status());
        assertEquals("None", keys(step.response()).get("AuthMethod"));
        assertTrue(step.response().transit());
    }

    @Test
    void optionalChapIsChosenWhenInitiatorPrefersIt() {
        ctx.add(new TargetConfig(TARGET, null, new AuthConfig(false, new ChapCredentials("alice", SECRET), false),
                null, false));
        LoginStep step = new LoginNegotiator(ctx, new SecureRandom()).handle(request(0, 1, true,
                "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=CHAP,None"));
        assertEquals("CHAP", keys(step.response()).get("AuthMethod"));
        LoginStep none = new LoginNegotiator(ctx, new SecureRandom()).handle(request(0, 1, true,
                "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=None,CHAP"));
        assertEquals("None", keys(none.response()).get("AuthMethod"));
        assertTrue(none.response().transit());
    }

    @Test
    void unsupportedAuthMethodsAreSkipped() {
        ctx.add(new TargetConfig(TARGET, null, AuthConfig.chap(new ChapCredentials("alice", SECRET)), null, false));
        LoginStep step = new LoginNegotiator(ctx, new SecureRandom()).handle(request(0, 1, true,
                "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=SRP,KRB5,CHAP"));
        assertEquals("CHAP", keys(step.response()).get("AuthMethod"));
    }

    @Test
    void discoveryUsesDiscoveryAuth() throws Exception {
        ctx.discoveryAuth = AuthConfig.chap(new ChapCredentials("disc", SECRET));
        LoginNegotiator negotiator = new LoginNegotiator(ctx, new SecureRandom());
        LoginStep first = negotiator.handle(request(0, 1, true, "InitiatorName=" + INITIATOR, "SessionType=Discovery",
                "AuthMethod=None"));
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, first.response().status());

        LoginNegotiator chap = new LoginNegotiator(ctx, new SecureRandom());
        chap.handle(request(0, 1, true, "InitiatorName=" + INITIATOR, "SessionType=Discovery", "AuthMethod=CHAP"));
        Map<String, String> challengeKeys = keys(chap.handle(request(0, 1, true, "CHAP_A=7")).response());
        byte[] response = chapResponse("SHA-256", Integer.parseInt(challengeKeys.get("CHAP_I")), SECRET,
                TextValues.parseBinary(challengeKeys.get("CHAP_C")));
        LoginStep done = chap.handle(request(0, 3, true, "CHAP_N=disc", "CHAP_R=" + hex(response)));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, done.outcome());
        assertTrue(done.parameters().discovery());
        assertEquals("disc", done.parameters().chapUser());
    }

    @Test
    void credentialsRefuseSharedOrEmptySecrets() {
        assertEquals("the mutual CHAP secret must differ from the initiator's secret",
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> new ChapCredentials("alice", SECRET, "lunar", SECRET.clone())).getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ChapCredentials("alice", new byte[0]));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new ChapCredentials("alice", SECRET, "lunar", null));
    }

    @Test
    void credentialsCopySecrets() {
        byte[] secret = SECRET.clone();
        ChapCredentials credentials = new ChapCredentials("alice", secret);
        secret[0] ^= 1;
        assertArrayEquals(SECRET, credentials.secret());
    }

    @Test
    void credentialsNeverPrintSecrets() {
        String text = new ChapCredentials("alice", SECRET, "lunar", MUTUAL_SECRET).toString();
        assertFalse(text.contains("initiator-secret") || text.contains("target-secret"), text);
    }
}
