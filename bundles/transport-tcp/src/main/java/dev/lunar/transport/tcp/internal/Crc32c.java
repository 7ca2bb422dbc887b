package dev.lunar.transport.tcp.internal;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * iSCSI digests (RFC 7143 §13.1, CRC32C) over Netty buffers without merging them. On the wire the
 * 32-bit digest goes least significant byte first: RFC 7143 Appendix B's example digest of 32
 * zero bytes, {@code aa 36 91 8a}, is the JDK's value {@code 0x8a9136aa} in little-endian order.
 */
final class Crc32c {

    private static final byte[] ZEROS = new byte[3];

    private Crc32c() {
    }

    /** Adds {@code buf[index, index + length)} to {@code crc}, component by component. */
    static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
            return;
        }
        for (ByteBuffer part : buf.nioBuffers(index, length)) {
            crc.update(part);
        }
    }

    /**
     * Adds the remaining bytes of each view; their positions end where they started (moved and
     * put back rather than a duplicate per view).
     */
    static void update(CRC32C crc, ByteBuffer[] views) {
        for (ByteBuffer view : views) {
            int position = view.position();
            crc.update(view);
            view.position(position);
        }
    }

    /** Adds {@code count} (0..3) zero padding bytes (RFC 7143 §11.2: padding is covered by the data digest). */
    static void updatePadding(CRC32C crc, int count) {
        crc.update(ZEROS, 0, count);
    }

    /** The digest of {@code buf[index, index + length)}, computed with {@code crc} (reset first). */
    static int digest(CRC32C crc, ByteBuf buf, int index, int length) {
        crc.reset();
        update(crc, buf, index, length);
        return (int) crc.getValue();
    }

    static int digest(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        update(crc, buf, index, length);
        return (int) crc.getValue();
    }

    static int digest(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.duplicate());
        return (int) crc.getValue();
    }
}
