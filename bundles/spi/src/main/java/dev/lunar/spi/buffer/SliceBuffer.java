package dev.lunar.spi.buffer;

import java.nio.ByteBuffer;

/** A window onto a parent buffer; holds one reference to the parent until deallocated. */
final class SliceBuffer extends DataBuffer {
    private final DataBuffer parent;
    private final int offset;
    private final int length;

    SliceBuffer(DataBuffer parent, int offset, int length) {
        this.parent = parent;
        this.offset = offset;
        this.length = length;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void copyTo(int off, ByteBuffer dst) {
        DataBuffers.checkRange(off, dst.remaining(), length);
        parent.copyTo(offset + off, dst);
    }

    @Override
    public ByteBuffer[] nioBuffers(int off, int len) {
        DataBuffers.checkRange(off, len, length);
        return parent.nioBuffers(offset + off, len);
    }

    @Override
    public FileRegion fileRegion() {
        FileRegion r = parent.fileRegion();
        return r == null ? null : new FileRegion(r.channel(), r.position() + offset, length);
    }

    @Override
    public DataBuffer retainedSlice(int off, int len) {
        DataBuffers.checkRange(off, len, length);
        return parent.retainedSlice(offset + off, len);
    }

    @Override
    protected void deallocate() {
        parent.release();
    }
}
