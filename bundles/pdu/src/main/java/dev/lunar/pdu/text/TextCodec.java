package dev.lunar.pdu.text;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses and encodes the data segment of Login and Text PDUs: a sequence of {@code key=value}
 * pairs, each terminated by a NUL byte, in UTF-8 (RFC 7143 §6.1).
 *
 * <p>Parsing is bounded: the caller passes the most bytes and pairs it will accept, values are
 * capped, so memory never follows an attacker's claim. Stateless and thread-safe.
 */
public final class TextCodec {

    /** RFC 7143 §6.1: a key name is at most 63 bytes. */
    public static final int MAX_KEY_BYTES = 63;

    /**
     * Cap on one value. RFC 7143 §6.1 limits most values to 255 bytes but lets individual keys allow
     * more (binary CHAP values up to 1024 bytes, i.e. 2050 hex characters, §12.1.3); 8192 covers
     * every key while keeping one value far below any data segment.
     */
    public static final int MAX_VALUE_BYTES = 8192;

    private TextCodec() {
    }

    /**
     * Parses {@code bytes} into pairs in wire order.
     *
     * @param maxBytes largest text the caller accepts; longer input fails with {@code TOO_LARGE}
     * @param maxKeys most pairs the caller accepts; more fail with {@code TOO_MANY_KEYS}
     * @throws TextFormatException on any violation of RFC 7143 §6.1, including a key given twice
     */
    public static List<KeyValue> decode(byte[] bytes, int maxBytes, int maxKeys) throws TextFormatException {
        return decode(bytes, 0, bytes.length, maxBytes, maxKeys);
    }

    /** As {@link #decode(byte[], int, int)} over {@code length} bytes from {@code offset}. */
    public static List<KeyValue> decode(byte[] bytes, int offset, int length, int maxBytes, int maxKeys)
            throws TextFormatException {
        return decode(bytes, offset, length, maxBytes, maxKeys, false);
    }

    /**
     * As {@link #decode(byte[], int, int, int, int)}; with {@code repeatedKeys} a key may occur more
     * than once. Only for reading text where RFC 7143 allows repeats, such as a SendTargets response
     * (one TargetName and several TargetAddress keys per target, §13.3); requests never allow them.
     */
    public static List<KeyValue> decode(byte[] bytes, int offset, int length, int maxBytes, int maxKeys,
            boolean repeatedKeys) throws TextFormatException {
        if (length > maxBytes) {
            throw new TextFormatException(TextFormatException.Reason.TOO_LARGE,
                    "text of " + length + " bytes exceeds the limit of " + maxBytes);
        }
        int end = offset + length;
        // Zero bytes after the last pair are tolerated: some initiators count the PDU padding
        // in DataSegmentLength.
        while (end > offset && bytes[end - 1] == 0 && (end - 1 == offset || bytes[end - 2] == 0)) {
            end--;
        }
        List<KeyValue> pairs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int pos = offset;
        while (pos < end) {
            int nul = indexOf(bytes, (byte) 0, pos, end);
            if (nul < 0) {
                throw new TextFormatException(TextFormatException.Reason.MALFORMED,
                        "key=value pair at offset " + (pos - offset) + " is not NUL-terminated");
            }
            int eq = indexOf(bytes, (byte) '=', pos, nul);
            if (eq < 0) {
                throw new TextFormatException(TextFormatException.Reason.MALFORMED,
                        "pair at offset " + (pos - offset) + " has no '='");
            }
            if (pairs.size() == maxKeys) {
                throw new TextFormatException(TextFormatException.Reason.TOO_MANY_KEYS,
                        "more than " + maxKeys + " keys");
            }
            String key = decodeKey(bytes, pos, eq);
            int valueLength = nul - eq - 1;
            if (valueLength > MAX_VALUE_BYTES) {
                throw new TextFormatException(TextFormatException.Reason.VALUE_TOO_LONG,
                        "value of " + key + " has " + valueLength + " bytes, limit " + MAX_VALUE_BYTES);
            }
            String value = decodeUtf8(utf8, bytes, eq + 1, valueLength, key);
            if (!seen.add(key) && !repeatedKeys) {
                throw new TextFormatException(TextFormatException.Reason.DUPLICATE_KEY, "key " + key + " sent twice");
            }
            pairs.add(new KeyValue(key, value));
            pos = nul + 1;
        }
        return pairs;
    }

    /** Encodes pairs as {@code key=value\0...} in UTF-8, in list order. */
    public static byte[] encode(List<KeyValue> pairs) {
        StringBuilder text = new StringBuilder();
        for (KeyValue pair : pairs) {
            text.append(pair.key()).append('=').append(pair.value()).append('\0');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Encoded size of one pair, terminator included. */
    public static int encodedLength(KeyValue pair) {
        return pair.key().getBytes(StandardCharsets.UTF_8).length + 1
                + pair.value().getBytes(StandardCharsets.UTF_8).length + 1;
    }

    /**
     * Whether {@code key} is a valid key name (RFC 7143 §6.1): 1..63 characters out of letters,
     * digits, '.', '-', '+', '@', '_', plus '#' for the {@code X#} IANA-registered extension keys
     * (§13.5.2). The capital-first rule of §6.1 is not enforced: RFC 7144's own
     * {@code iSCSIProtocolLevel} breaks it.
     */
    public static boolean isValidKeyName(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY_BYTES) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            if (!isKeyChar(key.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static String decodeKey(byte[] bytes, int from, int to) throws TextFormatException {
        int length = to - from;
        if (length == 0) {
            throw new TextFormatException(TextFormatException.Reason.MALFORMED, "empty key name");
        }
        if (length > MAX_KEY_BYTES) {
            throw new TextFormatException(TextFormatException.Reason.BAD_KEY_NAME,
                    "key name of " + length + " bytes exceeds " + MAX_KEY_BYTES);
        }
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            char c = (char) (bytes[from + i] & 0xff);
            if (!isKeyChar(c)) {
                throw new TextFormatException(TextFormatException.Reason.BAD_KEY_NAME,
                        "key name contains byte 0x" + Integer.toHexString(c));
            }
            chars[i] = c;
        }
        return new String(chars);
    }

    private static boolean isKeyChar(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '.' || c == '-' || c == '+' || c == '@' || c == '_' || c == '#';
    }

    private static String decodeUtf8(CharsetDecoder utf8, byte[] bytes, int from, int length, String key)
            throws TextFormatException {
        try {
            CharBuffer chars = utf8.reset().decode(ByteBuffer.wrap(bytes, from, length));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new TextFormatException(TextFormatException.Reason.NOT_UTF8, "value of " + key + " is not UTF-8");
        }
    }

    private static int indexOf(byte[] bytes, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
