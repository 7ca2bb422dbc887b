package dev.lunar.pdu;

import dev.lunar.spi.buffer.DataBuffer;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * iSCSI digests (RFC 7143 §13.1, CRC32C per RFC 3720 Appendix B.4) for transports that compute
 * them in software. The JDK's {@link CRC32C} uses the CPU's CRC instructions. The digest value
 * goes on the wire least significant byte first (as Linux, libiscsi and FreeBSD send it: the CRC
 * register stored in little-endian order).
 */
public final class Crc32c {

    /**
     * Source of the 0..3 padding bytes. A byte array, not a ByteBuffer view: feeding it needs no
     * per-digest duplicate (JMH -prof gc showed 48 B per call for the view), and it is never written.
     */
    private static final byte[] ZERO_PAD = new byte[3];
    private static final int CHUNK = 16 * 1024;

    private Crc32c() {
    }

    /** The header digest over bytes {@code [0, limit)} of {@code header} (BHS and AHS). */
    public static int header(ByteBuffer header) {
        CRC32C crc = new CRC32C();
        crc.update(header.duplicate().position(0));
        return (int) crc.getValue();
    }

    /** The data digest over a whole data segment plus its zero padding to 4 bytes. */
    public static int data(DataBuffer data) {
        CRC32C crc = new CRC32C();
        update(crc, data, 0, data.length());
        int pad = (4 - (data.length() & 3)) & 3;
        if (pad != 0) {
            crc.update(ZERO_PAD, 0, pad);
        }
        return (int) crc.getValue();
    }

    /**
     * Feeds bytes {@code [offset, offset + length)} of {@code data} to {@code crc}: memory
     * buffers without copying, file regions through a small heap chunk.
     */
    public static void update(CRC32C crc, DataBuffer data, int offset, int length) {
        ByteBuffer[] views = data.nioBuffers(offset, length);
        if (views != null) {
            for (ByteBuffer v : views) {
                crc.update(v);
            }
            return;
        }
        ByteBuffer chunk = ByteBuffer.allocate(Math.min(CHUNK, Math.max(length, 1)));
        for (int done = 0; done < length; ) {
            int n = Math.min(chunk.capacity(), length - done);
            chunk.clear().limit(n);
            data.copyTo(offset + done, chunk);
            chunk.flip();
            crc.update(chunk);
            done += n;
        }
    }

    /** The digest as its four wire bytes (least significant first). */
    public static void putWire(ByteBuffer dst, int digest) {
        dst.put((byte) digest).put((byte) (digest >>> 8)).put((byte) (digest >>> 16)).put((byte) (digest >>> 24));
    }

    /** Reads a digest from its four wire bytes at the buffer's position, advancing it. */
    public static int getWire(ByteBuffer src) {
        return (src.get() & 0xff) | (src.get() & 0xff) << 8 | (src.get() & 0xff) << 16 | (src.get() & 0xff) << 24;
    }
}
