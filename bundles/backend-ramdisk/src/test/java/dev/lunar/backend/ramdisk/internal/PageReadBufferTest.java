package dev.lunar.backend.ramdisk.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Views and copies of a multi-page read agree with the bytes, for any range. */
class PageReadBufferTest {

    private static final int PAGE = PageMemory.PAGE_SIZE;

    /** A read of {@code length} bytes starting {@code in} bytes into its first page. */
    private byte[] expected;

    private PageReadBuffer buffer(int in, int length, Random rnd) {
        int count = (in + length + PAGE - 1) / PAGE;
        ByteBuffer[] segments = new ByteBuffer[count];
        expected = new byte[length];
        rnd.nextBytes(expected);
        int pos = 0;
        for (int i = 0; i < count; i++) {
            int from = i == 0 ? in : 0;
            int n = Math.min(length - pos, PAGE - from);
            ByteBuffer page = ByteBuffer.allocateDirect(PAGE);
            page.put(from, expected, pos, n);
            segments[i] = page.slice(from, n);
            pos += n;
        }
        return new PageReadBuffer(segments, new Frame[count], length);
    }

    @Test
    void everyRangeReadsTheRightBytes() {
        Random rnd = new Random(7);
        int[][] shapes = {{0, 512}, {PAGE - 512, 1024}, {100, 3 * PAGE}, {PAGE - 1, 2 * PAGE + 2}, {0, 4 * PAGE}};
        for (int[] shape : shapes) {
            PageReadBuffer b = buffer(shape[0], shape[1], rnd);
            assertEquals(shape[1], b.length());
            assertArrayEquals(expected, b.toByteArray());
            for (int t = 0; t < 300; t++) {
                int off = rnd.nextInt(b.length() + 1);
                int len = rnd.nextInt(b.length() - off + 1);
                byte[] want = Arrays.copyOfRange(expected, off, off + len);
                ByteBuffer dst = ByteBuffer.allocate(len);
                b.copyTo(off, dst);
                assertEquals(len, dst.position());
                assertArrayEquals(want, dst.array(), "copyTo " + off + "+" + len);
                ByteBuffer[] views = b.nioBuffers(off, len);
                ByteBuffer joined = ByteBuffer.allocate(len);
                int total = 0;
                for (ByteBuffer v : views) {
                    assertTrue(len == 0 || v.remaining() > 0, "empty view in a non-empty range");
                    total += v.remaining();
                    joined.put(v.duplicate());
                }
                assertEquals(len, total);
                assertArrayEquals(want, joined.array(), "nioBuffers " + off + "+" + len);
            }
            b.release();
        }
    }

    @Test
    void rangesOutsideTheBufferAreRefused() {
        PageReadBuffer b = buffer(10, 1000, new Random(1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.nioBuffers(900, 101));
        assertThrows(IndexOutOfBoundsException.class, () -> b.copyTo(-1, ByteBuffer.allocate(1)));
        assertThrows(IndexOutOfBoundsException.class, () -> b.copyTo(1, ByteBuffer.allocate(1000)));
        b.release();
    }
}
