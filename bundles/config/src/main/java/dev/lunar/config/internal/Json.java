package dev.lunar.config.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, bounded JSON (RFC 8259) reader and pretty writer for configuration documents. Small on
 * purpose: documents are a few kilobytes, and a hand-written reader lets every error name the line
 * and column and lets input size and nesting depth be capped (an operator's typo must never become
 * an out-of-memory or a stack overflow in the management service).
 *
 * <p>Not thread safe per instance; the static methods are.
 */
final class Json {

    /** Largest text accepted (characters): documents are small; a larger input is a wrong file. */
    static final int MAX_CHARS = 16 * 1024 * 1024;

    /** Deepest nesting accepted; our documents need four levels, LIO's about eight. */
    static final int MAX_DEPTH = 64;

    /**
     * A parsed value with where it started, so errors found after parsing can still say where.
     *
     * @param value a {@code Map<String, Node>} (insertion ordered), {@code List<Node>}, {@link String},
     *     {@link BigDecimal}, {@link Boolean} or {@code null}
     */
    record Node(Object value, int line, int column) {

        String where() {
            return "line " + line + ", column " + column;
        }

        boolean isObject() {
            return value instanceof Map;
        }

        @SuppressWarnings("unchecked")
        Map<String, Node> object() {
            return (Map<String, Node>) value;
        }

        @SuppressWarnings("unchecked")
        List<Node> array() {
            return (List<Node>) value;
        }

        String typeName() {
            return typeName(value);
        }

        static String typeName(Object v) {
            if (v == null) {
                return "null";
            }
            if (v instanceof Map) {
                return "an object";
            }
            if (v instanceof List) {
                return "an array";
            }
            if (v instanceof String) {
                return "a string";
            }
            if (v instanceof BigDecimal) {
                return "a number";
            }
            return "true/false";
        }

        /** Strings, numbers and booleans as the text a configuration value holds; null otherwise. */
        String scalarText() {
            if (value instanceof String s) {
                return s;
            }
            if (value instanceof BigDecimal n) {
                return n.toPlainString();
            }
            if (value instanceof Boolean b) {
                return b.toString();
            }
            return null;
        }
    }

    private final String text;
    private int pos;
    private int line = 1;
    private int lineStart;

    private Json(String text) {
        this.text = text;
    }

    /**
     * Parses one JSON value that fills the whole text.
     *
     * @throws IllegalArgumentException naming line, column and what was expected
     */
    static Node parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("the document is empty");
        }
        if (text.length() > MAX_CHARS) {
            throw new IllegalArgumentException("the document has " + text.length() + " characters; at most "
                    + MAX_CHARS + " (16 MiB) are accepted");
        }
        Json reader = new Json(text);
        reader.skipSpace();
        if (reader.pos == text.length()) {
            throw new IllegalArgumentException("the document is empty");
        }
        Node root = reader.value(0);
        reader.skipSpace();
        if (reader.pos != text.length()) {
            throw reader.error("unexpected text after the end of the document");
        }
        return root;
    }

    private Node value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting is deeper than " + MAX_DEPTH + " levels");
        }
        int l = line;
        int c = column();
        if (pos >= text.length()) {
            throw error("the document ends where a value was expected");
        }
        char ch = text.charAt(pos);
        Object v;
        switch (ch) {
            case '{' -> v = object(depth);
            case '[' -> v = array(depth);
            case '"' -> v = string();
            case 't' -> v = literal("true", Boolean.TRUE);
            case 'f' -> v = literal("false", Boolean.FALSE);
            case 'n' -> v = literal("null", null);
            default -> {
                if (ch == '-' || (ch >= '0' && ch <= '9')) {
                    v = number();
                } else {
                    throw error("expected a value (object, array, string, number, true, false or null) but found "
                            + describe(ch) + (Character.isLetter(ch) ? " (strings need double quotes)" : ""));
                }
            }
        }
        return new Node(v, l, c);
    }

    private Map<String, Node> object(int depth) {
        pos++; // '{'
        Map<String, Node> members = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return members;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("expected a member name in double quotes but found " + describeHere());
            }
            int l = line;
            int c = column();
            String name = string();
            skipSpace();
            expect(':', "after member name \"" + name + "\"");
            skipSpace();
            Node v = value(depth + 1);
            if (members.put(name, v) != null) {
                throw new IllegalArgumentException("line " + l + ", column " + c + ": member \"" + name
                        + "\" appears twice in the same object");
            }
            skipSpace();
            char next = peek();
            if (next == ',') {
                pos++;
            } else if (next == '}') {
                pos++;
                return members;
            } else {
                throw error("expected ',' or '}' after member \"" + name + "\" but found " + describeHere());
            }
        }
    }

    private List<Node> array(int depth) {
        pos++; // '['
        List<Node> items = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return items;
        }
        while (true) {
            skipSpace();
            items.add(value(depth + 1));
            skipSpace();
            char next = peek();
            if (next == ',') {
                pos++;
            } else if (next == ']') {
                pos++;
                return items;
            } else {
                throw error("expected ',' or ']' in an array but found " + describeHere());
            }
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("a string is not closed (missing '\"')");
            }
            char ch = text.charAt(pos++);
            if (ch == '"') {
                return sb.toString();
            }
            if (ch == '\\') {
                if (pos >= text.length()) {
                    throw error("a string is not closed (missing '\"')");
                }
                char esc = text.charAt(pos++);
                switch (esc) {
                    case '"', '\\', '/' -> sb.append(esc);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> sb.append(unicodeEscape());
                    default -> {
                        pos--;
                        throw error("'\\" + esc + "' is not a JSON escape (use \\\", \\\\, \\/, \\b, \\f, \\n, \\r, "
                                + "\\t or \\uXXXX)");
                    }
                }
            } else if (ch < 0x20) {
                pos--;
                throw error("a control character (code " + (int) ch + ") inside a string must be escaped");
            } else {
                sb.append(ch);
            }
        }
    }

    private char unicodeEscape() {
        if (pos + 4 > text.length()) {
            throw error("\\u needs four hex digits");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
                throw error("\\u needs four hex digits");
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private BigDecimal number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (Character.isDigit(peek())) {
            digits();
        } else {
            throw error("a number needs digits after '-'");
        }
        if (peek() == '.') {
            pos++;
            if (!Character.isDigit(peek())) {
                throw error("a number needs digits after '.'");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!Character.isDigit(peek())) {
                throw error("a number needs digits in its exponent");
            }
            digits();
        }
        if (pos - start > 100) {
            throw error("a number longer than 100 characters is not a configuration value");
        }
        return new BigDecimal(text.substring(start, pos));
    }

    private void digits() {
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
    }

    private Object literal(String word, Object v) {
        if (!text.startsWith(word, pos)) {
            throw error("expected a value but found " + describeHere() + " (strings need double quotes)");
        }
        pos += word.length();
        return v;
    }

    private void expect(char ch, String context) {
        if (peek() != ch) {
            throw error("expected '" + ch + "' " + context + " but found " + describeHere());
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char ch = text.charAt(pos);
            if (ch == '\n') {
                line++;
                lineStart = pos + 1;
            } else if (ch != ' ' && ch != '\t' && ch != '\r') {
                return;
            }
            pos++;
        }
    }

    private int column() {
        return pos - lineStart + 1;
    }

    private String describeHere() {
        return pos >= text.length() ? "the end of the document" : describe(text.charAt(pos));
    }

    private static String describe(char ch) {
        return ch < 0x20 ? "character code " + (int) ch : "'" + ch + "'";
    }

    private IllegalArgumentException error(String problem) {
        return new IllegalArgumentException("line " + line + ", column " + column() + ": " + problem);
    }

    // ---- writing ----

    /**
     * Writes {@code value} (maps with string keys, lists, strings, numbers, booleans, null) as
     * pretty JSON with two-space indentation, keys in the maps' own order, and a final newline.
     */
    static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.append('\n').toString();
    }

    private static void write(StringBuilder sb, Object value, int indent) {
        if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            int i = 0;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                pad(sb, indent + 1);
                quote(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue(), indent + 1);
                sb.append(++i < map.size() ? ",\n" : "\n");
            }
            pad(sb, indent);
            sb.append('}');
        } else if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            for (int i = 0; i < list.size(); i++) {
                pad(sb, indent + 1);
                write(sb, list.get(i), indent + 1);
                sb.append(i + 1 < list.size() ? ",\n" : "\n");
            }
            pad(sb, indent);
            sb.append(']');
        } else if (value instanceof String s) {
            quote(sb, s);
        } else if (value == null) {
            sb.append("null");
        } else {
            sb.append(value);
        }
    }

    private static void pad(StringBuilder sb, int indent) {
        sb.append("  ".repeat(indent));
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20 || ch == 0x2028 || ch == 0x2029) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        sb.append('"');
    }

}
