package dev.lunar.scsi.internal.command;

import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Backend writes and comparisons shared by the commands that build their own data before writing
 * it (COMPARE AND WRITE, WRITE SAME, ORWRITE, WRITE ATOMIC, WRITE AND VERIFY, VERIFY).
 */
final class BlockWrites {

    private BlockWrites() {
    }

    /**
     * Writes {@code data} (whole blocks) at {@code lba} in backend-sized pieces, one after the
     * other, then runs {@code then}. Takes ownership of {@code data}: the pieces are slices of it,
     * and it is released when the last piece is written or when the command ends early (backend
     * failure, abort), whichever comes first.
     */
    static void writeAll(Command c, long lba, DataBuffer data, boolean fua, Runnable then) {
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                data.release();
            }
        };
        c.onFinish(release);
        int bs = c.geometry().blockSize();
        int piece = Math.max(1, Math.min(c.geometry().maxTransferBlocks(), Integer.MAX_VALUE / bs)) * bs;
        writeFrom(c, lba, data, 0, piece, fua, () -> {
            release.run();
            then.run();
        });
    }

    private static void writeFrom(Command c, long lba, DataBuffer data, int offset, int piece, boolean fua,
            Runnable then) {
        int bs = c.geometry().blockSize();
        int[] at = {offset};
        StepLoop[] loop = new StepLoop[1];
        loop[0] = new StepLoop(() -> {
            if (at[0] >= data.length()) {
                then.run();
                return;
            }
            if (!c.live()) {
                return;
            }
            int off = at[0];
            int n = Math.min(piece, data.length() - off);
            at[0] += n;
            c.write(lba + off / bs, data.retainedSlice(off, n), fua, v -> loop[0].next());
        });
        loop[0].next();
    }

    /** A buffer over {@code bytes[offset, offset + length)} without copying. */
    static DataBuffer wrap(byte[] bytes, int offset, int length) {
        return DataBuffers.wrap(null, ByteBuffer.wrap(bytes, offset, length));
    }

    /** The bytes of {@code pieces} in order, released as they are copied. */
    static byte[] concatAndRelease(List<DataBuffer> pieces) {
        int total = 0;
        for (DataBuffer p : pieces) {
            total += p.length();
        }
        byte[] out = new byte[total];
        int off = 0;
        try {
            for (DataBuffer p : pieces) {
                int n = p.length();
                p.copyTo(0, ByteBuffer.wrap(out, off, n));
                off += n;
            }
        } finally {
            pieces.forEach(DataBuffer::release);
        }
        return out;
    }

    /**
     * Index of the first byte where {@code a[aOff..]} and {@code b[bOff..]} differ within
     * {@code length} bytes, or -1 when they are equal.
     */
    static int mismatch(byte[] a, int aOff, byte[] b, int bOff, int length) {
        return Arrays.mismatch(a, aOff, aOff + length, b, bOff, bOff + length);
    }
}
