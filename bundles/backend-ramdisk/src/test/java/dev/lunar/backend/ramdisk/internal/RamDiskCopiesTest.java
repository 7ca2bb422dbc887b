package dev.lunar.backend.ramdisk.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.testkit.backend.IoProbe;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The RAM disk's share of README "Copies per byte": a read lends the pages themselves (0 copies;
 * the transport then sends those views), a write copies each byte once, into the pages.
 */
class RamDiskCopiesTest {

    private static final int PAGE = PageMemory.PAGE_SIZE;
    private final RamDiskBackend backend = new RamDiskBackend();
    private RamDisk disk;

    @AfterEach
    void stop() {
        if (disk != null) {
            disk.close();
        }
    }

    /** Counts the bytes copied out of its delegate; views and everything else pass through. */
    static final class CountingBuffer extends DataBuffer {
        private final DataBuffer delegate;
        long bytesCopied;

        CountingBuffer(DataBuffer delegate) {
            this.delegate = delegate;
        }

        @Override
        public int length() {
            return delegate.length();
        }

        @Override
        public void copyTo(int offset, ByteBuffer dst) {
            bytesCopied += dst.remaining();
            delegate.copyTo(offset, dst);
        }

        @Override
        public ByteBuffer[] nioBuffers(int offset, int length) {
            return delegate.nioBuffers(offset, length);
        }

        @Override
        protected void deallocate() {
            delegate.release();
        }
    }

    private void open() throws Exception {
        Map<String, String> o = new HashMap<>();
        o.put("size", "64M");
        o.put("blockSize", "512");
        disk = (RamDisk) backend.open("t", o);
    }

    private static byte[] pattern(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 13 + 1);
        }
        return b;
    }

    private long write(long lba, byte[] bytes) {
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        CountingBuffer src = new CountingBuffer(DataBuffers.wrap(null, direct));
        IoProbe<Void> p = new IoProbe<>("write " + lba);
        disk.write(lba, src, false, p);
        p.awaitSuccess();
        long copied = src.bytesCopied;
        src.release();
        return copied;
    }

    private DataBuffer read(long lba, int blocks) {
        IoProbe<DataBuffer> p = new IoProbe<>("read " + lba);
        disk.read(lba, blocks, p);
        return p.awaitSuccess();
    }

    /** The page frames behind a read (the read buffer keeps them to unpin them when released). */
    private static Frame[] framesOf(DataBuffer read) throws ReflectiveOperationException {
        if (read instanceof SinglePageReadBuffer single) {
            return new Frame[] {single.frame()};
        }
        java.lang.reflect.Field f = PageReadBuffer.class.getDeclaredField("frames");
        f.setAccessible(true);
        return (Frame[]) f.get(read);
    }

    @Test
    void aWriteCopiesEachByteOnce() throws Exception {
        open();
        // Two pages and a bit, unaligned: still exactly one copy per byte.
        byte[] data = pattern(2 * PAGE + 1024);
        assertEquals(data.length, write(3, data));
        DataBuffer back = read(3, data.length / 512);
        try {
            assertArrayEquals(data, back.toByteArray());
        } finally {
            back.release();
        }
    }

    @Test
    void aReadLendsThePagesThemselves() throws Exception {
        open();
        long firstBlockOfPageOne = PAGE / 512;
        write(firstBlockOfPageOne, pattern(PAGE));
        DataBuffer read = read(firstBlockOfPageOne, PAGE / 512);
        try {
            assertNull(read.fileRegion());
            ByteBuffer[] views = read.nioBuffers(0, read.length());
            assertEquals(1, views.length);
            assertTrue(views[0].isDirect(), "pages are direct memory: the socket write needs no bounce copy");
            Frame[] frames = framesOf(read);
            assertEquals(1, frames.length);
            // A byte changed in the page shows through the view: the view is the page, not a copy.
            byte was = frames[0].memory.get(100);
            frames[0].memory.put(100, (byte) ~was);
            assertEquals((byte) ~was, views[0].get(100));
            frames[0].memory.put(100, was);
        } finally {
            read.release();
        }
    }
}
