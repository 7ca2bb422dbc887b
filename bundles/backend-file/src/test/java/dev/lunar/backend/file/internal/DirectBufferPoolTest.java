package dev.lunar.backend.file.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DirectBufferPoolTest {

    private final DirectBufferPool pool = new DirectBufferPool(4 << 20);

    @Test
    void buffersAreDirectAlignedAndSizedToTheRequest() {
        for (int length : new int[] {1, 512, 4096, 4097, 65536, 100_000, 4 << 20, (4 << 20) + 1}) {
            ByteBuffer b = pool.take(length);
            assertTrue(b.isDirect());
            assertEquals(0, b.alignmentOffset(0, DirectBufferPool.ALIGNMENT), "alignment for " + length);
            assertEquals(0, b.position());
            assertEquals(length, b.limit());
            assertTrue(b.capacity() >= length);
            pool.recycle(b);
        }
    }

    @Test
    void recycledBuffersAreReusedWithinTheirClass() {
        ByteBuffer a = pool.take(5000);
        pool.recycle(a);
        ByteBuffer again = pool.take(8192);
        assertSame(a, again, "same 8 KiB class");
        assertEquals(8192, again.limit());
        ByteBuffer other = pool.take(5000);
        assertNotSame(a, other, "the class is empty while the buffer is out");
    }

    @Test
    void theLargeClassesKeepOnlyTheirShare() {
        List<ByteBuffer> big = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            big.add(pool.take(4 << 20));
        }
        big.forEach(pool::recycle);
        ByteBuffer first = pool.take(4 << 20);
        ByteBuffer second = pool.take(4 << 20);
        // ByteBuffer.equals compares contents; the pool's promise is about identity.
        assertTrue(big.stream().anyMatch(b -> b == first), "one 4 MiB buffer is kept");
        assertTrue(big.stream().noneMatch(b -> b == second), "only one 4 MiB buffer is kept (4 MiB share)");
    }
}
