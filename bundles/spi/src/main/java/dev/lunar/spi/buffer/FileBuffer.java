package dev.lunar.spi.buffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/** Bytes that stay in a file (page cache) until a transport sends them. */
final class FileBuffer extends DataBuffer {
    private final FileRegion region;
    private final Runnable onFree;

    FileBuffer(FileRegion region, Runnable onFree) {
        this.region = region;
        this.onFree = onFree;
    }

    @Override
    public int length() {
        return region.count();
    }

    @Override
    public void copyTo(int offset, ByteBuffer dst) {
        DataBuffers.checkRange(offset, dst.remaining(), region.count());
        long pos = region.position() + offset;
        try {
            while (dst.hasRemaining()) {
                int n = region.channel().read(dst, pos);
                if (n < 0) {
                    // A hole past the end of a sparse file reads as zeros.
                    while (dst.hasRemaining()) {
                        dst.put((byte) 0);
                    }
                    return;
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading file region at " + pos, e);
        }
    }

    @Override
    public ByteBuffer[] nioBuffers(int offset, int length) {
        return null;
    }

    @Override
    public FileRegion fileRegion() {
        return region;
    }

    @Override
    protected void deallocate() {
        onFree.run();
    }
}
