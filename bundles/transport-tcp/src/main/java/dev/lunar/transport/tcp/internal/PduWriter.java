package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.FileRegion;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.Pdu;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Turns one outgoing {@link Pdu} into Netty writes (RFC 7143 §11.2 framing) without copying the
 * data segment. Runs on the connection's I/O thread.
 *
 * <p>Copies per data byte, counting from the DataBuffer to the kernel:
 * <ul>
 *   <li>direct memory (backend memory, {@link TcpBufferAllocator} buffers): 0 in the JVM; the
 *       kernel copies once into the socket buffer ({@code writev});</li>
 *   <li>heap memory: 1 (Netty copies non-direct buffers to direct memory before the write);</li>
 *   <li>file region, data digest off: 0 in the JVM ({@code sendfile(2)}: page cache to socket);</li>
 *   <li>file region, data digest on: 1 (one read into a pooled direct buffer, where the CRC is
 *       computed and from where it is written).</li>
 * </ul>
 * Header, padding and digests travel in small pooled direct buffers beside the data, in one
 * gathering write.
 */
final class PduWriter {

    private PduWriter() {
    }

    /**
     * Writes (without flushing) the frame for {@code pdu}; {@code promise} completes when the last
     * byte of it was written or the write failed. The data buffer is not released here: the
     * caller keeps the PDU's reference until the promise completes. {@code crc} is the connection's
     * digest engine (I/O thread only), reset here before each use.
     *
     * @throws IllegalArgumentException when the PDU is malformed for these settings (then nothing
     *     was written)
     */
    static void write(Channel channel, Pdu pdu, ConnectionSettings settings, ChannelPromise promise, CRC32C crc) {
        ByteBuffer header = pdu.header();
        int headerLength = header.limit();
        DataBuffer data = pdu.data();
        int dataLength = data == null ? 0 : data.length();
        check(header, headerLength, dataLength, settings);

        ByteBufAllocator alloc = channel.alloc();
        int headerDigest = settings.headerDigest() ? 4 : 0;
        ByteBuf head = alloc.directBuffer(headerLength + headerDigest);
        if (header.hasArray()) {
            // No ByteBuffer duplicate per PDU (JFR: one of the larger per-I/O allocations).
            head.writeBytes(header.array(), header.arrayOffset(), headerLength);
        } else {
            head.writeBytes(header.duplicate().position(0));
        }
        if (headerDigest != 0) {
            head.writeIntLE(Crc32c.digest(crc, head, 0, headerLength));
        }
        if (dataLength == 0) {
            channel.write(head, promise);
            return;
        }
        int padding = -dataLength & 3;
        boolean dataDigest = settings.dataDigest();
        FileRegion file = data.fileRegion();
        if (file != null && !dataDigest) {
            // Parts before the last need no promise of their own (see below).
            ChannelPromise partDone = channel.unsafe().voidPromise();
            channel.write(head, partDone);
            BorrowedFileRegion region = new BorrowedFileRegion(file.channel(), file.position(), file.count());
            if (padding == 0) {
                channel.write(region, promise);
            } else {
                channel.write(region, partDone);
                channel.write(alloc.directBuffer(padding).writeZero(padding), promise);
            }
            return;
        }
        ByteBuf payload = null;
        ByteBuffer[] views = null;
        ByteBuf trailer = null;
        try {
            CRC32C dataCrc = null;
            if (dataDigest) {
                crc.reset();
                dataCrc = crc;
            }
            if (file != null) {
                // Digest on: read the region once, digest and send from the same direct buffer.
                payload = alloc.directBuffer(dataLength, dataLength);
                data.copyTo(0, payload.nioBuffer(0, dataLength));
                payload.writerIndex(dataLength);
                if (dataCrc != null) {
                    Crc32c.update(dataCrc, payload, 0, dataLength);
                }
            } else {
                views = data.nioBuffers(0, dataLength);
                if (dataCrc != null) {
                    Crc32c.update(dataCrc, views);
                }
            }
            int trailerLength = padding + (dataCrc != null ? 4 : 0);
            if (trailerLength > 0) {
                trailer = alloc.directBuffer(trailerLength).writeZero(padding);
                if (dataCrc != null) {
                    Crc32c.updatePadding(dataCrc, padding);
                    trailer.writeIntLE((int) dataCrc.getValue());
                }
            }
        } catch (RuntimeException | Error e) {
            head.release();
            if (payload != null) {
                payload.release();
            }
            throw e;
        }
        // Every part that can fail is built before the first is queued, so a failure above leaves
        // the stream untouched. The parts go as separate messages (Netty gathers flushed buffers
        // into one writev) rather than a CompositeByteBuf: a composite, its component array and
        // one component object per part were about a tenth of the per-I/O garbage (JFR). That
        // holds for the views of a scattered data segment too (a 256 KiB RAM disk read is four
        // or five pages): each is one message, which the epoll writev takes by its address,
        // where a composite's views were materialised per write attempt, and a heap view alone
        // is copied to direct memory rather than the whole composite. Only the last part carries
        // the caller's promise; writes complete in order, so it completes when the whole frame
        // has left, and a failed write closes the channel, failing it too.
        ChannelPromise partDone = channel.unsafe().voidPromise();
        ChannelPromise payloadDone = trailer == null ? promise : partDone;
        channel.write(head, partDone);
        if (payload != null) {
            channel.write(payload, payloadDone);
        } else {
            int last = views.length - 1;
            for (int i = 0; i <= last; i++) {
                ByteBuf part;
                try {
                    part = borrow(views[i]);
                } catch (RuntimeException | Error e) {
                    // Only an allocation can fail here, with part of the frame queued: the
                    // stream is broken, so the connection goes.
                    if (trailer != null) {
                        trailer.release();
                    }
                    promise.tryFailure(e);
                    channel.close();
                    return;
                }
                channel.write(part, i == last ? payloadDone : partDone);
            }
        }
        if (trailer != null) {
            channel.write(trailer, promise);
        }
    }

    /** A view lent for one write; wrapping a ByteBuffer never frees it (the DataBuffer owns it). */
    private static ByteBuf borrow(ByteBuffer view) {
        return BorrowedDirectByteBuf.fits(view) ? BorrowedDirectByteBuf.of(view) : Unpooled.wrappedBuffer(view);
    }

    private static void check(ByteBuffer header, int headerLength, int dataLength, ConnectionSettings settings) {
        if (header.position() != 0) {
            throw new IllegalArgumentException("PDU header position must be 0, is " + header.position());
        }
        int ahsLength = (header.get(4) & 0xff) * 4;
        if (headerLength != Pdu.BHS_LENGTH + ahsLength) {
            throw new IllegalArgumentException("PDU header is " + headerLength + " bytes but TotalAHSLength says "
                    + (Pdu.BHS_LENGTH + ahsLength));
        }
        int declared = (header.get(5) & 0xff) << 16 | (header.get(6) & 0xff) << 8 | header.get(7) & 0xff;
        if (declared != dataLength) {
            throw new IllegalArgumentException("PDU DataSegmentLength is " + declared + " but the data has "
                    + dataLength + " bytes");
        }
        if (dataLength > settings.maxSendDataSegmentLength()) {
            throw new IllegalArgumentException("data segment of " + dataLength
                    + " bytes exceeds the initiator's MaxRecvDataSegmentLength " + settings.maxSendDataSegmentLength());
        }
    }
}
