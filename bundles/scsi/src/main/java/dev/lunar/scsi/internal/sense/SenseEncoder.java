package dev.lunar.scsi.internal.sense;

import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;

/**
 * Encodes a {@link Sense} value as sense data (SPC-4 §4.5): fixed format (response code 70h) or
 * descriptor format (72h), as the logical unit's D_SENSE bit in the Control mode page selects.
 */
public final class SenseEncoder {

    /** Fixed format length: 8-byte header plus 10 additional bytes (SPC-4 §4.5.3). */
    public static final int FIXED_LENGTH = 18;

    private SenseEncoder() {
    }

    /** A new buffer (position 0, limit = length) holding {@code sense} in the chosen format. */
    public static ByteBuffer encode(Sense sense, boolean descriptorFormat) {
        return ByteBuffer.wrap(descriptorFormat ? descriptor(sense) : fixed(sense));
    }

    /** Fixed format, response code 70h (current error). */
    public static byte[] fixed(Sense sense) {
        byte[] b = new byte[FIXED_LENGTH];
        b[0] = 0x70;
        b[2] = (byte) sense.key();
        long info = sense.information();
        // INFORMATION is 4 bytes in fixed format; VALID only when the value fits (SPC-4 §4.5.3).
        if (info >= 0 && info <= 0xffffffffL) {
            b[0] |= (byte) 0x80;
            b[3] = (byte) (info >>> 24);
            b[4] = (byte) (info >>> 16);
            b[5] = (byte) (info >>> 8);
            b[6] = (byte) info;
        }
        b[7] = FIXED_LENGTH - 8;
        b[12] = (byte) sense.asc();
        b[13] = (byte) sense.ascq();
        int sks = sense.senseKeySpecific();
        if (sks != 0) {
            b[15] = (byte) (sks >>> 16);
            b[16] = (byte) (sks >>> 8);
            b[17] = (byte) sks;
        }
        return b;
    }

    /**
     * Descriptor format, response code 72h, with an Information descriptor (type 00h) and a
     * Sense key specific descriptor (type 02h) when those fields are set (SPC-4 §4.5.2).
     */
    public static byte[] descriptor(Sense sense) {
        boolean hasInfo = sense.information() >= 0;
        boolean hasSks = sense.senseKeySpecific() != 0;
        int len = 8 + (hasInfo ? 12 : 0) + (hasSks ? 8 : 0);
        byte[] b = new byte[len];
        b[0] = 0x72;
        b[1] = (byte) sense.key();
        b[2] = (byte) sense.asc();
        b[3] = (byte) sense.ascq();
        b[7] = (byte) (len - 8);
        int p = 8;
        if (hasInfo) {
            b[p] = 0x00;
            b[p + 1] = 0x0a;
            b[p + 2] = (byte) 0x80;
            ByteBuffer.wrap(b, p + 4, 8).putLong(sense.information());
            p += 12;
        }
        if (hasSks) {
            int sks = sense.senseKeySpecific();
            b[p] = 0x02;
            b[p + 1] = 0x06;
            b[p + 4] = (byte) (sks >>> 16);
            b[p + 5] = (byte) (sks >>> 8);
            b[p + 6] = (byte) sks;
        }
        return b;
    }
}
