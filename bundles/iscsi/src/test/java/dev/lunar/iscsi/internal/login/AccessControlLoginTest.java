package dev.lunar.iscsi.internal.login;

import static dev.lunar.iscsi.internal.login.LoginTexts.INITIATOR;
import static dev.lunar.iscsi.internal.login.LoginTexts.TARGET;
import static dev.lunar.iscsi.internal.login.LoginTexts.keys;
import static dev.lunar.iscsi.internal.login.LoginTexts.pairs;
import static dev.lunar.iscsi.internal.login.LoginTexts.request;
import static dev.lunar.iscsi.internal.login.LoginTexts.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.pdu.text.KeyValue;
import dev.lunar.pdu.text.TextValues;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Login admission, per-initiator CHAP and discovery filtering by ACL (RFC 7143 §11.13.5, §12.3). */
class AccessControlLoginTest {

    private static final String OTHER_TARGET = "iqn.2026-01.dev.lunar:disk1";
    private static final String STRANGER = "iqn.2026-01.dev.lunar:stranger";
    private static final byte[] TARGET_SECRET = "target-wide-secret".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ACL_SECRET = "per-initiator-secret".getBytes(StandardCharsets.UTF_8);
    private static final byte[] MUTUAL_SECRET = "acl-mutual-secret".getBytes(StandardCharsets.UTF_8);

    private final AccessControl acl = new AccessControl();
    private final FakeLoginContext ctx = new FakeLoginContext();

    private void targets(AuthConfig auth) {
        ctx.add(new TargetConfig(TARGET, null, auth, null, false, acl), "127.0.0.1:3260,1");
        ctx.add(new TargetConfig(OTHER_TARGET, null, AuthConfig.none(), null, false, acl), "127.0.0.1:3260,1");
    }

    private LoginStep firstRequest(String initiator, String authMethods) {
        return new LoginNegotiator(ctx, new SecureRandom()).handle(request(0, 1, true, "InitiatorName=" + initiator,
                "TargetName=" + TARGET, "SessionType=Normal", "AuthMethod=" + authMethods));
    }

    @Test
    void targetWithoutAclAdmitsEveryone() {
        targets(AuthConfig.none());
        acl.put(new InitiatorAcl("other", OTHER_TARGET, INITIATOR, null));
        LoginStep step = firstRequest(STRANGER, "None");
        assertEquals(LoginResponse.SUCCESS, step.response().status());
        assertTrue(step.response().transit());
    }

    @Test
    void unlistedInitiatorGetsAuthorizationFailure() {
        targets(AuthConfig.none());
        acl.put(new InitiatorAcl("host", TARGET, INITIATOR, null));
        LoginStep step = firstRequest(STRANGER, "None");
        assertEquals(LoginStep.Outcome.FAILED, step.outcome());
        assertEquals(LoginResponse.AUTHORIZATION_FAILURE, step.response().status(), "class 2 detail 2");
        assertEquals(2, step.response().statusClass());
        assertEquals(2, step.response().statusDetail());
        assertEquals(List.of(), ctx.checks, "refused before the session layer is asked");
    }

    @Test
    void listedInitiatorLogsInAndNamesCompareCaseInsensitively() {
        targets(AuthConfig.none());
        acl.put(new InitiatorAcl("host", TARGET.toUpperCase(java.util.Locale.ROOT), INITIATOR.toUpperCase(
                java.util.Locale.ROOT), null));
        LoginNegotiator n = new LoginNegotiator(ctx, new SecureRandom());
        LoginStep first = n.handle(request(0, 1, true, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET,
                "AuthMethod=None"));
        assertEquals(LoginResponse.SUCCESS, first.response().status());
        LoginStep last = n.handle(request(1, 3, true, "HeaderDigest=None"));
        assertEquals(LoginStep.Outcome.FULL_FEATURE, last.outcome());
    }

    @Test
    void aclChangesApplyToTheNextLogin() {
        targets(AuthConfig.none());
        acl.put(new InitiatorAcl("host", TARGET, INITIATOR, null));
        assertEquals(LoginResponse.AUTHORIZATION_FAILURE, firstRequest(STRANGER, "None").response().status());
        acl.put(new InitiatorAcl("stranger", TARGET, STRANGER, null));
        assertEquals(LoginResponse.SUCCESS, firstRequest(STRANGER, "None").response().status());
        acl.remove("stranger");
        acl.remove("host");
        assertEquals(LoginResponse.SUCCESS, firstRequest(STRANGER, "None").response().status(),
                "no ACL left: open again");
    }

    @Test
    void unlistedInitiatorIsNotToldWhereARedirectedTargetWent() {
        ctx.add(new TargetConfig(TARGET, null, AuthConfig.none(), "192.0.2.10:3260", false, acl));
        acl.put(new InitiatorAcl("host", TARGET, INITIATOR, null));
        LoginStep step = firstRequest(STRANGER, "None");
        assertEquals(LoginResponse.AUTHORIZATION_FAILURE, step.response().status());
        assertEquals(Map.of(), keys(step.response()));
        assertEquals(LoginResponse.TARGET_MOVED_TEMPORARILY, firstRequest(INITIATOR, "None").response().status());
    }

    private static String hex(byte[] b) {
        return "0x" + HexFormat.of().formatHex(b);
    }

    private static byte[] md5(int id, byte[] secret, byte[] challenge) throws Exception {
        MessageDigest d = MessageDigest.getInstance("MD5");
        d.update((byte) id);
        d.update(secret);
        d.update(challenge);
        return d.digest();
    }

    /** CHAP with MD5 up to the initiator's response; returns the third step. */
    private static LoginStep chap(LoginNegotiator n, String initiator, String user, byte[] secret, String... more)
            throws Exception {
        LoginStep first = n.handle(request(0, 1, true, "InitiatorName=" + initiator, "TargetName=" + TARGET,
                "AuthMethod=CHAP,None"));
        assertEquals("CHAP", keys(first.response()).get("AuthMethod"), "CHAP chosen");
        Map<String, String> c = keys(n.handle(request(0, 1, true, "CHAP_A=5")).response());
        int id = Integer.parseInt(c.get("CHAP_I"));
        byte[] challenge = TextValues.parseBinary(c.get("CHAP_C"));
        String[] keys = new String[2 + more.length];
        keys[0] = "CHAP_N=" + user;
        keys[1] = "CHAP_R=" + hex(md5(id, secret, challenge));
        System.arraycopy(more, 0, keys, 2, more.length);
        return n.handle(request(0, 1, true, keys));
    }

    @Test
    void perAclChapReplacesTheTargetsChapForThatInitiator() throws Exception {
        targets(AuthConfig.chap(new ChapCredentials("target-user", TARGET_SECRET)));
        acl.put(new InitiatorAcl("host", TARGET, INITIATOR, new ChapCredentials("host-user", ACL_SECRET)));
        acl.put(new InitiatorAcl("plain", TARGET, STRANGER, null));

        LoginStep own = chap(new LoginNegotiator(ctx, new SecureRandom()), INITIATOR, "host-user", ACL_SECRET);
        assertEquals(LoginResponse.SUCCESS, own.response().status());
        assertTrue(own.response().transit());

        LoginStep targetWide = chap(new LoginNegotiator(ctx, new SecureRandom()), INITIATOR, "target-user",
                TARGET_SECRET);
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, targetWide.response().status(),
                "the target's credentials no longer work for this initiator");

        LoginStep other = chap(new LoginNegotiator(ctx, new SecureRandom()), STRANGER, "target-user", TARGET_SECRET);
        assertEquals(LoginResponse.SUCCESS, other.response().status(), "an ACL without CHAP keeps the target's");
    }

    @Test
    void perAclChapIsRequiredEvenWhereTheTargetNeedsNone() {
        targets(AuthConfig.none());
        acl.put(new InitiatorAcl("host", TARGET, INITIATOR, new ChapCredentials("host-user", ACL_SECRET)));
        LoginStep step = firstRequest(INITIATOR, "None");
        assertFalse(step.response().status() == LoginResponse.SUCCESS && step.response().transit(),
                "AuthMethod=None must not get through");
        assertEquals(LoginResponse.AUTHENTICATION_FAILURE, step.response().status());
    }

    @Test
    void perAclMutualChapAnswersWithTheAclsTargetSecret() throws Exception {
        targets(AuthConfig.none());
        acl.put(new InitiatorAcl("host", TARGET, INITIATOR,
                new ChapCredentials("host-user", ACL_SECRET, "lunar-for-host", MUTUAL_SECRET)));
        byte[] ours = new byte[16];
        new SecureRandom().nextBytes(ours);
        LoginStep step = chap(new LoginNegotiator(ctx, new SecureRandom()), INITIATOR, "host-user", ACL_SECRET,
                "CHAP_I=9", "CHAP_C=" + hex(ours));
        assertEquals(LoginResponse.SUCCESS, step.response().status());
        Map<String, String> answer = keys(step.response());
        assertEquals("lunar-for-host", answer.get("CHAP_N"));
        assertArrayEquals(md5(9, MUTUAL_SECRET, ours), TextValues.parseBinary(answer.get("CHAP_R")));
    }

    private static SessionParameters discovery(String initiator) {
        return new SessionParameters(false, false, 1, true, true, 8192, 8192, 262144, 65536, 2, 20, 1, true, true, 0,
                SessionType.DISCOVERY, initiator, null, null, 1, null);
    }

    @Test
    void discoveryListsOnlyTargetsTheInitiatorMayLogInTo() throws Exception {
        targets(AuthConfig.none());
        acl.put(new InitiatorAcl("host", TARGET, INITIATOR, null));
        SendTargetsResponder responder = new SendTargetsResponder(ctx);
        List<KeyValue> stranger = pairs(responder.respond(text("SendTargets=All"), discovery(STRANGER)));
        assertEquals(List.of(new KeyValue("TargetName", OTHER_TARGET), new KeyValue("TargetAddress",
                "127.0.0.1:3260,1")), stranger, "the ACL'd target is hidden, the open one listed");
        List<KeyValue> host = pairs(responder.respond(text("SendTargets=All"), discovery(INITIATOR)));
        assertEquals(List.of(TARGET, OTHER_TARGET), host.stream().filter(p -> p.key().equals("TargetName"))
                .map(KeyValue::value).toList());
        assertEquals(List.of(), pairs(responder.respond(text("SendTargets=" + TARGET), discovery(STRANGER))),
                "asking by name does not reveal it either");
    }

    @Test
    void admissionSaysWhichChapApplies() {
        TargetConfig t = new TargetConfig(TARGET, null, AuthConfig.none(), null, false, acl);
        assertTrue(t.admission(STRANGER).admitted());
        assertNull(t.admission(STRANGER).chap());
        ChapCredentials own = new ChapCredentials("u", ACL_SECRET);
        acl.put(new InitiatorAcl("b", TARGET, INITIATOR, own));
        acl.put(new InitiatorAcl("a", TARGET, INITIATOR, null));
        assertNull(t.admission(INITIATOR).chap(), "configuration 'a' sorts first and applies");
        acl.remove("a");
        assertEquals(own, t.admission(INITIATOR).chap());
        assertTrue(t.authFor(t.admission(INITIATOR)).chapRequired());
        assertFalse(t.admission(STRANGER).admitted());
        assertFalse(TargetConfig.of(TARGET).authFor(TargetConfig.of(TARGET).admission(STRANGER)).chapRequired());
    }
}
