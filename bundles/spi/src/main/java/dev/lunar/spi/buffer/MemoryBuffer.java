package dev.lunar.spi.buffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Memory segments treated as one run of bytes. */
final class MemoryBuffer extends DataBuffer {
    private final ByteBuffer[] segments;
    private final int[] starts;
    private final int length;
    private final Runnable onFree;

    MemoryBuffer(ByteBuffer[] segments, Runnable onFree) {
        this.segments = new ByteBuffer[segments.length];
        this.starts = new int[segments.length];
        long total = 0;
        for (int i = 0; i < segments.length; i++) {
            this.segments[i] = segments[i].slice();
            starts[i] = (int) total;
            total += segments[i].remaining();
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("buffer larger than 2 GiB");
        }
        this.length = (int) total;
        this.onFree = onFree;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void copyTo(int offset, ByteBuffer dst) {
        int len = dst.remaining();
        DataBuffers.checkRange(offset, len, length);
        for (int i = segmentAt(offset); len > 0; i++) {
            int in = offset - starts[i];
            int n = Math.min(len, segments[i].remaining() - in);
            dst.put(dst.position(), segments[i], in, n);
            dst.position(dst.position() + n);
            offset += n;
            len -= n;
        }
    }

    @Override
    public ByteBuffer[] nioBuffers(int offset, int len) {
        DataBuffers.checkRange(offset, len, length);
        if (segments.length == 1) {
            return new ByteBuffer[] {segments[0].slice(offset, len)};
        }
        List<ByteBuffer> out = new ArrayList<>(2);
        for (int i = segmentAt(offset); len > 0; i++) {
            int in = offset - starts[i];
            int n = Math.min(len, segments[i].remaining() - in);
            out.add(segments[i].slice(in, n));
            offset += n;
            len -= n;
        }
        return out.toArray(new ByteBuffer[0]);
    }

    private int segmentAt(int offset) {
        int lo = 0;
        int hi = segments.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        // skip empty segments that start at the same offset
        while (lo < segments.length - 1 && segments[lo].remaining() == 0) {
            lo++;
        }
        return lo;
    }

    @Override
    protected void deallocate() {
        onFree.run();
    }
}
