package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.transport.ConnectionSettings;
import dev.lunar.spi.transport.Pdu;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Frames the TCP byte stream into whole PDUs (RFC 7143 §11.2) and is the inbound side of one
 * {@link TcpConnection}. Runs on the connection's I/O thread only.
 *
 * <p>Frame: BHS (48 bytes), AHS (TotalAHSLength × 4, BHS byte 4), header digest (4, when
 * negotiated), data segment (DataSegmentLength, BHS bytes 5–7), padding to a multiple of 4, data
 * digest (4, when negotiated and the segment is not empty). Digests are CRC32C (§13.1), header
 * digest over BHS + AHS, data digest over data + padding.
 *
 * <p>Memory: bytes from the socket are kept in a cumulation that is a composite of the buffers
 * Netty read into, so a frame spanning several reads is never merged. A data segment is handed up
 * as a retained slice of that cumulation, wrapped as a {@link DataBuffer}: no copy after the one
 * from the kernel. The frame is only framed once all its bytes are here, and a DataSegmentLength
 * above the negotiated MaxRecvDataSegmentLength closes the connection before anything is waited
 * for, so memory per connection is bounded by one legal frame plus one read.
 *
 * <p>Settings: each frame is parsed with the settings current when its first byte is framed;
 * {@link TcpConnection#configure} from inside {@code pduReceived} therefore applies to the next
 * PDU, as RFC 7143 §6.2 asks for the PDU after the final login response.
 */
final class PduFrameDecoder extends ChannelInboundHandlerAdapter {

    /** Components of the cumulation before Netty consolidates (copies); a 16 MiB frame in 2 KiB reads fits. */
    private static final int MAX_COMPONENTS = 8192;

    private final TcpConnection connection;
    /** Digest engine for both digests of every frame (I/O thread only; reset before each use). */
    private final CRC32C crc = new CRC32C();
    private ByteBuf cumulation;
    /** No PDU is delivered while paused (setReading(false), detach); bytes still accumulate. */
    private boolean paused;
    /** Set after a framing error: nothing more is framed, the channel is closing. */
    private boolean failed;
    /** Between the first channelRead of a read loop and its channelReadComplete. */
    private boolean inReadBurst;

    PduFrameDecoder(TcpConnection connection) {
        this.connection = connection;
    }

    /** Bytes a previous owner had read but not framed; framed before anything new. */
    void seed(ByteBuf unread) {
        append(unread);
    }

    void pause() {
        paused = true;
    }

    /** Resumes delivery and frames whatever is already buffered. */
    void resume() {
        paused = false;
        drain();
    }

    /** Takes out the buffered bytes (for a detach); the caller owns the result. */
    ByteBuf takeUnread() {
        ByteBuf unread = cumulation;
        cumulation = null;
        return unread;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        connection.onActive();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        if (failed) {
            in.release();
            return;
        }
        inReadBurst = true;
        append(in);
        drain();
    }

    /** Netty ends every read loop (also one cut short by an error) with this. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inReadBurst = false;
        connection.readBurstEnded();
        ctx.fireChannelReadComplete();
    }

    /** Whether PDUs of a socket read are being delivered and channelReadComplete is still to come. */
    boolean inReadBurst() {
        return inReadBurst;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inReadBurst = false;
        releaseCumulation();
        connection.onInactive();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        inReadBurst = false;
        releaseCumulation();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        connection.fail(cause);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        connection.onWritabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    private void append(ByteBuf in) {
        if (!in.isReadable()) {
            in.release();
            return;
        }
        if (cumulation == null) {
            cumulation = in;
        } else if (cumulation instanceof CompositeByteBuf) {
            ((CompositeByteBuf) cumulation).addComponent(true, in);
        } else {
            CompositeByteBuf composite = in.alloc().compositeDirectBuffer(MAX_COMPONENTS);
            composite.addComponents(true, cumulation, in);
            cumulation = composite;
        }
    }

    private void drain() {
        while (!paused && !failed && cumulation != null && connection.deliverable()) {
            Pdu pdu = nextFrame();
            if (pdu == null) {
                break;
            }
            connection.deliver(pdu);
        }
        tidy();
    }

    /** One whole frame off the cumulation, or {@code null} when its bytes are not all here yet. */
    private Pdu nextFrame() {
        ByteBuf buf = cumulation;
        int available = buf.readableBytes();
        if (available < Pdu.BHS_LENGTH) {
            return null;
        }
        int start = buf.readerIndex();
        ConnectionSettings settings = connection.settings();
        int headerLength = Pdu.BHS_LENGTH + buf.getUnsignedByte(start + 4) * 4;
        int dataLength = buf.getUnsignedMedium(start + 5);
        if (dataLength > settings.maxRecvDataSegmentLength()) {
            // RFC 7143 §7.2 / §13.12: a protocol error; closing is the only answer that does not
            // require buffering the attacker's claimed length.
            failFraming("DataSegmentLength " + dataLength + " exceeds MaxRecvDataSegmentLength "
                    + settings.maxRecvDataSegmentLength() + " (opcode 0x"
                    + Integer.toHexString(buf.getUnsignedByte(start) & 0x3f) + ")");
            return null;
        }
        int headerDigest = settings.headerDigest() ? 4 : 0;
        int padding = -dataLength & 3;
        int dataDigest = settings.dataDigest() && dataLength > 0 ? 4 : 0;
        long frameLength = (long) headerLength + headerDigest + dataLength + padding + dataDigest;
        if (available < frameLength) {
            return null;
        }
        if (headerDigest != 0) {
            int expected = buf.getIntLE(start + headerLength);
            int actual = Crc32c.digest(crc, buf, start, headerLength);
            if (expected != actual) {
                // RFC 7143 §7.8: at ERL 0 a header digest error ends the connection; the
                // DataSegmentLength cannot be trusted, so there is no frame boundary to resume at.
                failFraming(String.format("header digest error (received 0x%08x, computed 0x%08x, opcode 0x%x)",
                        expected, actual, buf.getUnsignedByte(start) & 0x3f));
                return null;
            }
        }
        ByteBuffer header = ByteBuffer.allocate(headerLength);
        buf.getBytes(start, header);
        header.clear();
        int dataStart = start + headerLength + headerDigest;
        DataBuffer data = null;
        boolean dataDigestFailed = false;
        if (dataLength > 0) {
            if (dataDigest != 0) {
                crc.reset();
                Crc32c.update(crc, buf, dataStart, dataLength + padding);
                dataDigestFailed = (int) crc.getValue() != buf.getIntLE(dataStart + dataLength + padding);
            }
            data = retainedData(buf, dataStart, dataLength);
        }
        buf.readerIndex(start + (int) frameLength);
        Pdu pdu = new Pdu(header, data);
        if (dataDigestFailed) {
            // RFC 7143 §7.8: the header is intact, so the session layer decides (Reject, recovery).
            pdu.markDataDigestFailed();
            connection.noteDataDigestError(pdu);
        }
        return pdu;
    }

    /**
     * The bytes {@code [index, index + length)} as a DataBuffer sharing the receive memory. Each
     * underlying read buffer is retained on its own: a slice of the composite would only retain the
     * composite, whose {@code discardReadComponents()} frees consumed components regardless, and
     * the PDU would then point at memory the pool hands out again.
     */
    private static DataBuffer retainedData(ByteBuf buf, int index, int length) {
        if (!(buf instanceof CompositeByteBuf)) {
            return new ReceivedData(buf.retain(), index, length);
        }
        CompositeByteBuf composite = (CompositeByteBuf) buf;
        int first = composite.toComponentIndex(index);
        ByteBuf firstPart = composite.internalComponent(first);
        int firstOffset = index - composite.toByteIndex(first);
        if (firstPart.readableBytes() - firstOffset >= length) {
            // The usual case: the segment lies in one read buffer.
            return new ReceivedData(firstPart.retain(), firstPart.readerIndex() + firstOffset, length);
        }
        List<ByteBuf> parts = new ArrayList<>(4);
        List<ByteBuffer> views = new ArrayList<>(4);
        int at = index;
        int remaining = length;
        while (remaining > 0) {
            int component = composite.toComponentIndex(at);
            ByteBuf part = composite.internalComponent(component);
            int offset = at - composite.toByteIndex(component);
            int n = Math.min(remaining, part.readableBytes() - offset);
            ByteBuf slice = part.retainedSlice(part.readerIndex() + offset, n);
            parts.add(slice);
            for (ByteBuffer view : slice.nioBuffers()) {
                views.add(view);
            }
            at += n;
            remaining -= n;
        }
        return DataBuffers.wrap(() -> {
            for (ByteBuf part : parts) {
                part.release();
            }
        }, views.toArray(new ByteBuffer[0]));
    }

    private void failFraming(String reason) {
        failed = true;
        releaseCumulation();
        connection.fail(new ProtocolException(reason));
    }

    private void tidy() {
        if (cumulation == null) {
            return;
        }
        if (!cumulation.isReadable()) {
            releaseCumulation();
        } else if (cumulation instanceof CompositeByteBuf) {
            ((CompositeByteBuf) cumulation).discardReadComponents();
        }
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            ByteBuf c = cumulation;
            cumulation = null;
            c.release();
        }
    }
}
