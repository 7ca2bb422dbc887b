package dev.lunar.pdu.text;

import java.util.Arrays;

/**
 * Collects text that spans several Login or Text PDUs with the C (continue) bit set
 * (RFC 7143 §11.10.2, §11.12.2): a pair may even be split between PDUs, so the caller appends each
 * data segment here and parses the whole once a PDU arrives with C=0.
 *
 * <p>The cap is hard: an initiator that keeps sending C=1 PDUs cannot make this grow beyond
 * {@code maxBytes}. Not thread-safe; one per connection and exchange.
 */
public final class TextAccumulator {

    private final int maxBytes;
    private byte[] bytes = new byte[0];
    private int size;

    /** @param maxBytes most bytes the whole text may have */
    public TextAccumulator(int maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** Appends one data segment; copies it. */
    public void append(byte[] segment) throws TextFormatException {
        append(segment, 0, segment.length);
    }

    /** Appends {@code length} bytes from {@code offset}; copies them. */
    public void append(byte[] segment, int offset, int length) throws TextFormatException {
        if (length > maxBytes - size) {
            throw new TextFormatException(TextFormatException.Reason.TOO_LARGE,
                    "continued text exceeds " + maxBytes + " bytes");
        }
        if (size + length > bytes.length) {
            // grow geometrically, never beyond the cap
            int capacity = (int) Math.min(maxBytes, Math.max((long) size + length, Math.max(256L, 2L * bytes.length)));
            bytes = Arrays.copyOf(bytes, capacity);
        }
        System.arraycopy(segment, offset, bytes, size, length);
        size += length;
    }

    /** Bytes collected so far. */
    public int size() {
        return size;
    }

    /** Nothing collected. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** Returns everything collected and starts over. */
    public byte[] drain() {
        byte[] text = Arrays.copyOf(bytes, size);
        bytes = new byte[0];
        size = 0;
        return text;
    }

    /** Forgets everything collected. */
    public void clear() {
        bytes = new byte[0];
        size = 0;
    }
}
