package dev.lunar.backend.ramdisk.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.testkit.backend.IoProbe;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A read within one page is one {@link SinglePageReadBuffer} (no segment or frame arrays, issue
 * 7), and its views and copies agree with the page's bytes for any range.
 */
class SinglePageReadBufferTest {

    private static final int PAGE = PageMemory.PAGE_SIZE;

    @Test
    void viewsAndCopiesOfEveryRangeMatchThePage() {
        byte[] bytes = new byte[PAGE];
        new Random(11).nextBytes(bytes);
        ByteBuffer page = ByteBuffer.allocateDirect(PAGE);
        page.put(0, bytes);
        int start = PAGE - 4096 - 100;
        SinglePageReadBuffer b = new SinglePageReadBuffer(page, start, 4096, null);
        byte[] want = Arrays.copyOfRange(bytes, start, start + 4096);
        assertArrayEquals(want, b.toByteArray());
        int[][] ranges = {{0, 4096}, {0, 0}, {4096, 0}, {1, 4094}, {512, 1024}};
        for (int[] r : ranges) {
            ByteBuffer[] views = b.nioBuffers(r[0], r[1]);
            assertEquals(1, views.length);
            assertEquals(r[1], views[0].remaining());
            byte[] seen = new byte[r[1]];
            views[0].get(seen);
            assertArrayEquals(Arrays.copyOfRange(want, r[0], r[0] + r[1]), seen, "view " + Arrays.toString(r));
            ByteBuffer dst = ByteBuffer.allocate(r[1] + 3).position(3);
            b.copyTo(r[0], dst);
            assertEquals(r[1] + 3, dst.position(), "copyTo advances the position");
            assertArrayEquals(Arrays.copyOfRange(want, r[0], r[0] + r[1]),
                    Arrays.copyOfRange(dst.array(), 3, 3 + r[1]), "copy " + Arrays.toString(r));
        }
        assertEquals(0, page.position(), "the page's own buffer is never moved");
        assertEquals(PAGE, page.limit());
        assertThrows(IndexOutOfBoundsException.class, () -> b.nioBuffers(4000, 97));
        assertThrows(IndexOutOfBoundsException.class, () -> b.copyTo(-1, ByteBuffer.allocate(1)));
        assertTrue(b.release());
    }

    @Test
    void aReadWithinOnePageIsASinglePageBufferThatUnpinsItsFrame() throws Exception {
        RamDisk disk = new RamDisk("single", 512, 1024, false, true, 1L << 30, () -> { });
        try {
            byte[] data = new byte[4096];
            new Random(3).nextBytes(data);
            IoProbe<Void> w = new IoProbe<>("write");
            DataBuffer src = dev.lunar.spi.buffer.DataBuffers.wrap(data);
            disk.write(8, src, false, w);
            w.awaitSuccess();
            src.release();
            IoProbe<DataBuffer> r = new IoProbe<>("read");
            disk.read(8, 8, r);
            DataBuffer read = r.awaitSuccess();
            SinglePageReadBuffer single = assertInstanceOf(SinglePageReadBuffer.class, read,
                    "a 4 KiB read inside a page takes the single-page path");
            assertEquals(2, single.frame().references(), "the page's reference plus this read's");
            assertArrayEquals(data, read.toByteArray());
            read.release();
            assertEquals(1, single.frame().references(), "released reads unpin the frame");
            IoProbe<DataBuffer> across = new IoProbe<>("read across pages");
            disk.read(PAGE / 512 - 1, 2, across);
            DataBuffer two = across.awaitSuccess();
            assertInstanceOf(PageReadBuffer.class, two, "a read across a page boundary keeps its segments");
            two.release();
        } finally {
            disk.close();
        }
    }
}
