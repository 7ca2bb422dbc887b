package dev.lunar.spi.buffer;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/** Factories for the {@link DataBuffer} kinds every transport and backend understands. */
public final class DataBuffers {

    private static final Runnable NOTHING = () -> { };

    private DataBuffers() {
    }

    /**
     * A buffer over the remaining bytes of {@code segments} (in order), without copying.
     * {@code onFree} runs once when the last reference is released (return memory to a pool,
     * unpin a page); the caller owns the returned buffer's single reference.
     */
    public static DataBuffer wrap(Runnable onFree, ByteBuffer... segments) {
        return new MemoryBuffer(segments, onFree == null ? NOTHING : onFree);
    }

    /** A buffer over a heap array; nothing to free. */
    public static DataBuffer wrap(byte[] bytes) {
        return wrap(NOTHING, ByteBuffer.wrap(bytes));
    }

    /** A new zero-filled heap buffer of {@code length} bytes. */
    public static DataBuffer allocateHeap(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        return wrap(NOTHING, ByteBuffer.allocate(length));
    }

    /** A new zero-filled direct buffer of {@code length} bytes, freed by the garbage collector. */
    public static DataBuffer allocateDirect(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        return wrap(NOTHING, ByteBuffer.allocateDirect(length));
    }

    /**
     * A buffer over {@code count} bytes of {@code channel} from {@code position}, for a
     * page-cache-to-socket send. {@code onFree} runs once when the last reference is released.
     */
    public static DataBuffer file(FileChannel channel, long position, int count, Runnable onFree) {
        Objects.requireNonNull(channel, "channel");
        if (position < 0 || count < 0) {
            throw new IllegalArgumentException("bad file region " + position + "+" + count);
        }
        return new FileBuffer(new FileRegion(channel, position, count), onFree == null ? NOTHING : onFree);
    }

    /** An empty buffer. */
    public static DataBuffer empty() {
        return wrap(NOTHING, ByteBuffer.allocate(0));
    }

    static void checkRange(int offset, int length, int capacity) {
        if (offset < 0 || length < 0 || offset > capacity - length) {
            throw new IndexOutOfBoundsException(
                    "range " + offset + "+" + length + " outside buffer of " + capacity + " bytes");
        }
    }
}
