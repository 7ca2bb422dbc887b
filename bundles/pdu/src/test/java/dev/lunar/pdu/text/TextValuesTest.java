package dev.lunar.pdu.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextValuesTest {

    @Test
    void decimalAndHexNumbers() throws TextFormatException {
        assertEquals(262144, TextValues.parseNumber("262144"));
        assertEquals(0, TextValues.parseNumber("0"));
        assertEquals(0x40000, TextValues.parseNumber("0x40000"));
        assertEquals(0xABCDEFL, TextValues.parseNumber("0XabCDef"));
    }

    @Test
    void badNumbers() {
        for (String bad : new String[] {"", "-1", "+1", "12a", "0x", "0xg", "1 ", " 1", "9999999999999999999", "1.5",
                "\u0661"}) {
            assertThrows(TextFormatException.class, () -> TextValues.parseNumber(bad), bad);
        }
    }

    @Test
    void numberRange() throws TextFormatException {
        assertEquals(512, TextValues.parseNumber("512", 512, 16777215));
        TextFormatException e = assertThrows(TextFormatException.class, () -> TextValues.parseNumber("511", 512,
                16777215));
        assertEquals(TextFormatException.Reason.BAD_VALUE, e.reason());
        assertThrows(TextFormatException.class, () -> TextValues.parseNumber("16777216", 512, 16777215));
    }

    @Test
    void hexBinary() throws TextFormatException {
        assertArrayEquals(new byte[] {(byte) 0xde, (byte) 0xad, 0x01}, TextValues.parseBinary("0xdead01"));
        assertArrayEquals(new byte[] {0x0a, (byte) 0xbc}, TextValues.parseBinary("0xabc"));
        assertArrayEquals(new byte[] {(byte) 0xff}, TextValues.parseBinary("0XFF"));
    }

    @Test
    void base64Binary() throws TextFormatException {
        assertArrayEquals(new byte[] {1, 2, 3}, TextValues.parseBinary("0bAQID"));
        assertThrows(TextFormatException.class, () -> TextValues.parseBinary("0b!!!!"));
    }

    @Test
    void badBinary() {
        for (String bad : new String[] {"", "0x", "dead", "0xzz", "0b", "12"}) {
            assertThrows(TextFormatException.class, () -> TextValues.parseBinary(bad), bad);
        }
        assertThrows(TextFormatException.class, () -> TextValues.parseBinary("0x" + "00".repeat(1025)));
        assertEquals(1024, assertDoesNotThrowBinary("0x" + "00".repeat(1024)).length);
    }

    private static byte[] assertDoesNotThrowBinary(String value) {
        try {
            return TextValues.parseBinary(value);
        } catch (TextFormatException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void formatHexRoundTrips() throws TextFormatException {
        byte[] bytes = {0, 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff};
        assertEquals("0x00017f80ff", TextValues.formatHex(bytes));
        assertArrayEquals(bytes, TextValues.parseBinary(TextValues.formatHex(bytes)));
    }

    @Test
    void booleans() throws TextFormatException {
        assertTrue(TextValues.parseBoolean("Yes"));
        assertFalse(TextValues.parseBoolean("No"));
        assertThrows(TextFormatException.class, () -> TextValues.parseBoolean("yes"));
        assertThrows(TextFormatException.class, () -> TextValues.parseBoolean("1"));
        assertEquals("Yes", TextValues.formatBoolean(true));
    }

    @Test
    void lists() throws TextFormatException {
        assertEquals(List.of("CHAP", "None"), TextValues.parseList("CHAP,None", 8));
        assertEquals(List.of("None"), TextValues.parseList("None", 8));
        assertThrows(TextFormatException.class, () -> TextValues.parseList("CHAP,,None", 8));
        assertThrows(TextFormatException.class, () -> TextValues.parseList("CHAP,", 8));
        assertThrows(TextFormatException.class, () -> TextValues.parseList("", 8));
        assertThrows(TextFormatException.class, () -> TextValues.parseList("1,2,3", 2));
    }
}
