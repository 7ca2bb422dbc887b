package dev.lunar.backend.ramdisk.internal;

import dev.lunar.spi.buffer.DataBuffer;
import java.nio.ByteBuffer;

/**
 * The result of a RAM disk read that falls within one page (every 4 KiB read): the page memory,
 * where the read starts in it, and the frame it pins. {@link PageReadBuffer} handles reads across
 * pages; this one keeps the common case to a single object, with no segment or frame array and
 * no view made until a caller asks for one (issue 7: no per-I/O garbage on the hot path).
 *
 * <p>Views are made with absolute {@link ByteBuffer#slice(int, int)} on the page's own buffer,
 * which changes none of its state, so reads of the same page on other threads may do the same.
 */
final class SinglePageReadBuffer extends DataBuffer {

    private final ByteBuffer page;
    private final int start;
    private final int length;
    /** The frame behind {@code page}, or null for the shared zero page. */
    private final Frame frame;

    /** Takes over the reader's reference in {@code frame}. */
    SinglePageReadBuffer(ByteBuffer page, int start, int length, Frame frame) {
        this.page = page;
        this.start = start;
        this.length = length;
        this.frame = frame;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void copyTo(int offset, ByteBuffer dst) {
        int len = dst.remaining();
        checkRange(offset, len);
        dst.put(dst.position(), page, start + offset, len);
        dst.position(dst.position() + len);
    }

    @Override
    public ByteBuffer[] nioBuffers(int offset, int len) {
        checkRange(offset, len);
        return new ByteBuffer[] {page.slice(start + offset, len)};
    }

    /** The frame this read pins, or null for the zero page; for tests. */
    Frame frame() {
        return frame;
    }

    private void checkRange(int offset, int len) {
        if (offset < 0 || len < 0 || offset > length - len) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + len + " outside buffer of " + length + " bytes");
        }
    }

    @Override
    protected void deallocate() {
        if (frame != null) {
            frame.unpin();
        }
    }
}
