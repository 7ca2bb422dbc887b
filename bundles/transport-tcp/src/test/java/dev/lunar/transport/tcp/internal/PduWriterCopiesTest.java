package dev.lunar.transport.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.buffer.FileRegion;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.Pdu;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copies per data byte on the send side (README "Copies per byte", Data-In rows): counted through
 * the buffer layer ({@link DataBuffer#copyTo} is the only way bytes leave a DataBuffer other than
 * by shared views), and checked by address for the zero-copy cases: the payload PduWriter hands to
 * the channel must reference the very memory the backend lent.
 *
 * <p>What this layer cannot show: the kernel's copy into the socket buffer ({@code writev}) or
 * the page-cache-to-socket copy of {@code sendfile}; and Netty's own heap-to-direct copy for a
 * heap buffer happens inside the real socket channel's write, after PduWriter (here it is
 * asserted as "the payload is still heap memory", i.e. one copy will follow).
 */
class PduWriterCopiesTest {

    private static final int LENGTH = 4096;
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final List<Object> written = new ArrayList<>();

    @AfterEach
    void tearDown() {
        written.forEach(ReferenceCountUtil::release);
        channel.finishAndReleaseAll();
    }

    /** A DataBuffer that counts the bytes copied out of it and hands out its delegate's views. */
    static final class CountingBuffer extends DataBuffer {
        private final DataBuffer delegate;
        int copies;
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
            copies++;
            bytesCopied += dst.remaining();
            delegate.copyTo(offset, dst);
        }

        @Override
        public ByteBuffer[] nioBuffers(int offset, int length) {
            return delegate.nioBuffers(offset, length);
        }

        @Override
        public FileRegion fileRegion() {
            return delegate.fileRegion();
        }

        @Override
        protected void deallocate() {
            delegate.release();
        }
    }

    private static ByteBuffer dataInHeader(int dataLength) {
        ByteBuffer h = ByteBuffer.allocate(Pdu.BHS_LENGTH);
        h.put(0, (byte) 0x25);
        h.put(5, (byte) (dataLength >>> 16)).put(6, (byte) (dataLength >>> 8)).put(7, (byte) dataLength);
        return h;
    }

    private static byte[] pattern(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    private void send(DataBuffer data, boolean dataDigest) {
        ConnectionSettings settings = new ConnectionSettings(dataDigest, dataDigest, 262144, 262144);
        PduWriter.write(channel, new Pdu(dataInHeader(data.length()), data), settings, channel.newPromise(),
                new java.util.zip.CRC32C());
        channel.flush();
        Object m;
        while ((m = channel.readOutbound()) != null) {
            written.add(m);
        }
    }

    private ByteBuf payloadOf(boolean dataDigest) {
        assertEquals(dataDigest ? 3 : 2, written.size(), "header, payload" + (dataDigest ? ", digest" : ""));
        return assertInstanceOf(ByteBuf.class, written.get(1));
    }

    private void memoryBufferSendsItsOwnPages(boolean dataDigest) {
        ByteBuffer pages = ByteBuffer.allocateDirect(LENGTH).put(pattern(LENGTH)).flip();
        CountingBuffer data = new CountingBuffer(DataBuffers.wrap(null, pages.asReadOnlyBuffer()));
        send(data, dataDigest);
        assertEquals(0, data.copies, "no copy in the JVM");
        ByteBuf payload = payloadOf(dataDigest);
        assertTrue(payload.isDirect());
        assertTrue(payload.hasMemoryAddress());
        assertEquals(PlatformDependent.directBufferAddress(pages), payload.memoryAddress(),
                "the frame references the lent memory itself");
        data.release();
    }

    @Test
    void directMemoryDigestOffIsZeroCopies() {
        memoryBufferSendsItsOwnPages(false);
    }

    @Test
    void directMemoryDigestOnIsZeroCopies() {
        // The CRC is read over the same pages; nothing is copied to compute it.
        memoryBufferSendsItsOwnPages(true);
    }

    /** Writable direct pages (the RAM disk's) go out as they are, without one more view object. */
    @Test
    void writableDirectPagesAreLentAsTheyAre() {
        byte[] content = pattern(LENGTH);
        ByteBuffer pages = ByteBuffer.allocateDirect(LENGTH).put(content).flip();
        CountingBuffer data = new CountingBuffer(DataBuffers.wrap(null, pages));
        send(data, false);
        assertEquals(0, data.copies);
        ByteBuf payload = assertInstanceOf(BorrowedDirectByteBuf.class, payloadOf(false));
        assertEquals(PlatformDependent.directBufferAddress(pages), payload.memoryAddress());
        byte[] sent = new byte[LENGTH];
        payload.getBytes(payload.readerIndex(), sent);
        assertArrayEquals(content, sent);
        payload.release();
        written.remove(1);
        assertEquals(1, data.refCnt(), "releasing the frame's payload leaves the lent memory to its owner");
        pages.put(0, (byte) 42);
        assertEquals(42, pages.get(0), "and does not free it");
        data.release();
    }

    /** A lent view need not start at position 0: the frame still carries exactly its remaining bytes. */
    @Test
    void aViewThatDoesNotStartAtPositionZeroIsSentFromItsPosition() {
        byte[] content = pattern(LENGTH + 8);
        ByteBuffer backing = ByteBuffer.allocateDirect(LENGTH + 8).put(content).flip();
        DataBuffer offsetView = new DataBuffer() {
            @Override
            public int length() {
                return LENGTH;
            }

            @Override
            public void copyTo(int offset, ByteBuffer dst) {
                throw new AssertionError("no copy expected");
            }

            @Override
            public ByteBuffer[] nioBuffers(int offset, int length) {
                return new ByteBuffer[] {backing.duplicate().position(8 + offset).limit(8 + offset + length)};
            }

            @Override
            protected void deallocate() {
                // the backing memory belongs to the test
            }
        };
        send(offsetView, false);
        ByteBuf payload = payloadOf(false);
        byte[] sent = new byte[payload.readableBytes()];
        payload.getBytes(payload.readerIndex(), sent);
        assertArrayEquals(java.util.Arrays.copyOfRange(content, 8, 8 + LENGTH), sent);
        offsetView.release();
    }

    @Test
    void scatteredPagesAreSentAsViewsToo() {
        ByteBuffer a = ByteBuffer.allocateDirect(LENGTH / 2);
        ByteBuffer b = ByteBuffer.allocateDirect(LENGTH / 2);
        CountingBuffer data = new CountingBuffer(DataBuffers.wrap(null, a, b));
        send(data, false);
        assertEquals(0, data.copies);
        // One message per page after the header (no composite): each is the page's own memory.
        assertEquals(3, written.size(), "header, then one message per page");
        List<Long> addresses = new ArrayList<>();
        for (Object part : written.subList(1, written.size())) {
            ByteBuf page = assertInstanceOf(BorrowedDirectByteBuf.class, part);
            assertEquals(LENGTH / 2, page.readableBytes());
            addresses.add(page.memoryAddress());
        }
        assertEquals(List.of(PlatformDependent.directBufferAddress(a), PlatformDependent.directBufferAddress(b)),
                addresses);
        data.release();
    }

    @Test
    void heapMemoryIsCopiedOnceByTheChannelNotHere() {
        CountingBuffer data = new CountingBuffer(DataBuffers.wrap(pattern(LENGTH)));
        send(data, false);
        assertEquals(0, data.copies);
        assertFalse(payloadOf(false).isDirect(), "Netty copies heap payload to direct memory at the socket: 1 copy");
        data.release();
    }

    @Test
    void fileRegionDigestOffIsSendfile(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("lun"), pattern(LENGTH));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            CountingBuffer data = new CountingBuffer(DataBuffers.file(ch, 0, LENGTH, null));
            send(data, false);
            assertEquals(0, data.copies, "no byte enters the JVM");
            assertEquals(2, written.size(), "header, then the file region");
            assertInstanceOf(io.netty.channel.DefaultFileRegion.class, written.get(1),
                    "DefaultFileRegion: the epoll transport's sendfile(2) path");
            data.release();
        }
    }

    @Test
    void fileRegionDigestOnIsOneCopy(@TempDir Path dir) throws IOException {
        byte[] content = pattern(LENGTH);
        Path file = Files.write(dir.resolve("lun"), content);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            CountingBuffer data = new CountingBuffer(DataBuffers.file(ch, 0, LENGTH, null));
            send(data, true);
            assertEquals(1, data.copies);
            assertEquals(LENGTH, data.bytesCopied, "each byte read once into a pooled direct buffer");
            ByteBuf payload = payloadOf(true);
            assertTrue(payload.isDirect());
            byte[] sent = new byte[LENGTH];
            payload.getBytes(payload.readerIndex(), sent);
            assertArrayEquals(content, sent);
            data.release();
        }
    }
}
