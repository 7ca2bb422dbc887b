package dev.lunar.backend.file.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.testkit.backend.IoProbe;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file backend's share of README "Copies per byte": a read is a file region (no byte enters
 * the JVM; the transport sends it with sendfile, or reads it once when a data digest is on), or
 * with {@code zeroCopyRead=false} one read into a direct buffer; a write goes from the Data-Out
 * buffer to the file ({@code pwrite} from its views) without a copy in the JVM. The kernel's own
 * copies (page cache) are outside what this layer can see.
 */
class FileCopiesTest {

    @TempDir
    Path dir;

    private final FileBackend backend = new FileBackend();
    private final List<BlockDevice> opened = new ArrayList<>();

    @AfterEach
    void stop() {
        opened.forEach(BlockDevice::close);
    }

    /** Counts the bytes copied out of its delegate; views pass through. */
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

    private BlockDevice open(String... kv) throws Exception {
        Map<String, String> o = new HashMap<>();
        o.put("path", dir.resolve("lun.img").toString());
        o.put("size", "8M");
        for (int i = 0; i + 1 < kv.length; i += 2) {
            o.put(kv[i], kv[i + 1]);
        }
        BlockDevice d = backend.open("lun", o);
        opened.add(d);
        return d;
    }

    private static byte[] pattern(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 7 + 3);
        }
        return b;
    }

    /** Writes from a direct buffer, as the TCP receive path delivers Data-Out; returns bytes copied. */
    private static long write(BlockDevice d, long lba, byte[] bytes) {
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        CountingBuffer src = new CountingBuffer(DataBuffers.wrap(null, direct));
        IoProbe<Void> p = new IoProbe<>("write " + lba);
        d.write(lba, src, false, p);
        p.awaitSuccess();
        long copied = src.bytesCopied;
        src.release();
        return copied;
    }

    private static DataBuffer read(BlockDevice d, long lba, int blocks) {
        IoProbe<DataBuffer> p = new IoProbe<>("read " + lba);
        d.read(lba, blocks, p);
        return p.awaitSuccess();
    }

    @Test
    void aWriteCopiesNothingInTheJvm() throws Exception {
        BlockDevice d = open();
        byte[] data = pattern(16384);
        assertEquals(0, write(d, 4, data));
        DataBuffer back = read(d, 4, data.length / 512);
        try {
            assertArrayEquals(data, back.toByteArray());
        } finally {
            back.release();
        }
    }

    @Test
    void aReadIsAFileRegionByDefault() throws Exception {
        BlockDevice d = open();
        write(d, 0, pattern(4096));
        DataBuffer read = read(d, 0, 8);
        try {
            assertNotNull(read.fileRegion(), "sendfile: no byte enters the JVM");
            assertNull(read.nioBuffers(0, read.length()));
        } finally {
            read.release();
        }
    }

    @Test
    void aCopyingReadIsOneReadIntoDirectMemory() throws Exception {
        BlockDevice d = open("zeroCopyRead", "false");
        byte[] data = pattern(4096);
        write(d, 0, data);
        DataBuffer read = read(d, 0, 8);
        try {
            assertNull(read.fileRegion());
            ByteBuffer[] views = read.nioBuffers(0, read.length());
            assertEquals(1, views.length, "one buffer, filled by one read");
            assertTrue(views[0].isDirect(), "direct: the socket write needs no second copy");
            assertArrayEquals(data, read.toByteArray());
        } finally {
            read.release();
        }
    }
}
