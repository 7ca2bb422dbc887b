package dev.lunar.pdu.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextCodecTest {

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static TextFormatException.Reason failure(byte[] bytes) {
        return assertThrows(TextFormatException.class, () -> TextCodec.decode(bytes, 65536, 256)).reason();
    }

    @Test
    void decodesPairsInWireOrder() throws TextFormatException {
        List<KeyValue> pairs = TextCodec.decode(text("InitiatorName=iqn.1994-05.com.redhat:x\0SessionType=Normal\0"
                + "AuthMethod=CHAP,None\0"), 65536, 256);
        assertEquals(List.of(new KeyValue("InitiatorName", "iqn.1994-05.com.redhat:x"),
                new KeyValue("SessionType", "Normal"), new KeyValue("AuthMethod", "CHAP,None")), pairs);
    }

    @Test
    void emptyTextAndEmptyValue() throws TextFormatException {
        assertEquals(List.of(), TextCodec.decode(new byte[0], 10, 10));
        assertEquals(List.of(new KeyValue("SendTargets", "")), TextCodec.decode(text("SendTargets=\0"), 100, 10));
    }

    @Test
    void valueMayContainEquals() throws TextFormatException {
        assertEquals(List.of(new KeyValue("X-a", "b=c")), TextCodec.decode(text("X-a=b=c\0"), 100, 10));
    }

    @Test
    void trailingPaddingZerosAreTolerated() throws TextFormatException {
        assertEquals(List.of(new KeyValue("A", "1")), TextCodec.decode(text("A=1\0\0\0\0"), 100, 10));
        assertEquals(List.of(), TextCodec.decode(new byte[] {0, 0, 0}, 100, 10));
    }

    @Test
    void rejectsMissingTerminator() {
        assertEquals(TextFormatException.Reason.MALFORMED, failure(text("A=1\0B=2")));
    }

    @Test
    void rejectsPairWithoutEquals() {
        assertEquals(TextFormatException.Reason.MALFORMED, failure(text("A=1\0garbage\0")));
    }

    @Test
    void rejectsEmptyPairInTheMiddle() {
        assertEquals(TextFormatException.Reason.MALFORMED, failure(text("A=1\0\0B=2\0")));
    }

    @Test
    void rejectsEmptyKey() {
        assertEquals(TextFormatException.Reason.MALFORMED, failure(text("=1\0")));
    }

    @Test
    void rejectsBadKeyCharacters() {
        assertEquals(TextFormatException.Reason.BAD_KEY_NAME, failure(text("Bad Key=1\0")));
        assertEquals(TextFormatException.Reason.BAD_KEY_NAME, failure(text("K\u00e9y=1\0")));
    }

    @Test
    void keyNameLengthLimitIs63() throws TextFormatException {
        String key63 = "K".repeat(63);
        assertEquals(key63, TextCodec.decode(text(key63 + "=v\0"), 1000, 10).get(0).key());
        assertEquals(TextFormatException.Reason.BAD_KEY_NAME, failure(text("K".repeat(64) + "=v\0")));
    }

    @Test
    void acceptsRfcKeyShapes() throws TextFormatException {
        List<KeyValue> pairs = TextCodec.decode(text("iSCSIProtocolLevel=1\0X#org.example=1\0X-com.a_b+c@d=2\0"),
                1000, 10);
        assertEquals(3, pairs.size());
        assertTrue(TextCodec.isValidKeyName("X#org.example"));
    }

    @Test
    void rejectsDuplicateKeys() {
        assertEquals(TextFormatException.Reason.DUPLICATE_KEY,
                failure(text("MaxBurstLength=512\0MaxBurstLength=1024\0")));
    }

    @Test
    void repeatedKeysOnlyWhenAsked() throws TextFormatException {
        byte[] bytes = text("TargetName=iqn.a\0TargetAddress=127.0.0.1:3260,1\0TargetAddress=[::1]:3260,1\0");
        assertEquals(TextFormatException.Reason.DUPLICATE_KEY, failure(bytes));
        List<KeyValue> pairs = TextCodec.decode(bytes, 0, bytes.length, 1000, 10, true);
        assertEquals(3, pairs.size());
        assertEquals(new KeyValue("TargetAddress", "[::1]:3260,1"), pairs.get(2));
    }

    @Test
    void rejectsNonUtf8Values() {
        byte[] bytes = {'A', '=', (byte) 0xc3, (byte) 0x28, 0};
        assertEquals(TextFormatException.Reason.NOT_UTF8, failure(bytes));
        byte[] overlong = {'A', '=', (byte) 0xc0, (byte) 0x80, 0};
        assertEquals(TextFormatException.Reason.NOT_UTF8, failure(overlong));
    }

    @Test
    void acceptsUtf8Values() throws TextFormatException {
        assertEquals("D\u00e9p\u00f4t", TextCodec.decode(text("InitiatorAlias=D\u00e9p\u00f4t\0"), 100,
                10).get(0).value());
    }

    @Test
    void valueLimit() throws TextFormatException {
        String max = "a".repeat(TextCodec.MAX_VALUE_BYTES);
        assertEquals(max, TextCodec.decode(text("X-v=" + max + "\0"), 65536, 10).get(0).value());
        assertEquals(TextFormatException.Reason.VALUE_TOO_LONG, failure(text("X-v=" + max + "a\0")));
    }

    @Test
    void byteLimitIsCheckedBeforeParsing() {
        byte[] bytes = text("A=1\0");
        TextFormatException e = assertThrows(TextFormatException.class, () -> TextCodec.decode(bytes, 3, 10));
        assertEquals(TextFormatException.Reason.TOO_LARGE, e.reason());
    }

    @Test
    void keyFloodIsBounded() {
        StringBuilder flood = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            flood.append("X-k").append(i).append("=v\0");
        }
        byte[] bytes = text(flood.toString());
        TextFormatException e = assertThrows(TextFormatException.class, () -> TextCodec.decode(bytes, 65536, 64));
        assertEquals(TextFormatException.Reason.TOO_MANY_KEYS, e.reason());
    }

    @Test
    void decodesASlice() throws TextFormatException {
        byte[] bytes = text("xxA=1\0yy");
        assertEquals(List.of(new KeyValue("A", "1")), TextCodec.decode(bytes, 2, 4, 100, 10));
    }

    @Test
    void encodeRoundTrips() throws TextFormatException {
        List<KeyValue> pairs = List.of(new KeyValue("TargetAlias", "caf\u00e9"), new KeyValue("SendTargets", ""),
                new KeyValue("MaxRecvDataSegmentLength", "262144"));
        byte[] bytes = TextCodec.encode(pairs);
        assertArrayEquals(text("TargetAlias=caf\u00e9\0SendTargets=\0MaxRecvDataSegmentLength=262144\0"), bytes);
        assertEquals(pairs, TextCodec.decode(bytes, 1000, 10));
        assertEquals(bytes.length, pairs.stream().mapToInt(TextCodec::encodedLength).sum());
    }

    @Test
    void fuzzedInputNeverThrowsAnythingElse() {
        java.util.Random random = new java.util.Random(7143);
        byte[] alphabet = text("AB=x,0\0\u00e9");
        for (int round = 0; round < 5000; round++) {
            byte[] bytes = new byte[random.nextInt(40)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = random.nextInt(4) == 0 ? (byte) random.nextInt(256) : alphabet[random.nextInt(alphabet.length)];
            }
            try {
                List<KeyValue> pairs = TextCodec.decode(bytes, 64, 8);
                assertTrue(pairs.size() <= 8);
            } catch (TextFormatException expected) {
                // every failure is a TextFormatException with a reason
                assertTrue(expected.reason() != null);
            }
        }
    }
}
