package dev.lunar.pdu;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.transport.Pdu;
import java.nio.ByteBuffer;

/**
 * Writes the BHS of a PDU a target sends. Each builder owns one fresh 48-byte heap header;
 * {@link #toPdu} hands it out, so a builder is used once. The fields every target PDU carries at
 * the same offsets (ITT, StatSN, ExpCmdSN, MaxCmdSN) live here; subclasses add their own.
 *
 * @param <B> the concrete builder, for fluent chaining
 */
public abstract class TargetPduBuilder<B extends TargetPduBuilder<B>> {

    /** The header being written; absolute offsets, position 0. */
    protected final ByteBuffer header;

    protected TargetPduBuilder(int opcode) {
        this.header = Bhs.allocate(opcode, false);
    }

    @SuppressWarnings("unchecked")
    protected final B self() {
        return (B) this;
    }

    public B itt(int itt) {
        Bhs.putItt(header, itt);
        return self();
    }

    public B statSn(int statSn) {
        header.putInt(Bhs.OFFSET_SN, statSn);
        return self();
    }

    public B expCmdSn(int expCmdSn) {
        header.putInt(Bhs.OFFSET_EXP_SN, expCmdSn);
        return self();
    }

    public B maxCmdSn(int maxCmdSn) {
        header.putInt(Bhs.OFFSET_MAX_CMD_SN, maxCmdSn);
        return self();
    }

    /** Sets or clears bits of byte 1. */
    protected final B flag(int bit, boolean on) {
        int f = Bhs.flags(header);
        Bhs.putFlags(header, on ? f | bit : f & ~bit);
        return self();
    }

    /** The header alone, for a PDU without data. */
    public final Pdu toPdu() {
        return toPdu(null);
    }

    /**
     * The PDU with {@code data} (may be {@code null}) as its data segment; DataSegmentLength is set
     * from it. Ownership of {@code data} passes to the PDU.
     *
     * @throws IllegalArgumentException if the data is longer than the 24-bit field allows (the
     *     data is released first, so nothing leaks)
     */
    public final Pdu toPdu(DataBuffer data) {
        int len = data == null ? 0 : data.length();
        try {
            Bhs.putDataSegmentLength(header, len);
        } catch (IllegalArgumentException e) {
            data.release();
            throw e;
        }
        return new Pdu(header, data);
    }
}
