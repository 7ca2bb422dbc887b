package dev.lunar.backend.file.internal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A descriptor of the LUN's file or block device that the backend opened through
 * {@link NativeFileOps}, for the calls Java cannot make: punching holes, discarding, finding holes.
 *
 * <p>Why a descriptor of its own instead of the {@code FileChannel}'s: a channel is closed by any
 * thread interrupted while using it (and then reopened by the device), and its descriptor number
 * may at once belong to another file. A number taken from the channel could therefore make a later
 * {@code fallocate} punch a hole in someone else's file. This descriptor is closed only by
 * {@link #close()}, which the device calls after its I/O has drained.
 *
 * <p>Thread safe: the calls are positional. Blocking: every method may block on the file system or
 * device; call them on the device's I/O pool. Errors are {@link NativeIoException}s carrying errno.
 */
final class NativeFile implements AutoCloseable {

    /** The descriptor; -1 once closed. */
    private final AtomicInteger fd;
    private final Path path;

    private NativeFile(int fd, Path path) {
        this.fd = new AtomicInteger(fd);
        this.path = path;
    }

    /** An I/O error with the errno the kernel returned. */
    static final class NativeIoException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        NativeIoException(String what, Path path, int errno) {
            super(what + " on " + path + " failed: " + NativeFileOps.describe(errno));
            this.errno = errno;
        }

        int errno() {
            return errno;
        }
    }

    /**
     * Opens {@code path} read-write or read-only. Needs {@link NativeFileOps#available()}.
     *
     * @throws IOException when the library is missing or open(2) fails
     */
    static NativeFile open(Path path, boolean writable) throws IOException {
        if (!NativeFileOps.available()) {
            throw new IOException(NativeFileOps.unavailableReason());
        }
        // The kernel takes the path as bytes in the platform's file name encoding.
        byte[] name = path.toAbsolutePath().toString().getBytes(Charset.forName(
                System.getProperty("sun.jnu.encoding", Charset.defaultCharset().name())));
        for (byte b : name) {
            if (b == 0) {
                throw new IOException("path " + path + " contains a NUL character");
            }
        }
        int r = NativeFileOps.open0(name, writable);
        if (r < 0) {
            throw new NativeIoException("open", path, -r);
        }
        return new NativeFile(r, path);
    }

    /** fallocate(PUNCH_HOLE | KEEP_SIZE) of {@code length > 0} bytes at {@code offset >= 0}. */
    void punchHole(long offset, long length) throws IOException {
        checkRange(offset, length);
        check("punching a hole", NativeFileOps.punchHole0(descriptor(), offset, length));
    }

    /** BLKDISCARD (block devices; offset and length multiples of the logical block size). */
    void discard(long offset, long length) throws IOException {
        checkRange(offset, length);
        check("BLKDISCARD", NativeFileOps.discard0(descriptor(), offset, length));
    }

    /** BLKZEROOUT (block devices): the range reads as zeros afterwards. */
    void zeroOut(long offset, long length) throws IOException {
        checkRange(offset, length);
        check("BLKZEROOUT", NativeFileOps.zeroOut0(descriptor(), offset, length));
    }

    /** The first data byte at or after {@code offset}, or -1 when only holes follow (SEEK_DATA). */
    long nextData(long offset) throws IOException {
        checkOffset(offset);
        long r = NativeFileOps.seekData0(descriptor(), offset);
        if (r == -NativeFileOps.ENXIO) {
            return -1;
        }
        return checkSeek("SEEK_DATA", r, offset);
    }

    /** The first hole byte at or after {@code offset}, the end of the file counting as one (SEEK_HOLE). */
    long nextHole(long offset) throws IOException {
        checkOffset(offset);
        long r = NativeFileOps.seekHole0(descriptor(), offset);
        if (r == -NativeFileOps.ENXIO) {
            return offset; // at or past the end of the file: that is hole
        }
        return checkSeek("SEEK_HOLE", r, offset);
    }

    /** Bytes of storage allocated to the file (st_blocks * 512). */
    long allocatedBytes() throws IOException {
        long r = NativeFileOps.allocatedBytes0(descriptor());
        if (r < 0) {
            throw new NativeIoException("fstat", path, (int) -r);
        }
        return r;
    }

    /** Closes the descriptor. Idempotent; the caller makes sure no call is still running. */
    @Override
    public void close() throws IOException {
        int old = fd.getAndSet(-1);
        if (old >= 0) {
            check("close", NativeFileOps.close0(old));
        }
    }

    boolean isOpen() {
        return fd.get() >= 0;
    }

    private int descriptor() throws ClosedChannelException {
        int d = fd.get();
        if (d < 0) {
            throw new ClosedChannelException();
        }
        return d;
    }

    private void check(String what, int result) throws NativeIoException {
        if (result < 0) {
            throw new NativeIoException(what, path, -result);
        }
    }

    private long checkSeek(String what, long result, long offset) throws NativeIoException {
        if (result < 0) {
            throw new NativeIoException(what + " from " + offset, path, (int) -result);
        }
        return result;
    }

    private static void checkOffset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset " + offset);
        }
    }

    private static void checkRange(long offset, long length) {
        if (offset < 0 || length <= 0 || offset > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("bad byte range " + offset + "+" + length);
        }
    }

    @Override
    public String toString() {
        return "NativeFile[" + path + ", fd " + fd.get() + "]";
    }
}
