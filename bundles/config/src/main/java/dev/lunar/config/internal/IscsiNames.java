package dev.lunar.config.internal;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks iSCSI names the way RFC 7143 §4.2.7 defines them, so that a typo in a target or
 * initiator name is refused when it is written, not discovered when a login fails.
 */
final class IscsiNames {

    /** RFC 7143 §4.2.7.1: at most 223 bytes of UTF-8. */
    static final int MAX_BYTES = 223;

    /**
     * §4.2.7.2 iqn: "iqn." yyyy-mm "." reversed domain name, optionally ":" and a unique string.
     * After stringprep (RFC 3722) only lower-case letters, digits, '-', '.' and ':' remain.
     */
    private static final Pattern IQN = Pattern.compile(
            "iqn\\.\\d{4}-(0[1-9]|1[0-2])\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
            + "(:[a-z0-9.:-]*)?");
    /** §4.2.7.3 eui: "eui." and 16 hex digits (EUI-64). */
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9a-fA-F]{16}");
    /** §4.2.7.4 naa: "naa." and 16 or 32 hex digits (NAA 64 or 128 bit). */
    private static final Pattern NAA = Pattern.compile("naa\\.([0-9a-fA-F]{16}|[0-9a-fA-F]{32})");

    private IscsiNames() {
    }

    /**
     * Empty when {@code name} is a valid iSCSI name, otherwise the reason as the end of a sentence.
     */
    static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "is empty; write an iSCSI name such as iqn.2026-01.com.example:disk0";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "is longer than " + MAX_BYTES + " bytes (RFC 7143 §4.2.7.1)";
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.startsWith("iqn.")) {
            if (!name.equals(lower)) {
                return "has upper-case letters; iSCSI names compare in lower case (RFC 3722), write it as " + lower;
            }
            if (!IQN.matcher(name).matches()) {
                return "is not an iqn name: write iqn.YYYY-MM.reversed.domain[:anything], for example "
                        + "iqn.2026-01.com.example:disk0 (RFC 7143 §4.2.7.2; only a-z, 0-9, '-', '.' and ':')";
            }
            return "";
        }
        if (lower.startsWith("eui.")) {
            return EUI.matcher(name).matches() ? ""
                    : "is not an eui name: write eui. and 16 hex digits, for example eui.02004567A425678D "
                    + "(RFC 7143 §4.2.7.3)";
        }
        if (lower.startsWith("naa.")) {
            return NAA.matcher(name).matches() ? ""
                    : "is not a naa name: write naa. and 16 or 32 hex digits, for example naa.52004567BA64678D "
                    + "(RFC 7143 §4.2.7.4)";
        }
        return "does not start with iqn., eui. or naa. (RFC 7143 §4.2.7); for example iqn.2026-01.com.example:disk0";
    }

    /** The form two names are compared in (RFC 3722 maps case; eui/naa hex is case-insensitive). */
    static String canonical(String name) {
        return name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    }
}
