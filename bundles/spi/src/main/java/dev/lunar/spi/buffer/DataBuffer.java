package dev.lunar.spi.buffer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * A reference-counted run of bytes: either memory (one or more {@link ByteBuffer}s, heap or direct)
 * or a region of a file that a transport may send without copying it into the JVM.
 *
 * <p>Ownership: a new buffer has one reference, held by its creator. Whoever receives a buffer
 * across an SPI method owns one reference and must either {@link #release()} it (in a
 * {@code finally}) or pass it on and never touch it again. When the last reference goes,
 * {@link #deallocate()} runs exactly once, on the thread that released it; that is where a
 * backend unpins its memory or a pool takes its buffer back.
 *
 * <p>Thread safety: reference counting is thread safe; the bytes are not synchronised, so a
 * buffer is written by one owner before it is published to others.
 */
public abstract class DataBuffer {

    private static final VarHandle REF_CNT;

    static {
        try {
            REF_CNT = MethodHandles.lookup().findVarHandle(DataBuffer.class, "refCnt", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through REF_CNT
    private volatile int refCnt = 1;

    protected DataBuffer() {
        BufferLeakDetector.track(this);
    }

    /** Number of bytes in this buffer. */
    public abstract int length();

    /**
     * Copies {@code dst.remaining()} bytes starting at {@code offset} into {@code dst}, advancing
     * its position. Works for every kind of buffer; the slow path where a zero-copy one is not
     * possible (digests computed in software, for example).
     *
     * @throws IndexOutOfBoundsException if the range is outside this buffer
     */
    public abstract void copyTo(int offset, ByteBuffer dst);

    /**
     * Views of the bytes {@code [offset, offset + length)} as NIO buffers sharing this buffer's
     * memory, or {@code null} if the bytes are not memory resident (a file region). The views are
     * valid only while the caller holds a reference. Writing through them is allowed only to the
     * single owner that allocated the buffer, before it is published.
     */
    public abstract ByteBuffer[] nioBuffers(int offset, int length);

    /** The file region behind this buffer, or {@code null} for memory buffers. */
    public FileRegion fileRegion() {
        return null;
    }

    /** Releases the resources behind the bytes; runs exactly once, when the count drops to 0. */
    protected abstract void deallocate();

    /** Current reference count; 0 once deallocated. For diagnostics and tests. */
    public final int refCnt() {
        return (int) REF_CNT.getVolatile(this);
    }

    /** Adds a reference; the caller owns it. */
    public final DataBuffer retain() {
        for (;;) {
            int cur = (int) REF_CNT.getVolatile(this);
            if (cur <= 0) {
                throw new IllegalStateException("retain() on a released buffer");
            }
            if (REF_CNT.compareAndSet(this, cur, cur + 1)) {
                return this;
            }
        }
    }

    /**
     * Drops one reference.
     *
     * @return {@code true} if this was the last reference and the buffer was deallocated
     * @throws IllegalStateException on a release of an already released buffer (a double free)
     */
    public final boolean release() {
        for (;;) {
            int cur = (int) REF_CNT.getVolatile(this);
            if (cur <= 0) {
                throw new IllegalStateException("release() on a released buffer");
            }
            if (REF_CNT.compareAndSet(this, cur, cur - 1)) {
                if (cur == 1) {
                    BufferLeakDetector.untrack(this);
                    deallocate();
                    return true;
                }
                return false;
            }
        }
    }

    /**
     * A new buffer over {@code [offset, offset + length)} of this one that holds its own
     * reference to this buffer; releasing the slice releases that reference. The caller owns the
     * slice; its own reference to this buffer is unaffected.
     */
    public DataBuffer retainedSlice(int offset, int length) {
        DataBuffers.checkRange(offset, length, length());
        retain();
        return new SliceBuffer(this, offset, length);
    }

    /** Copies the whole buffer into a new heap array. For tests and small control payloads. */
    public final byte[] toByteArray() {
        byte[] out = new byte[length()];
        copyTo(0, ByteBuffer.wrap(out));
        return out;
    }
}
