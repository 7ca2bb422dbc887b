package dev.lunar.transport.tcp.internal;

import dev.lunar.spi.buffer.BufferAllocator;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Task data buffers from Netty's pooled direct memory, within a byte budget shared by every
 * connection of one transport instance. Direct memory, so a Data-In built in such a buffer goes
 * to the socket without the heap-to-direct copy NIO and epoll make for heap buffers.
 */
final class TcpBufferAllocator implements BufferAllocator {

    private final ByteBufAllocator pool;
    private final long budget;
    private final AtomicLong inUse = new AtomicLong();

    TcpBufferAllocator(ByteBufAllocator pool, long budget) {
        this.pool = pool;
        this.budget = budget;
    }

    @Override
    public DataBuffer allocate(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative buffer length " + length);
        }
        if (inUse.addAndGet(length) > budget) {
            inUse.addAndGet(-length);
            return null;
        }
        ByteBuf memory;
        try {
            memory = pool.directBuffer(length, length);
        } catch (OutOfMemoryError e) {
            // Direct memory limit (-XX:MaxDirectMemorySize) reached: the contract says back off.
            inUse.addAndGet(-length);
            return null;
        }
        return DataBuffers.wrap(() -> {
            memory.release();
            inUse.addAndGet(-length);
        }, memory.nioBuffer(0, length));
    }

    /** Bytes handed out and not yet released. */
    long inUse() {
        return inUse.get();
    }
}
