package dev.lunar.iscsi.internal.login;

import dev.lunar.pdu.text.KeyValue;
import dev.lunar.pdu.text.TextCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds request text and reads response text in tests. */
final class LoginTexts {

    static final long ISID = 0x23d000000001L;
    static final String INITIATOR = "iqn.2026-01.dev.lunar:initiator";
    static final String TARGET = "iqn.2026-01.dev.lunar:disk0";

    private LoginTexts() {
    }

    /** "k=v" strings to wire text. */
    static byte[] text(String... pairs) {
        StringBuilder builder = new StringBuilder();
        for (String pair : pairs) {
            builder.append(pair).append('\0');
        }
        return builder.toString().getBytes(StandardCharsets.UTF_8);
    }

    static LoginRequest request(int csg, int nsg, boolean transit, String... pairs) {
        return request(csg, nsg, transit, false, text(pairs));
    }

    static LoginRequest request(int csg, int nsg, boolean transit, boolean cont, byte[] text) {
        return new LoginRequest(0, 0, transit, cont, csg, nsg, ISID, 0, 0x10, 1, 1, 0, text);
    }

    /** Response keys in order; a key repeated in the response keeps its last value. */
    static Map<String, String> keys(LoginResponse response) {
        return keys(response.text());
    }

    static Map<String, String> keys(byte[] text) {
        Map<String, String> keys = new LinkedHashMap<>();
        for (KeyValue pair : pairs(text)) {
            keys.put(pair.key(), pair.value());
        }
        return keys;
    }

    /** Response pairs in order, repeats allowed (SendTargets answers repeat TargetName). */
    static List<KeyValue> pairs(byte[] text) {
        List<KeyValue> pairs = new ArrayList<>();
        String all = new String(text, StandardCharsets.UTF_8);
        if (all.isEmpty()) {
            return pairs;
        }
        if (!all.endsWith("\0")) {
            throw new AssertionError("response text not NUL-terminated: " + all);
        }
        for (String pair : all.substring(0, all.length() - 1).split("\0", -1)) {
            int eq = pair.indexOf('=');
            pairs.add(new KeyValue(pair.substring(0, eq), pair.substring(eq + 1)));
        }
        return pairs;
    }

    static byte[] encode(List<KeyValue> pairs) {
        return TextCodec.encode(pairs);
    }
}
