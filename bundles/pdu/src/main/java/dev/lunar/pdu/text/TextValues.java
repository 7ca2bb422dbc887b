package dev.lunar.pdu.text;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Value syntax of RFC 7143 §6.1: numerical values (decimal or {@code 0x} hex), binary values
 * ({@code 0x} hex or {@code 0b} base64, used by CHAP), booleans and comma-separated lists.
 * Stateless and thread-safe.
 */
public final class TextValues {

    /** RFC 7143 §6.1: a binary value has at most 1024 bytes (CHAP challenges, §12.1.3). */
    public static final int MAX_BINARY_BYTES = 1024;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private TextValues() {
    }

    /**
     * Parses a numerical value: a decimal constant or a {@code 0x}/{@code 0X} hex constant, unsigned,
     * below 2^63 (RFC 7143 §6.1 allows up to 2^64-1; no standard key needs that much).
     */
    public static long parseNumber(String value) throws TextFormatException {
        if (value.length() > 2 && (value.startsWith("0x") || value.startsWith("0X"))) {
            return parseDigits(value, 2, 16, 15);
        }
        return parseDigits(value, 0, 10, 18);
    }

    /** As {@link #parseNumber(String)} and within {@code min..max} inclusive. */
    public static long parseNumber(String value, long min, long max) throws TextFormatException {
        long number = parseNumber(value);
        if (number < min || number > max) {
            throw new TextFormatException(TextFormatException.Reason.BAD_VALUE,
                    value + " outside " + min + ".." + max);
        }
        return number;
    }

    private static long parseDigits(String value, int from, int radix, int maxDigits) throws TextFormatException {
        int digits = value.length() - from;
        if (digits <= 0 || digits > maxDigits) {
            throw new TextFormatException(TextFormatException.Reason.BAD_VALUE, "not a number: " + abbreviate(value));
        }
        long number = 0;
        for (int i = from; i < value.length(); i++) {
            int digit = Character.digit(value.charAt(i), radix);
            if (digit < 0 || value.charAt(i) > 'f') {
                throw new TextFormatException(TextFormatException.Reason.BAD_VALUE,
                        "not a number: " + abbreviate(value));
            }
            number = number * radix + digit;
        }
        return number;
    }

    /**
     * Parses a binary value: {@code 0x} followed by hex digits (an odd count means a leading zero
     * nibble) or {@code 0b} followed by base64 (RFC 7143 §6.1), at most {@link #MAX_BINARY_BYTES}.
     */
    public static byte[] parseBinary(String value) throws TextFormatException {
        if (value.length() < 3) {
            throw new TextFormatException(TextFormatException.Reason.BAD_VALUE, "not a binary value: " + value);
        }
        String prefix = value.substring(0, 2);
        byte[] bytes;
        if (prefix.equals("0x") || prefix.equals("0X")) {
            bytes = parseHex(value, 2);
        } else if (prefix.equals("0b") || prefix.equals("0B")) {
            try {
                bytes = Base64.getDecoder().decode(value.substring(2));
            } catch (IllegalArgumentException e) {
                throw new TextFormatException(TextFormatException.Reason.BAD_VALUE, "bad base64 value");
            }
        } else {
            throw new TextFormatException(TextFormatException.Reason.BAD_VALUE,
                    "binary value needs a 0x or 0b prefix: " + abbreviate(value));
        }
        if (bytes.length == 0 || bytes.length > MAX_BINARY_BYTES) {
            throw new TextFormatException(TextFormatException.Reason.BAD_VALUE,
                    "binary value of " + bytes.length + " bytes, allowed 1.." + MAX_BINARY_BYTES);
        }
        return bytes;
    }

    private static byte[] parseHex(String value, int from) throws TextFormatException {
        int digits = value.length() - from;
        if (digits > 2 * MAX_BINARY_BYTES + 1) {
            throw new TextFormatException(TextFormatException.Reason.BAD_VALUE, "binary value too long");
        }
        byte[] bytes = new byte[(digits + 1) / 2];
        int nibble = (digits % 2 == 1) ? 1 : 0; // odd count: the first digit is a low nibble
        for (int i = from; i < value.length(); i++, nibble++) {
            char c = value.charAt(i);
            int digit = Character.digit(c, 16);
            if (digit < 0 || c > 'f') {
                throw new TextFormatException(TextFormatException.Reason.BAD_VALUE, "bad hex digit in binary value");
            }
            bytes[nibble / 2] |= (byte) (nibble % 2 == 0 ? digit << 4 : digit);
        }
        return bytes;
    }

    /** Formats bytes as a {@code 0x} hex binary value, lower case. */
    public static String formatHex(byte[] bytes) {
        char[] chars = new char[2 + 2 * bytes.length];
        chars[0] = '0';
        chars[1] = 'x';
        for (int i = 0; i < bytes.length; i++) {
            chars[2 + 2 * i] = HEX[(bytes[i] >> 4) & 0xf];
            chars[3 + 2 * i] = HEX[bytes[i] & 0xf];
        }
        return new String(chars);
    }

    /** Parses {@code Yes} or {@code No} (case-sensitive, RFC 7143 §6.1 boolean-value). */
    public static boolean parseBoolean(String value) throws TextFormatException {
        if (value.equals("Yes")) {
            return true;
        }
        if (value.equals("No")) {
            return false;
        }
        throw new TextFormatException(TextFormatException.Reason.BAD_VALUE, "not Yes or No: " + abbreviate(value));
    }

    /** Formats a boolean value. */
    public static String formatBoolean(boolean value) {
        return value ? "Yes" : "No";
    }

    /**
     * Splits a list value on commas (RFC 7143 §6.1 list-of-values); empty elements are an error.
     *
     * @param maxElements most elements accepted, so a list cannot grow without bound
     */
    public static List<String> parseList(String value, int maxElements) throws TextFormatException {
        List<String> elements = new ArrayList<>();
        int start = 0;
        while (true) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? value.length() : comma;
            if (end == start) {
                throw new TextFormatException(TextFormatException.Reason.BAD_VALUE,
                        "empty list element in " + abbreviate(value));
            }
            if (elements.size() == maxElements) {
                throw new TextFormatException(TextFormatException.Reason.BAD_VALUE, "list longer than " + maxElements);
            }
            elements.add(value.substring(start, end));
            if (comma < 0) {
                return elements;
            }
            start = comma + 1;
        }
    }

    private static String abbreviate(String value) {
        return value.length() <= 32 ? value : value.substring(0, 32) + "...";
    }
}
