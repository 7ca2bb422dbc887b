package dev.lunar.backend.ramdisk.internal;

import dev.lunar.spi.buffer.DataBuffer;
import java.nio.ByteBuffer;

/**
 * The result of a RAM disk read: views of page memory (one per page touched, in order) and the
 * frames they pin. Releasing the last reference unpins the frames, which frees any the pages have
 * replaced meanwhile (copy-on-write) or let go (UNMAP).
 *
 * <p>A subclass of its own rather than {@code DataBuffers.wrap}: a read is the hottest path of the
 * RAM disk, and this keeps it to the buffer, one array and one view per page (no second slicing
 * of every segment, no closure), see issue 7 on per-I/O garbage.
 */
final class PageReadBuffer extends DataBuffer {

    private final ByteBuffer[] segments;
    /** Frame behind each segment, or null for the shared zero page. */
    private final Frame[] frames;
    private final int length;

    /** Takes over the readers' references in {@code frames}. */
    PageReadBuffer(ByteBuffer[] segments, Frame[] frames, int length) {
        this.segments = segments;
        this.frames = frames;
        this.length = length;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void copyTo(int offset, ByteBuffer dst) {
        int len = dst.remaining();
        checkRange(offset, len);
        if (len == 0) {
            return;
        }
        int i = segmentAt(offset);
        int in = offset - starts(i);
        while (len > 0) {
            int n = Math.min(len, segments[i].remaining() - in);
            dst.put(dst.position(), segments[i], in, n);
            dst.position(dst.position() + n);
            len -= n;
            in = 0;
            i++;
        }
    }

    @Override
    public ByteBuffer[] nioBuffers(int offset, int len) {
        checkRange(offset, len);
        if (segments.length == 1) {
            return new ByteBuffer[] {segments[0].slice(offset, len)};
        }
        int first = segmentAt(offset);
        int start = starts(first);
        if (len == 0) {
            return new ByteBuffer[] {segments[first].slice(offset - start, 0)};
        }
        int end = offset + len;
        int count = 0;
        for (int s = start, j = first; s < end; j++) {
            s += segments[j].remaining();
            count++;
        }
        ByteBuffer[] out = new ByteBuffer[count];
        int in = offset - start;
        int left = len;
        for (int k = 0; k < count; k++) {
            ByteBuffer seg = segments[first + k];
            int n = Math.min(left, seg.remaining() - in);
            out[k] = seg.slice(in, n);
            left -= n;
            in = 0;
        }
        return out;
    }

    /**
     * The segment holding byte {@code offset} (the last one for {@code offset == length}). Every
     * segment but the first and last is a whole page, so this is arithmetic, not a search.
     */
    private int segmentAt(int offset) {
        int firstLength = segments[0].remaining();
        if (offset < firstLength) {
            return 0;
        }
        int i = 1 + ((offset - firstLength) >>> PageMemory.PAGE_SHIFT);
        return Math.min(i, segments.length - 1);
    }

    /** Offset in this buffer where segment {@code i} starts. */
    private int starts(int i) {
        return i == 0 ? 0 : segments[0].remaining() + ((i - 1) << PageMemory.PAGE_SHIFT);
    }

    private void checkRange(int offset, int len) {
        if (offset < 0 || len < 0 || offset > length - len) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + len + " outside buffer of " + length + " bytes");
        }
    }

    @Override
    protected void deallocate() {
        for (Frame f : frames) {
            if (f != null) {
                f.unpin();
            }
        }
    }
}
