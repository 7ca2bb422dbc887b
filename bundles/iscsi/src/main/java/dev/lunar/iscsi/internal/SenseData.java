package dev.lunar.iscsi.internal;

import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;

/**
 * Sense data as the iSCSI port sends it: in the SCSI Response data segment behind a 2-byte
 * SenseLength (RFC 7143 §11.4.7.2). The port encodes sense itself only for errors it detects
 * (residual overflow on a write, a lost connection); the device server's sense passes through.
 */
final class SenseData {

    /** ILLEGAL REQUEST / INVALID FIELD IN INFORMATION UNIT (SPC-4 table 28: 0Eh/03h). */
    static final Sense INVALID_FIELD_IN_INFORMATION_UNIT = Sense.of(Sense.ILLEGAL_REQUEST, 0x0e, 0x03);

    /** ABORTED COMMAND / DATA PHASE ERROR (SPC-4 table 28: 4Bh/00h): a Data-Out sequence went wrong. */
    static final Sense DATA_PHASE_ERROR = Sense.of(Sense.ABORTED_COMMAND, 0x4b, 0x00);

    /** ABORTED COMMAND / PROTOCOL SERVICE CRC ERROR (SPC-4 table 28: 47h/05h): a data digest failed. */
    static final Sense CRC_ERROR = Sense.of(Sense.ABORTED_COMMAND, 0x47, 0x05);

    private SenseData() {
    }

    /** Fixed-format sense (SPC-4 §4.5.3), 18 bytes, current error. */
    static ByteBuffer fixed(Sense sense) {
        ByteBuffer b = ByteBuffer.allocate(18);
        b.put(0, (byte) (sense.information() >= 0 ? 0xf0 : 0x70));
        b.put(2, (byte) sense.key());
        if (sense.information() >= 0) {
            b.putInt(3, (int) sense.information());
        }
        b.put(7, (byte) 10);
        b.put(12, (byte) sense.asc());
        b.put(13, (byte) sense.ascq());
        if (sense.senseKeySpecific() != 0) {
            b.put(15, (byte) (sense.senseKeySpecific() >>> 16));
            b.put(16, (byte) (sense.senseKeySpecific() >>> 8));
            b.put(17, (byte) sense.senseKeySpecific());
        }
        return b;
    }

    /** The data segment of a SCSI Response: SenseLength, then the sense bytes (one copy; sense is small). */
    static byte[] withLengthPrefix(ByteBuffer sense) {
        ByteBuffer s = sense.duplicate();
        int n = Math.min(s.remaining(), 0xffff);
        byte[] out = new byte[2 + n];
        out[0] = (byte) (n >>> 8);
        out[1] = (byte) n;
        s.get(out, 2, n);
        return out;
    }
}
