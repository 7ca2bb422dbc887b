package dev.lunar.spi.transport;

import dev.lunar.spi.buffer.DataBuffer;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One whole iSCSI PDU as it crosses the transport boundary (RFC 7143 §11.2): the 48-byte Basic
 * Header Segment followed by any Additional Header Segments, and the data segment without padding
 * or digests. Framing, padding and digests are the transport's business.
 *
 * <p>Ownership: a PDU owns one reference to its {@link #data()}. Whoever receives a PDU across the
 * SPI owns it and must either pass it on or call {@link #release()}. The header is a plain heap
 * buffer and needs no release.
 */
public final class Pdu {

    /** Length of the Basic Header Segment. */
    public static final int BHS_LENGTH = 48;

    private final ByteBuffer header;
    private DataBuffer data;
    private boolean dataDigestFailed;

    /**
     * @param header the BHS followed by the AHS (position 0, limit = 48 + TotalAHSLength * 4)
     * @param data the data segment, or {@code null} for none; ownership passes to this PDU
     */
    public Pdu(ByteBuffer header, DataBuffer data) {
        Objects.requireNonNull(header, "header");
        if (header.remaining() < BHS_LENGTH) {
            throw new IllegalArgumentException("header shorter than a BHS: " + header.remaining());
        }
        this.header = header;
        this.data = data;
    }

    /** The BHS and AHS; absolute indexes from 0. Fields such as DataSegmentLength are the codec's. */
    public ByteBuffer header() {
        return header;
    }

    /** The opcode (BHS byte 0, low six bits). */
    public int opcode() {
        return header.get(0) & 0x3f;
    }

    /** The data segment, or {@code null}; still owned by this PDU. */
    public DataBuffer data() {
        return data;
    }

    /** Length of the data segment in bytes. */
    public int dataLength() {
        return data == null ? 0 : data.length();
    }

    /** Takes the data segment out of this PDU; the caller owns it afterwards. */
    public DataBuffer takeData() {
        DataBuffer d = data;
        data = null;
        return d;
    }

    /**
     * Set by a receiving transport when the data digest did not match (RFC 7143 §7.8); the header
     * was intact, so the receiver may answer with a Reject or recover per its ERL.
     */
    public boolean dataDigestFailed() {
        return dataDigestFailed;
    }

    public void markDataDigestFailed() {
        this.dataDigestFailed = true;
    }

    /** Releases the data segment, if any. Safe to call more than once. */
    public void release() {
        DataBuffer d = takeData();
        if (d != null) {
            d.release();
        }
    }

    @Override
    public String toString() {
        return "Pdu[opcode=0x" + Integer.toHexString(opcode()) + ", data=" + dataLength() + "]";
    }
}
