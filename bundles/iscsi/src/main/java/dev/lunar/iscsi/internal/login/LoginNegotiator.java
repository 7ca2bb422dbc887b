package dev.lunar.iscsi.internal.login;

import dev.lunar.iscsi.internal.login.OperationalNegotiation.KeyDefinition;
import dev.lunar.iscsi.internal.login.OperationalNegotiation.KeyKind;
import dev.lunar.pdu.text.KeyValue;
import dev.lunar.pdu.text.TextAccumulator;
import dev.lunar.pdu.text.TextCodec;
import dev.lunar.pdu.text.TextFormatException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Target side of the iSCSI login phase for one connection (RFC 7143 §6): stages, authentication
 * (CHAP, §12.1.3) and operational negotiation (§13). Pure logic: the session layer decodes Login
 * Requests, calls {@link #handle} and sends what it returns.
 *
 * <p>Stages run SecurityNegotiation (0) → LoginOperationalNegotiation (1) → FullFeaturePhase (3);
 * the target transits only when the initiator asked (T=1) and the current stage is complete
 * (§6.3, §11.12.3). Text spanning several requests (C=1) is collected up to
 * {@link #MAX_LOGIN_TEXT_BYTES} and answered with empty responses until the last part arrives;
 * our own text beyond {@link #MAX_RESPONSE_SEGMENT} bytes is sent in parts with C=1 (§11.13.2).
 *
 * <p>The first request also decides authorization: a target with access control entries
 * ({@link AccessControl}) refuses initiators it does not list with "authorization failure"
 * (0x0202), and a listed initiator's own CHAP credentials replace the target's.
 *
 * <p>Not thread-safe: called by the connection's login thread, one request at a time. Never blocks,
 * never throws on malformed input and never holds more than a bounded amount of initiator text:
 * bad input ends in a failure status and {@link LoginStep.Outcome#FAILED}.
 */
public final class LoginNegotiator {

    private static final Logger LOG = LoggerFactory.getLogger(LoginNegotiator.class);

    /** Most text one request may carry, C-bit continuations included. */
    public static final int MAX_LOGIN_TEXT_BYTES = 64 * 1024;
    /** Most keys one request may carry. */
    public static final int MAX_KEYS_PER_REQUEST = 256;
    /** Most distinct keys a whole login may negotiate (every key only once, RFC 7143 §6.2). */
    public static final int MAX_KEYS_PER_LOGIN = 512;
    /** Most Login Requests one login may take; a real login needs fewer than ten. */
    public static final int MAX_LOGIN_REQUESTS = 64;
    /**
     * Largest data segment of one Login Response: the initiator's MaxRecvDataSegmentLength during
     * login is the default 8192 (RFC 7143 §13.12), whatever it declares for the full feature phase.
     */
    public static final int MAX_RESPONSE_SEGMENT = 8192;
    /** RFC 3720 §3.2.6.1 / RFC 7143 §4.2.7.1: an iSCSI name has at most 223 bytes. */
    static final int MAX_NAME_BYTES = 223;

    private static final byte[] EMPTY = new byte[0];
    private static final String INITIATOR_NAME = "InitiatorName";
    private static final String TARGET_NAME = "TargetName";
    private static final String SESSION_TYPE = "SessionType";
    private static final String INITIATOR_ALIAS = "InitiatorAlias";

    private final LoginContext ctx;
    private final SecureRandom random;
    private final TextAccumulator accumulator = new TextAccumulator(MAX_LOGIN_TEXT_BYTES);
    private final Set<String> negotiatedKeys = new HashSet<>();

    private boolean started;
    private boolean established;
    private boolean finished;
    private boolean firstAnswerSent;
    private boolean requestHadSecurityKeys;
    private int requests;
    private int stage;
    private long isid;
    private int tsih;
    private int cid;

    private String initiatorName;
    private String initiatorAlias;
    private SessionType sessionType;
    private String targetName;
    private TargetConfig target;
    private SessionCheck sessionCheck;
    private SecurityNegotiation security;
    private OperationalNegotiation operational;

    /** Our response text still to send in C=1 parts, and the response its last part completes. */
    private byte[] pendingText;
    private int pendingOffset;
    private LoginResponse pendingFinal;
    private LoginStep.Outcome pendingOutcome;
    private SessionParameters pendingParameters;

    /**
     * @param ctx configuration and session table of the connection's portal
     * @param random source of CHAP identifiers and challenges
     */
    public LoginNegotiator(LoginContext ctx, SecureRandom random) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Handles one Login Request and says what to answer and what to do next. After a
     * {@code FAILED} or {@code FULL_FEATURE} step the negotiator is done; further requests fail.
     */
    public LoginStep handle(LoginRequest request) {
        Objects.requireNonNull(request, "request");
        try {
            return process(request);
        } catch (LoginFailure failure) {
            return fail(failure);
        } catch (RuntimeException bug) {
            LOG.error("Login from {} (ISID {}) failed on an internal error", printable(initiatorName), isidText(), bug);
            return fail(new LoginFailure(LoginResponse.TARGET_ERROR, "internal error"));
        }
    }

    private LoginStep fail(LoginFailure failure) {
        finished = true;
        pendingText = null;
        LOG.warn("Login from {} (ISID {}) to {} refused with status 0x{}: {}", printable(initiatorName), isidText(),
                printable(targetName), String.format("%04x", failure.status()), printable(failure.getMessage()));
        return new LoginStep(LoginResponse.status(stage, failure.status(), EMPTY), LoginStep.Outcome.FAILED, null);
    }

    private LoginStep process(LoginRequest request) throws LoginFailure {
        if (finished) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR, "Login Request after the login ended");
        }
        if (++requests > MAX_LOGIN_REQUESTS) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                    "more than " + MAX_LOGIN_REQUESTS + " Login Requests");
        }
        checkHeader(request);
        if (pendingText != null) {
            return nextResponsePart(request);
        }
        if (request.cont()) {
            // RFC 7143 §11.12.2: collect, answer with an empty response until C=0
            append(request.text());
            return new LoginStep(new LoginResponse(false, false, stage, 0, 0, 0, EMPTY), LoginStep.Outcome.CONTINUE,
                    null);
        }
        byte[] text = request.text();
        if (!accumulator.isEmpty()) {
            append(text);
            text = accumulator.drain();
        }
        Map<String, String> keys = decode(text);
        if (!established) {
            LoginStep redirect = establish(keys, request);
            if (redirect != null) {
                return redirect;
            }
        }
        List<KeyValue> answers = negotiate(keys);

        boolean transit = false;
        if (request.transit()) {
            if (stage == LoginResponse.STAGE_SECURITY) {
                if (security.skipsRequiredAuthentication()) {
                    throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE,
                            "initiator tried to leave the security stage without the required CHAP");
                }
                if (!security.complete() && !requestHadSecurityKeys) {
                    // CHAP was agreed: the initiator must finish it, not ask to move on without the next step
                    throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE,
                            "initiator tried to leave the security stage in the middle of CHAP ("
                                    + security.state() + ")");
                }
                transit = security.complete();
            } else {
                transit = true;
            }
        }
        if (stage == LoginResponse.STAGE_OPERATIONAL && !operational.maxRecvDataSegmentLengthDeclared()) {
            answers.add(new KeyValue(OperationalNegotiation.MAX_RECV_DATA_SEGMENT_LENGTH,
                    operational.declareMaxRecvDataSegmentLength()));
        }
        int nsg = transit ? request.nsg() : 0;
        LoginStep.Outcome outcome = transit && nsg == LoginResponse.STAGE_FULL_FEATURE
                ? LoginStep.Outcome.FULL_FEATURE : LoginStep.Outcome.CONTINUE;
        SessionParameters parameters = outcome == LoginStep.Outcome.FULL_FEATURE
                ? operational.parameters(sessionType, initiatorName, initiatorAlias,
                        sessionType == SessionType.NORMAL ? target.iqn() : null, security.authenticatedUser())
                : null;
        return send(new LoginResponse(transit, false, stage, nsg, 0, 0, TextCodec.encode(answers)), outcome,
                parameters);
    }

    /** RFC 7143 §11.12: fields that must be valid and stay the same for the whole login. */
    private void checkHeader(LoginRequest request) throws LoginFailure {
        if (!started) {
            if ((request.versionMin() & 0xff) > 0) {
                // RFC 7143 §11.12.4: we speak version 0x00 only
                throw new LoginFailure(LoginResponse.UNSUPPORTED_VERSION, "initiator needs version "
                        + (request.versionMin() & 0xff) + ".." + (request.versionMax() & 0xff) + ", target speaks 0");
            }
            isid = request.isid() & 0xffff_ffff_ffffL;
            tsih = request.tsih();
            cid = request.cid();
        } else if ((request.isid() & 0xffff_ffff_ffffL) != isid || request.tsih() != tsih || request.cid() != cid) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR, "ISID, TSIH or CID changed during login");
        }
        int csg = request.csg();
        if (csg != LoginResponse.STAGE_SECURITY && csg != LoginResponse.STAGE_OPERATIONAL) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR, "CSG " + csg + " in a Login Request");
        }
        if (!started) {
            stage = csg;
            started = true;
        } else if (csg != stage) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                    "CSG " + csg + " while the login is in stage " + stage);
        }
        if (request.transit()) {
            if (request.cont()) {
                throw new LoginFailure(LoginResponse.INITIATOR_ERROR, "T and C both set (RFC 7143 §11.12.2)");
            }
            int nsg = request.nsg();
            if ((nsg != LoginResponse.STAGE_OPERATIONAL && nsg != LoginResponse.STAGE_FULL_FEATURE) || nsg <= csg) {
                throw new LoginFailure(LoginResponse.INITIATOR_ERROR, "transit from stage " + csg + " to NSG " + nsg);
            }
        }
    }

    private void append(byte[] text) throws LoginFailure {
        try {
            accumulator.append(text);
        } catch (TextFormatException e) {
            accumulator.clear();
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR, e.getMessage());
        }
    }

    private Map<String, String> decode(byte[] text) throws LoginFailure {
        List<KeyValue> pairs;
        try {
            pairs = TextCodec.decode(text, MAX_LOGIN_TEXT_BYTES, MAX_KEYS_PER_REQUEST);
        } catch (TextFormatException e) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                    "bad login text (" + e.reason() + "): " + e.getMessage());
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (KeyValue pair : pairs) {
            keys.put(pair.key(), pair.value());
        }
        return keys;
    }

    /**
     * The first request (RFC 7143 §6.3.1): who logs in to what, whether the session layer lets it,
     * redirection, and the authentication policy. Returns a redirect step, or null to go on.
     */
    private LoginStep establish(Map<String, String> keys, LoginRequest request) throws LoginFailure {
        String name = keys.get(INITIATOR_NAME);
        if (name == null) {
            throw new LoginFailure(LoginResponse.MISSING_PARAMETER, "first Login Request lacks InitiatorName");
        }
        if (name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                    "InitiatorName empty or longer than " + MAX_NAME_BYTES);
        }
        initiatorName = name;
        initiatorAlias = keys.get(INITIATOR_ALIAS);
        String type = keys.getOrDefault(SESSION_TYPE, SessionType.NORMAL.keyValue());
        sessionType = SessionType.fromKeyValue(type);
        if (sessionType == null) {
            throw new LoginFailure(LoginResponse.SESSION_TYPE_NOT_SUPPORTED, "SessionType=" + type);
        }
        targetName = keys.get(TARGET_NAME);
        AuthConfig auth;
        if (sessionType == SessionType.NORMAL) {
            if (targetName == null) {
                throw new LoginFailure(LoginResponse.MISSING_PARAMETER, "normal session without TargetName");
            }
            target = ctx.target(targetName);
            if (target == null) {
                throw new LoginFailure(LoginResponse.NOT_FOUND, "no target " + targetName);
            }
            // Checked before redirection and authentication, as LIO does: an initiator the ACL
            // does not list learns nothing more, not even where the target went (RFC 7143 §11.13.5)
            AccessControl.Admission admission = target.admission(initiatorName);
            if (!admission.admitted()) {
                throw new LoginFailure(LoginResponse.AUTHORIZATION_FAILURE,
                        "initiator is not in the access control list of " + target.iqn());
            }
            if (target.redirectAddress() != null) {
                return redirect(target);
            }
            auth = target.authFor(admission);
        } else {
            auth = ctx.discoveryAuth() == null ? AuthConfig.none() : ctx.discoveryAuth();
        }
        sessionCheck = ctx.checkSession(initiatorName, isid, tsih, target == null ? null : target.iqn());
        if (sessionCheck == null) {
            throw new LoginFailure(LoginResponse.TARGET_ERROR, "session layer gave no answer");
        }
        if (!sessionCheck.accepted()) {
            throw new LoginFailure(sessionCheck.status(), "session check: " + sessionCheck + " (TSIH " + tsih + ")");
        }
        boolean loopback = ctx.portalIsLoopback();
        boolean chapRequired = auth.requiresChap(loopback);
        String what = sessionType == SessionType.NORMAL ? "target " + target.iqn() : "discovery";
        if (chapRequired && auth.credentials() == null) {
            // DESIGN §3.7: never fall back to no authentication when it is required
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE, "CHAP is required for " + what
                    + (loopback ? "" : " on a non-loopback portal") + " but no CHAP credentials are configured");
        }
        if (chapRequired && request.csg() != LoginResponse.STAGE_SECURITY) {
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE,
                    "initiator skipped the security stage but " + what + " requires CHAP");
        }
        security = new SecurityNegotiation(auth, chapRequired, random);
        operational = new OperationalNegotiation(ctx.defaults(), ctx.transportLimits(),
                sessionType == SessionType.DISCOVERY);
        established = true;
        return null;
    }

    private LoginStep redirect(TargetConfig redirected) {
        finished = true;
        int status = redirected.redirectPermanent()
                ? LoginResponse.TARGET_MOVED_PERMANENTLY : LoginResponse.TARGET_MOVED_TEMPORARILY;
        LOG.info("Login from {} to {} redirected to {} ({})", printable(initiatorName), redirected.iqn(),
                redirected.redirectAddress(), redirected.redirectPermanent() ? "permanently" : "temporarily");
        // RFC 7143 §11.13.5: class 1 responses carry the new TargetAddress, and §13.8: without the
        // ",portal-group-tag" suffix a SendTargets-style address would have
        String address = redirected.redirectAddress();
        int comma = address.lastIndexOf(',');
        if (comma > address.lastIndexOf(']')) {
            address = address.substring(0, comma);
        }
        byte[] text = TextCodec.encode(List.of(new KeyValue("TargetAddress", address)));
        return new LoginStep(LoginResponse.status(stage, status, text), LoginStep.Outcome.FAILED, null);
    }

    /** Answers every key of one request, by the key table's kind of each key. */
    private List<KeyValue> negotiate(Map<String, String> keys) throws LoginFailure {
        // answers keep the request's key order; null marks an operational key answered below
        Map<String, String> answers = new LinkedHashMap<>();
        Map<String, String> securityKeys = new LinkedHashMap<>();
        List<KeyDefinition> operationalKeys = new ArrayList<>();
        List<KeyDefinition> dependent = new ArrayList<>();
        for (Map.Entry<String, String> entry : keys.entrySet()) {
            String key = entry.getKey();
            KeyDefinition definition = OperationalNegotiation.definition(key);
            if (definition == null || definition.kind() != KeyKind.LOGIN_DECLARATIVE) {
                // RFC 7143 §6.2: negotiating or declaring a key twice in one login is an initiator error
                if (!negotiatedKeys.add(key)) {
                    throw new LoginFailure(LoginResponse.INITIATOR_ERROR, "key " + key + " sent twice during login");
                }
                if (negotiatedKeys.size() > MAX_KEYS_PER_LOGIN) {
                    throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                            "more than " + MAX_KEYS_PER_LOGIN + " keys");
                }
            }
            if (definition == null) {
                // X-, X# and keys we do not know (RFC 7143 §6.2, §13.5)
                answers.put(key, OperationalNegotiation.NOT_UNDERSTOOD);
                continue;
            }
            switch (definition.kind()) {
                case LOGIN_DECLARATIVE -> checkDeclaration(key, entry.getValue());
                case SECURITY -> {
                    if (stage != LoginResponse.STAGE_SECURITY) {
                        throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                                "security key " + key + " in the operational stage");
                    }
                    securityKeys.put(key, entry.getValue());
                }
                case SESSION, CONNECTION -> {
                    if (stage != LoginResponse.STAGE_OPERATIONAL) {
                        throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                                "operational key " + key + " in the security stage");
                    }
                    if (definition.kind() == KeyKind.SESSION && sessionCheck == SessionCheck.ADD_CONNECTION) {
                        throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                                "session-wide key " + key + " on a connection joining an existing session");
                    }
                    answers.put(key, null);
                    if (OperationalNegotiation.DEPENDENT_KEYS.contains(key)) {
                        // answered last: they depend on other keys of the same request
                        dependent.add(definition);
                    } else {
                        operationalKeys.add(definition);
                    }
                }
                case TARGET_ONLY -> throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                        key + " is sent by targets only");
                case FULL_FEATURE_ONLY -> answers.put(key, OperationalNegotiation.IRRELEVANT);
                default -> throw new IllegalStateException(definition.kind().toString());
            }
        }
        operationalKeys.addAll(dependent);
        for (KeyDefinition definition : operationalKeys) {
            answers.put(definition.name(), operational.answer(definition, keys.get(definition.name())));
        }
        List<KeyValue> out = new ArrayList<>();
        if (!firstAnswerSent) {
            firstAnswerSent = true;
            if (sessionType == SessionType.NORMAL) {
                // RFC 7143 §13.9: the target returns its portal group tag in the first Login Response
                out.add(new KeyValue("TargetPortalGroupTag", Integer.toString(ctx.portalGroupTag())));
                if (target.alias() != null) {
                    out.add(new KeyValue("TargetAlias", target.alias()));
                }
            }
        }
        for (Map.Entry<String, String> answer : answers.entrySet()) {
            if (answer.getValue() != null) {
                out.add(new KeyValue(answer.getKey(), answer.getValue()));
            }
        }
        requestHadSecurityKeys = !securityKeys.isEmpty();
        if (requestHadSecurityKeys) {
            security.process(securityKeys, out);
        }
        return out;
    }

    /**
     * InitiatorName, TargetName, SessionType and InitiatorAlias are fixed by the first request that
     * carries them; a later request may repeat them unchanged but never change them (RFC 7143 §13.4,
     * §13.5 forbid redeclaring the names). Repeats are tolerated because libiscsi, when it offered
     * CHAP and the target chose None, sends the names again in its first operational request. A
     * declaration first made in a later request must agree with what the first request implied:
     * SessionType defaulted to Normal, TargetName is ignored by discovery.
     */
    private void checkDeclaration(String key, String value) throws LoginFailure {
        String current = switch (key) {
            case INITIATOR_NAME -> initiatorName;
            case SESSION_TYPE -> sessionType.keyValue();
            case TARGET_NAME -> targetName;
            default -> initiatorAlias;
        };
        if (current == null) {
            if (key.equals(INITIATOR_ALIAS)) {
                initiatorAlias = value;
                return;
            }
            if (key.equals(TARGET_NAME) && sessionType == SessionType.DISCOVERY) {
                targetName = value;
                return;
            }
        }
        if (!value.equals(current)) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR, key + " changed during login");
        }
    }

    private LoginStep send(LoginResponse response, LoginStep.Outcome outcome, SessionParameters parameters) {
        byte[] text = response.text();
        if (text.length <= MAX_RESPONSE_SEGMENT) {
            return complete(response, outcome, parameters);
        }
        pendingText = text;
        pendingOffset = MAX_RESPONSE_SEGMENT;
        pendingFinal = response;
        pendingOutcome = outcome;
        pendingParameters = parameters;
        return new LoginStep(new LoginResponse(false, true, stage, 0, 0, 0, Arrays.copyOf(text, MAX_RESPONSE_SEGMENT)),
                LoginStep.Outcome.CONTINUE, null);
    }

    /** The initiator acknowledged a C=1 response part with an empty request: send the next part. */
    private LoginStep nextResponsePart(LoginRequest request) throws LoginFailure {
        if (request.text().length != 0 || request.cont()) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR,
                    "initiator sent text while the target's response continued");
        }
        int remaining = pendingText.length - pendingOffset;
        if (remaining > MAX_RESPONSE_SEGMENT) {
            byte[] part = Arrays.copyOfRange(pendingText, pendingOffset, pendingOffset + MAX_RESPONSE_SEGMENT);
            pendingOffset += MAX_RESPONSE_SEGMENT;
            return new LoginStep(new LoginResponse(false, true, stage, 0, 0, 0, part), LoginStep.Outcome.CONTINUE,
                    null);
        }
        byte[] last = Arrays.copyOfRange(pendingText, pendingOffset, pendingText.length);
        LoginResponse response = new LoginResponse(pendingFinal.transit(), false, pendingFinal.csg(),
                pendingFinal.nsg(),
                0, 0, last);
        pendingText = null;
        return complete(response, pendingOutcome, pendingParameters);
    }

    private LoginStep complete(LoginResponse response, LoginStep.Outcome outcome, SessionParameters parameters) {
        if (response.transit()) {
            stage = response.nsg();
        }
        if (outcome == LoginStep.Outcome.FULL_FEATURE) {
            finished = true;
            LOG.debug("Login from {} (ISID {}) to {} complete: {}", printable(initiatorName), isidText(),
                    printable(targetName),
                    parameters.asMap());
        }
        return new LoginStep(response, outcome, parameters);
    }

    /**
     * Text from the network made safe for one log line: control characters (a forged newline could
     * fake log entries) become '?', and the length is capped.
     */
    static String printable(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder safe = new StringBuilder(Math.min(text.length(), 300));
        for (int i = 0; i < text.length() && i < 300; i++) {
            char c = text.charAt(i);
            safe.append(Character.isISOControl(c) ? '?' : c);
        }
        if (text.length() > 300) {
            safe.append("...");
        }
        return safe.toString();
    }

    private String isidText() {
        return String.format("%012x", isid);
    }
}
