package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.buffer.DataBuffer;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/**
 * A data segment that lies in one socket read buffer: a {@link DataBuffer} over
 * {@code [index, index + length)} of that buffer, holding one reference to it. One object per
 * received data segment, where a retained slice, its NIO view array, a release lambda and a
 * wrapping {@code MemoryBuffer} (with its own copies of the views) were seven or eight.
 */
final class ReceivedData extends DataBuffer {

    private final ByteBuf memory;
    private final int index;
    private final int length;

    /** Takes over one reference to {@code memory} (the caller retained it for this buffer). */
    ReceivedData(ByteBuf memory, int index, int length) {
        this.memory = memory;
        this.index = index;
        this.length = length;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void copyTo(int offset, ByteBuffer dst) {
        check(offset, dst.remaining());
        memory.getBytes(index + offset, dst);
    }

    @Override
    public ByteBuffer[] nioBuffers(int offset, int len) {
        check(offset, len);
        return new ByteBuffer[] {memory.nioBuffer(index + offset, len)};
    }

    @Override
    protected void deallocate() {
        memory.release();
    }

    private void check(int offset, int len) {
        if (offset < 0 || len < 0 || offset > length - len) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + len + " outside buffer of " + length
                    + " bytes");
        }
    }
}
