package dev.lunar.testkit.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32C;

/**
 * The initiator's side of RFC 7143 §11.2 framing, written independently of any transport so the
 * contract tests check transports against the RFC and not against themselves.
 */
public final class WireFrames {

    public static final int BHS = 48;

    private WireFrames() {
    }

    /** A header (BHS + AHS) with opcode, TotalAHSLength, DataSegmentLength and Initiator Task Tag set. */
    public static byte[] header(int opcode, int ahsWords, int dataSegmentLength, int itt) {
        byte[] h = new byte[BHS + ahsWords * 4];
        h[0] = (byte) (opcode & 0x3f);
        h[1] = (byte) 0x80; // F bit
        h[4] = (byte) ahsWords;
        h[5] = (byte) (dataSegmentLength >>> 16);
        h[6] = (byte) (dataSegmentLength >>> 8);
        h[7] = (byte) dataSegmentLength;
        h[16] = (byte) (itt >>> 24);
        h[17] = (byte) (itt >>> 16);
        h[18] = (byte) (itt >>> 8);
        h[19] = (byte) itt;
        for (int i = BHS; i < h.length; i++) {
            h[i] = (byte) (i * 7 + itt);
        }
        return h;
    }

    /** The Initiator Task Tag (BHS bytes 16–19). */
    public static int itt(byte[] header) {
        return (header[16] & 0xff) << 24 | (header[17] & 0xff) << 16 | (header[18] & 0xff) << 8 | header[19] & 0xff;
    }

    /** Recognisable payload bytes. */
    public static byte[] data(int length, int seed) {
        byte[] d = new byte[length];
        for (int i = 0; i < length; i++) {
            d[i] = (byte) (i * 31 + seed * 17 + (i >>> 8));
        }
        return d;
    }

    /** CRC32C as iSCSI computes it (RFC 7143 §13.1). */
    public static int crc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** The whole frame: header, header digest, data, zero padding, data digest. */
    public static byte[] frame(byte[] header, byte[] data, boolean headerDigest, boolean dataDigest) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header);
        if (headerDigest) {
            writeLe(out, crc32c(header, 0, header.length));
        }
        if (data != null && data.length > 0) {
            int padding = -data.length & 3;
            byte[] padded = new byte[data.length + padding];
            System.arraycopy(data, 0, padded, 0, data.length);
            out.writeBytes(padded);
            if (dataDigest) {
                writeLe(out, crc32c(padded, 0, padded.length));
            }
        }
        return out.toByteArray();
    }

    /** Digests go least significant byte first (RFC 7143 Appendix B's examples). */
    static void writeLe(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    static int readLe(DataInputStream in) throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        int b2 = in.readUnsignedByte();
        int b3 = in.readUnsignedByte();
        return b0 | b1 << 8 | b2 << 16 | b3 << 24;
    }

    /** One frame read off the wire and checked: padding zero, digests right. */
    public record Frame(byte[] header, byte[] data) {
    }

    /**
     * Reads one frame, asserting that the padding is zero and that the digests (when expected)
     * match, so any framing mistake of the sender fails the test here.
     */
    public static Frame read(InputStream stream, boolean headerDigest, boolean dataDigest) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        byte[] bhs = new byte[BHS];
        in.readFully(bhs);
        int ahs = (bhs[4] & 0xff) * 4;
        int dataLength = (bhs[5] & 0xff) << 16 | (bhs[6] & 0xff) << 8 | bhs[7] & 0xff;
        byte[] header = new byte[BHS + ahs];
        System.arraycopy(bhs, 0, header, 0, BHS);
        in.readFully(header, BHS, ahs);
        if (headerDigest) {
            assertEquals(crc32c(header, 0, header.length), readLe(in), "header digest");
        }
        byte[] data = new byte[dataLength];
        if (dataLength > 0) {
            int padding = -dataLength & 3;
            byte[] padded = new byte[dataLength + padding];
            in.readFully(padded);
            System.arraycopy(padded, 0, data, 0, dataLength);
            byte[] pad = new byte[padding];
            System.arraycopy(padded, dataLength, pad, 0, padding);
            assertArrayEquals(new byte[padding], pad, "padding must be zero");
            if (dataDigest) {
                assertEquals(crc32c(padded, 0, padded.length), readLe(in), "data digest");
            }
        }
        return new Frame(header, data);
    }
}
