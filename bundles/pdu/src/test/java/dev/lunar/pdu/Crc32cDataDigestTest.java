package dev.lunar.pdu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data digest covers the data segment plus its zero padding to a multiple of 4 bytes (RFC 7143
 * §11.2, §13.1): checked against the JDK CRC32C over explicitly padded bytes for every padding
 * length, for heap, direct, scattered and file-region buffers, so the padding source can change
 * without changing a digest.
 */
class Crc32cDataDigestTest {

    /** The reference: CRC32C over the bytes followed by 0..3 explicit zero bytes. */
    private static int reference(byte[] bytes) {
        int padded = (bytes.length + 3) & ~3;
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        crc.update(new byte[padded - bytes.length]);
        return (int) crc.getValue();
    }

    private static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void everyPaddingLengthMatchesTheExplicitlyPaddedReference() {
        for (int length = 0; length <= 67; length++) {
            byte[] bytes = random(length, length);
            int expected = reference(bytes);
            DataBuffer heap = DataBuffers.wrap(bytes);
            DataBuffer direct = DataBuffers.allocateDirect(length);
            direct.nioBuffers(0, length)[0].put(bytes);
            try {
                assertEquals(expected, Crc32c.data(heap), "heap, length " + length);
                assertEquals(expected, Crc32c.data(direct), "direct, length " + length);
            } finally {
                heap.release();
                direct.release();
            }
        }
    }

    @Test
    void paddingIsZerosEvenAfterManyDigests() {
        // The padding source is shared by all callers; a digest must never change it.
        byte[] ones = new byte[5];
        java.util.Arrays.fill(ones, (byte) 0xff);
        int first = Crc32c.data(DataBuffers.wrap(ones));
        for (int i = 0; i < 1000; i++) {
            Crc32c.data(DataBuffers.wrap(random(1 + i % 7, i)));
        }
        assertEquals(first, Crc32c.data(DataBuffers.wrap(ones)));
        assertEquals(reference(ones), first);
    }

    @Test
    void scatteredSegmentsDigestLikeOneArray() {
        byte[] bytes = random(4099, 42);
        DataBuffer scattered = DataBuffers.wrap(null, ByteBuffer.wrap(bytes, 0, 1000).slice(),
                ByteBuffer.wrap(bytes, 1000, 3099).slice());
        try {
            assertEquals(reference(bytes), Crc32c.data(scattered));
        } finally {
            scattered.release();
        }
    }

    @Test
    void fileRegionsDigestThroughTheChunkLikeMemory(@TempDir Path dir) throws Exception {
        byte[] bytes = random(40_003, 7);   // more than two 16 KiB chunks, 1 byte of padding
        Path file = Files.write(dir.resolve("data"), bytes);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            DataBuffer region = DataBuffers.file(ch, 0, bytes.length, null);
            try {
                assertEquals(reference(bytes), Crc32c.data(region));
            } finally {
                region.release();
            }
        }
    }
}
