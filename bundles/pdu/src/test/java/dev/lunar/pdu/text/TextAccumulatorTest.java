package dev.lunar.pdu.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextAccumulatorTest {

    @Test
    void pairSplitAcrossSegmentsIsReassembled() throws TextFormatException {
        TextAccumulator accumulator = new TextAccumulator(1024);
        accumulator.append("InitiatorName=iqn.x\0Max".getBytes(StandardCharsets.US_ASCII));
        accumulator.append("BurstLength=512\0".getBytes(StandardCharsets.US_ASCII));
        assertEquals(39, accumulator.size());
        List<KeyValue> pairs = TextCodec.decode(accumulator.drain(), 1024, 10);
        assertEquals(List.of(new KeyValue("InitiatorName", "iqn.x"), new KeyValue("MaxBurstLength", "512")), pairs);
        assertTrue(accumulator.isEmpty());
    }

    @Test
    void capIsHard() throws TextFormatException {
        TextAccumulator accumulator = new TextAccumulator(10);
        accumulator.append(new byte[6]);
        TextFormatException e = assertThrows(TextFormatException.class, () -> accumulator.append(new byte[5]));
        assertEquals(TextFormatException.Reason.TOO_LARGE, e.reason());
        assertEquals(6, accumulator.size());
        accumulator.append(new byte[4]);
        assertEquals(10, accumulator.size());
    }

    @Test
    void manySmallSegments() throws TextFormatException {
        TextAccumulator accumulator = new TextAccumulator(100_000);
        byte[] expected = new byte[100_000];
        for (int i = 0; i < 1000; i++) {
            byte[] segment = new byte[100];
            java.util.Arrays.fill(segment, (byte) i);
            System.arraycopy(segment, 0, expected, i * 100, 100);
            accumulator.append(segment, 0, 100);
        }
        assertArrayEquals(expected, accumulator.drain());
        accumulator.clear();
        assertEquals(0, accumulator.size());
    }
}
