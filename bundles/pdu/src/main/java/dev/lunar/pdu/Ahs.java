package dev.lunar.pdu;

import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;

/**
 * Additional Header Segments (RFC 7143 §11.2.2): after the BHS, each AHS is a 2-byte AHSLength
 * (bytes of the type-specific part, reserved byte included, padding excluded), a 1-byte AHSType,
 * then the type-specific bytes, padded to a 4-byte boundary.
 */
public final class Ahs {

    public static final int TYPE_EXTENDED_CDB = 1;
    public static final int TYPE_BIDI_READ_LENGTH = 2;

    private Ahs() {
    }

    /**
     * Absolute offset of the first AHS of {@code type}, or -1 if there is none or the AHS area is
     * malformed. Never reads outside {@code header.limit()}.
     */
    public static int find(ByteBuffer h, int type) {
        int end = Math.min(h.limit(), Pdu.BHS_LENGTH + Bhs.totalAhsLength(h) * 4);
        int at = Pdu.BHS_LENGTH;
        while (at + 3 <= end - 1) {
            int len = Bhs.u16(h, at);
            int next = at + 3 + len;
            next = (next + 3) & ~3;
            if (next > end) {
                return -1;
            }
            if (Bhs.u8(h, at + 2) == type) {
                return at;
            }
            at = next;
        }
        return -1;
    }

    /** AHSLength of the AHS at {@code offset}. */
    public static int length(ByteBuffer h, int offset) {
        return Bhs.u16(h, offset);
    }

    /**
     * Why the AHS area is malformed, or {@code null} when it is well-formed: the header must hold
     * exactly TotalAHSLength words after the BHS, and the AHSs must tile it without overrun.
     */
    public static String check(ByteBuffer h) {
        int words = Bhs.totalAhsLength(h);
        int end = Pdu.BHS_LENGTH + words * 4;
        if (h.limit() != end) {
            return "TotalAHSLength says " + words * 4 + " AHS bytes but the header has "
                    + (h.limit() - Pdu.BHS_LENGTH);
        }
        int at = Pdu.BHS_LENGTH;
        while (at < end) {
            if (end - at < 4) {
                return "AHS header truncated at byte " + at;
            }
            int len = Bhs.u16(h, at);
            int type = Bhs.u8(h, at + 2);
            if (len == 0) {
                return "AHS of type " + type + " with zero length at byte " + at;
            }
            int next = (at + 3 + len + 3) & ~3;
            if (next > end) {
                return "AHS of type " + type + " overruns TotalAHSLength (" + len + " bytes at " + at + ")";
            }
            if (type == TYPE_BIDI_READ_LENGTH && len != 5) {
                return "bidirectional read length AHS with AHSLength " + len;
            }
            at = next;
        }
        return null;
    }
}
