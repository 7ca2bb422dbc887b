package dev.lunar.iscsi.internal.login;

import dev.lunar.pdu.text.KeyValue;
import dev.lunar.pdu.text.TextFormatException;
import dev.lunar.pdu.text.TextValues;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;

/**
 * The security negotiation stage of one login (RFC 7143 §6.3.2, §12.1): AuthMethod selection and
 * the target side of CHAP (§12.1.3, RFC 1994), one-way or mutual. Not thread-safe; one per login.
 */
final class SecurityNegotiation {

    /** Where the exchange stands. */
    enum State {
        /** No AuthMethod agreed yet. */
        START,
        /** AuthMethod=CHAP agreed, waiting for CHAP_A. */
        CHAP_SELECTED,
        /** CHAP_I/CHAP_C sent, waiting for CHAP_N/CHAP_R. */
        CHALLENGED,
        /** Authenticated (or AuthMethod=None agreed): the stage may end. */
        DONE
    }

    static final String AUTH_METHOD = "AuthMethod";
    static final String CHAP_A = "CHAP_A";
    static final String CHAP_I = "CHAP_I";
    static final String CHAP_C = "CHAP_C";
    static final String CHAP_N = "CHAP_N";
    static final String CHAP_R = "CHAP_R";

    /** Longest AuthMethod or CHAP_A list we look at; real initiators send two to five. */
    private static final int MAX_LIST = 16;

    private final AuthConfig auth;
    private final boolean chapRequired;
    private final SecureRandom random;
    private State state = State.START;
    private ChapAlgorithm algorithm;
    private int identifier;
    private byte[] challenge;
    private String authenticatedUser;

    SecurityNegotiation(AuthConfig auth, boolean chapRequired, SecureRandom random) {
        this.auth = auth;
        this.chapRequired = chapRequired;
        this.random = random;
    }

    State state() {
        return state;
    }

    /** CHAP_N the initiator proved, null when no CHAP took place. */
    String authenticatedUser() {
        return authenticatedUser;
    }

    /**
     * Whether the stage may end now. Without any AuthMethod key the default is None (RFC 7143
     * §12.1), acceptable only when CHAP is not required.
     */
    boolean complete() {
        return state == State.DONE || (state == State.START && !chapRequired);
    }

    /** Whether the initiator, by asking to leave this stage now, tries to skip required authentication. */
    boolean skipsRequiredAuthentication() {
        return state == State.START && chapRequired;
    }

    /**
     * Handles the security keys of one request, in the order AuthMethod, CHAP_A, CHAP_N/R/I/C, so an
     * initiator may combine steps in one PDU.
     *
     * @param keys this request's security keys (others are not looked at)
     * @param out answers are appended here
     */
    void process(Map<String, String> keys, List<KeyValue> out) throws LoginFailure {
        String methods = keys.get(AUTH_METHOD);
        if (methods != null) {
            selectMethod(methods, out);
        }
        String algorithms = keys.get(CHAP_A);
        if (algorithms != null) {
            challenge(algorithms, out);
        }
        if (keys.containsKey(CHAP_N) || keys.containsKey(CHAP_R) || keys.containsKey(CHAP_I)
                || keys.containsKey(CHAP_C)) {
            verify(keys, out);
        }
    }

    private void selectMethod(String offered, List<KeyValue> out) throws LoginFailure {
        if (state != State.START) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR, "AuthMethod renegotiated");
        }
        List<String> methods = list(offered, AUTH_METHOD);
        boolean chapPossible = auth.credentials() != null;
        for (String method : methods) {
            // RFC 7143 §6.2.1: the first value of the initiator's list that we accept
            if (method.equals("CHAP") && chapPossible) {
                out.add(new KeyValue(AUTH_METHOD, "CHAP"));
                state = State.CHAP_SELECTED;
                return;
            }
            if (method.equals("None") && !chapRequired) {
                out.add(new KeyValue(AUTH_METHOD, "None"));
                state = State.DONE;
                return;
            }
        }
        throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE, "no acceptable AuthMethod in '" + offered
                + "' (CHAP " + (chapRequired ? "required" : chapPossible ? "possible" : "not configured") + ")");
    }

    private void challenge(String offered, List<KeyValue> out) throws LoginFailure {
        if (state != State.CHAP_SELECTED) {
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE, "CHAP_A without AuthMethod=CHAP agreed");
        }
        for (String code : list(offered, CHAP_A)) {
            ChapAlgorithm candidate;
            try {
                candidate = ChapAlgorithm.byCode(TextValues.parseNumber(code));
            } catch (TextFormatException e) {
                continue; // an algorithm name we cannot read is one we do not support
            }
            if (candidate != null) {
                algorithm = candidate;
                break;
            }
        }
        if (algorithm == null) {
            // RFC 7143 §12.1.3: the target answers an unacceptable CHAP_A with Authentication Failure
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE,
                    "no supported CHAP algorithm in CHAP_A=" + offered);
        }
        identifier = random.nextInt(256);
        // at least as long as the digest, so the challenge carries as much entropy as the response
        challenge = new byte[Math.max(16, algorithm.digestLength())];
        random.nextBytes(challenge);
        out.add(new KeyValue(CHAP_A, Integer.toString(algorithm.code())));
        out.add(new KeyValue(CHAP_I, Integer.toString(identifier)));
        out.add(new KeyValue(CHAP_C, TextValues.formatHex(challenge)));
        state = State.CHALLENGED;
    }

    private void verify(Map<String, String> keys, List<KeyValue> out) throws LoginFailure {
        if (state != State.CHALLENGED) {
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE, "CHAP response before a challenge");
        }
        String name = keys.get(CHAP_N);
        String response = keys.get(CHAP_R);
        if (name == null || response == null) {
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE, "CHAP_N and CHAP_R must come together");
        }
        byte[] received;
        try {
            received = TextValues.parseBinary(response);
        } catch (TextFormatException e) {
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE, "unreadable CHAP_R: " + e.getMessage());
        }
        ChapCredentials credentials = auth.credentials();
        byte[] expected = algorithm.response(identifier, credentials.secret(), challenge);
        // constant-time comparisons: no timing oracle on the name or the response
        boolean nameMatches = MessageDigest.isEqual(name.getBytes(StandardCharsets.UTF_8),
                credentials.user().getBytes(StandardCharsets.UTF_8));
        boolean responseMatches = MessageDigest.isEqual(expected, received);
        if (!nameMatches || !responseMatches) {
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE,
                    "CHAP failed for CHAP_N=" + name + (nameMatches ? " (wrong response)" : " (unknown name)"));
        }
        authenticatedUser = name;
        String initiatorId = keys.get(CHAP_I);
        String initiatorChallenge = keys.get(CHAP_C);
        if ((initiatorId == null) != (initiatorChallenge == null)) {
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE, "mutual CHAP needs both CHAP_I and CHAP_C");
        }
        if (initiatorId != null) {
            answerMutual(initiatorId, initiatorChallenge, credentials, out);
        }
        state = State.DONE;
    }

    private void answerMutual(String idValue, String challengeValue, ChapCredentials credentials, List<KeyValue> out)
            throws LoginFailure {
        if (!credentials.mutual()) {
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE,
                    "initiator requires mutual CHAP but no target secret is configured");
        }
        int id;
        byte[] theirChallenge;
        try {
            id = (int) TextValues.parseNumber(idValue, 0, 255);
            theirChallenge = TextValues.parseBinary(challengeValue);
        } catch (TextFormatException e) {
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE,
                    "unreadable mutual CHAP_I/CHAP_C: " + e.getMessage());
        }
        if (MessageDigest.isEqual(theirChallenge, challenge)) {
            // RFC 7143 §12.1.3: a reflected challenge would let the initiator use us as an oracle
            throw new LoginFailure(LoginResponse.AUTHENTICATION_FAILURE,
                    "initiator reflected the target's CHAP challenge");
        }
        out.add(new KeyValue(CHAP_N, credentials.mutualUser()));
        out.add(new KeyValue(CHAP_R, TextValues.formatHex(algorithm.response(id, credentials.mutualSecret(),
                theirChallenge))));
    }

    private static List<String> list(String value, String key) throws LoginFailure {
        try {
            return TextValues.parseList(value, MAX_LIST);
        } catch (TextFormatException e) {
            throw new LoginFailure(LoginResponse.INITIATOR_ERROR, key + ": " + e.getMessage());
        }
    }
}
