package dev.lunar.backend.file.internal;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.backend.IoGate;
import dev.lunar.spi.backend.Provisioning;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.Sense;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LUN stored in a regular file or a block device.
 *
 * <p><b>Threads.</b> Callers never block: positional I/O ({@code pread}/{@code pwrite} through
 * {@link FileChannel}, thread safe at distinct positions) runs on the device's bounded pool of
 * {@code ioThreads} threads with a bounded queue of {@code queueDepth} I/Os. The queue is sized above
 * what the core can have outstanding on one LUN (its task slots); if it is ever full anyway, the I/O
 * fails at once with ABORTED COMMAND, which initiators retry, instead of blocking a transport
 * thread or growing without bound (the SPI has no BUSY for backends). Pool threads are never
 * interrupted: an interrupt closes a {@link FileChannel} for every user. Other threads can still do
 * that (a transport thread interrupted while it sends one of our file regions), so the device
 * reopens its channel when it finds it closed and carries on.
 *
 * <p><b>Write cache.</b> {@code writeCache=true} (WCE=1, write-back): a write completes when it is
 * in the page cache; FUA writes and SYNCHRONIZE CACHE call {@link FileChannel#force force(false)}
 * ({@code fdatasync}) before completing. {@code writeCache=false} (write-through): every write is
 * forced before it completes.
 *
 * <p><b>Zero-copy reads.</b> With {@code zeroCopyRead} (default for regular files without O_DIRECT)
 * a read completes at once, without touching the disk, with a file region
 * ({@link DataBuffers#file}) that the transport sends from the page cache with {@code sendfile}:
 * no copy in the JVM, and the disk read, if any, happens in the kernel during the send. The bytes
 * sent are those in the file when the transport sends them, which is still inside the READ
 * command's lifetime (its status follows the data); a WRITE to the same blocks issued while that
 * READ is in flight may or may not show in it, which SAM-5 allows for overlapping commands without
 * ordering (and ORDERED tasks are sequenced by the core). Transports that need a stable snapshot
 * (software data digests: the CRC must match the bytes sent) copy the region first with
 * {@link DataBuffer#copyTo}. Set {@code zeroCopyRead=false} to read into memory on the pool instead.
 *
 * <p><b>Copies per byte</b> (in the JVM; the kernel copies once between page cache and user memory
 * on every buffered path). Read, zero-copy: 0 (page cache to socket). Read, copying: 1 (the
 * {@code pread} into a pooled direct buffer). Write: 0 from a direct buffer, which {@code pwrite}
 * hands to the kernel as is; 1 from a heap buffer (the JDK copies it into a temporary direct buffer).
 * O_DIRECT: reads 0 (DMA into the aligned pooled buffer), writes 0 from aligned direct buffers,
 * otherwise 1 into an aligned bounce buffer.
 *
 * <p><b>UNMAP and provisioning</b> go through {@code liblunarfile} ({@link NativeFileOps}), as
 * {@link UnmapPlan} chose at open: files punch holes ({@code fallocate}) and report holes
 * ({@code SEEK_DATA}/{@code SEEK_HOLE}) as deallocated runs, thin provisioned; block devices get
 * WRITE ZEROES that may deallocate, or discard followed by zero-out, and report every block mapped.
 * Deallocated blocks always read as zeros (LBPRZ = 1). Without the library, or on storage that can
 * do neither, the device reports no UNMAP (granularity 0) and every block mapped; {@link #unmap}
 * still writes zeros if called, so "unmapped blocks read as zeros" holds whatever happens.
 */
final class FileDevice implements BlockDevice {

    private static final Logger LOG = LoggerFactory.getLogger(FileDevice.class);

    /** LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE (SPC-4 04/00): the LUN is going away. */
    static final Sense CLOSED = Sense.of(Sense.NOT_READY, 0x04, 0x00);
    /** The I/O queue is full: ABORTED COMMAND, which initiators retry (no BUSY status for backends). */
    static final Sense QUEUE_FULL = Sense.COMMAND_ABORTED;
    static final int MAX_TRANSFER_BYTES = 4 << 20;
    private static final int ZERO_CHUNK = 1 << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(ZERO_CHUNK).asReadOnlyBuffer();
    private static final long CLOSE_WAIT_MILLIS = 30_000;
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String name;
    private final Path path;
    private final boolean blockDevice;
    private final boolean zeroCopyRead;
    private final boolean direct;
    private final int directAlignment;
    /** Opens the channel again with the options it was first opened with. */
    interface Reopener {
        FileChannel open() throws IOException;
    }

    private final Reopener reopener;
    private final Object reopenLock = new Object();
    /** The channel and its lease; replaced only by {@link #reopen}. */
    private volatile ChannelLease current;
    private final ThreadPoolExecutor pool;
    private final DirectBufferPool buffers;
    private final IoGate gate = new IoGate();
    private final Runnable onClose;
    /** How UNMAP deallocates; owns the native descriptor, closed by {@link #close()}. */
    private final UnmapPlan unmapPlan;
    private final Object geometryLock = new Object();
    /** Writes that went through a bounce buffer (an extra copy): the copy count issue 7 asks to assert. */
    private final LongAdder bounceCopies = new LongAdder();
    private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
    private volatile Geometry geometry;

    FileDevice(String name, Path path, FileChannel channel, Reopener reopener, boolean blockDevice,
            Geometry geometry, boolean zeroCopyRead, boolean direct, int directAlignment, int ioThreads,
            int queueDepth, DirectBufferPool buffers, UnmapPlan unmapPlan, Runnable onClose) {
        this.name = name;
        this.unmapPlan = unmapPlan;
        this.buffers = buffers;
        this.path = path;
        this.reopener = reopener;
        this.current = new ChannelLease(channel, path.toString());
        this.blockDevice = blockDevice;
        this.geometry = geometry;
        this.zeroCopyRead = zeroCopyRead;
        this.direct = direct;
        this.directAlignment = directAlignment;
        this.onClose = onClose;
        AtomicInteger threadNumber = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(ioThreads, ioThreads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueDepth), r -> {
                    Thread t = new Thread(r, "lunar-file-" + name + "-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
    }

    @Override
    public Geometry geometry() {
        return geometry;
    }

    Path path() {
        return path;
    }

    boolean zeroCopyRead() {
        return zeroCopyRead;
    }

    /** Writes so far that copied the caller's bytes into a bounce buffer first. */
    long bounceCopies() {
        return bounceCopies.sum();
    }

    /** For tests: references to the channel (1 for the device, one per zero-copy buffer in flight). */
    int channelReferences() {
        return current.references();
    }

    // ------------------------------------------------------------------------------------ read

    /**
     * Never blocks the caller. Zero-copy: completes on the caller's thread, before returning, with
     * a file region that holds a channel reference. Otherwise: reads on the pool into a pooled
     * direct buffer and completes there. Either way exactly once; the completion owns the result's
     * one reference and releases it when the bytes have left. Range errors and a full queue
     * complete at once on the caller's thread.
     */
    @Override
    public void read(long lba, int blocks, IoCompletion<DataBuffer> done) {
        Geometry g = geometry;
        Sense bad = checkRange(g, lba, blocks, g.maxTransferBlocks());
        if (bad != null) {
            done.failed(bad);
            return;
        }
        long position = lba * g.blockSize();
        int length = blocks * g.blockSize();
        if (!gate.enter()) {
            done.failed(CLOSED);
            return;
        }
        if (zeroCopyRead) {
            try {
                ChannelLease lease = acquireOpenChannel();
                if (lease == null) {
                    done.failed(CLOSED);
                } else {
                    done.completed(DataBuffers.file(lease.channel(), position, length, lease::release));
                }
            } finally {
                gate.exit();
            }
            return;
        }
        submit(done, () -> {
            ByteBuffer memory;
            try {
                memory = buffers.take(length);
            } catch (OutOfMemoryError e) {
                done.failed(outOfMemory("read", e));
                return;
            }
            DataBuffer result = null;
            Sense failure = null;
            try {
                withChannel(ch -> {
                    memory.clear().limit(length);
                    readFully(ch, memory, position);
                    return null;
                });
                memory.flip();
                result = DataBuffers.wrap(() -> buffers.recycle(memory), memory);
            } catch (IOException | RuntimeException e) {
                buffers.recycle(memory);
                failure = ioFailure("read", lba, e, Sense.UNRECOVERED_READ_ERROR);
            }
            complete(done, result, failure);
        });
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                // The file was truncated behind our back: what is not there reads as zeros.
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            pos += n;
        }
    }

    // ----------------------------------------------------------------------------------- write

    /**
     * Never blocks the caller: writes on the pool and completes exactly once there. Borrows
     * {@code data} until {@code done} runs (no reference kept; the caller releases it after). With
     * {@code fua}, or with the write cache off, the data is forced to stable storage
     * ({@code fdatasync}) before the completion.
     */
    @Override
    public void write(long lba, DataBuffer data, boolean fua, IoCompletion<Void> done) {
        Geometry g = geometry;
        if (g.readOnly()) {
            done.failed(Sense.WRITE_PROTECTED);
            return;
        }
        int length = data.length();
        if (length % g.blockSize() != 0) {
            done.failed(Sense.INVALID_FIELD_IN_CDB);
            return;
        }
        Sense bad = checkRange(g, lba, length / g.blockSize(), g.maxTransferBlocks());
        if (bad != null) {
            done.failed(bad);
            return;
        }
        long position = lba * g.blockSize();
        if (!gate.enter()) {
            done.failed(CLOSED);
            return;
        }
        submit(done, () -> {
            Sense failure = null;
            try {
                withChannel(ch -> {
                    writeFully(ch, position, data, length);
                    if (fua || !geometry.writeCache()) {
                        ch.force(false);
                    }
                    return null;
                });
            } catch (IOException | RuntimeException e) {
                failure = ioFailure("write", lba, e, Sense.WRITE_ERROR);
            } catch (OutOfMemoryError e) {
                failure = outOfMemory("write", e); // no direct memory for a bounce buffer
            }
            complete(done, null, failure);
        });
    }

    /** Restartable: takes fresh views of {@code data} every time, so a retry writes it all again. */
    private void writeFully(FileChannel channel, long position, DataBuffer data, int length) throws IOException {
        ByteBuffer[] segments = data.nioBuffers(0, length);
        ByteBuffer bounce = null;
        try {
            if (segments == null || (direct && !alignedForDirect(segments))) {
                bounce = buffers.take(length);
                bounceCopies.increment();
                data.copyTo(0, bounce);
                bounce.flip();
                segments = new ByteBuffer[] {bounce};
            }
            long pos = position;
            for (ByteBuffer s : segments) {
                while (s.hasRemaining()) {
                    pos += channel.write(s, pos);
                }
            }
        } finally {
            if (bounce != null) {
                buffers.recycle(bounce);
            }
        }
    }

    private boolean alignedForDirect(ByteBuffer[] segments) {
        for (ByteBuffer s : segments) {
            if (!s.isDirect() || s.alignmentOffset(0, directAlignment) != 0 || s.remaining() % directAlignment != 0) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------- flush, write cache

    /**
     * {@code fdatasync} on the pool, completing exactly once there: every write completed before
     * the call is on stable storage when {@code done} runs. Never blocks the caller.
     */
    @Override
    public void flush(IoCompletion<Void> done) {
        if (!gate.enter()) {
            done.failed(CLOSED);
            return;
        }
        if (geometry.readOnly()) {
            gate.exit();
            done.completed(null);
            return;
        }
        submit(done, () -> {
            Sense failure = null;
            try {
                withChannel(ch -> {
                    ch.force(false);
                    return null;
                });
            } catch (IOException | RuntimeException e) {
                failure = ioFailure("flush", -1, e, Sense.WRITE_ERROR);
            }
            complete(done, null, failure);
        });
    }

    /**
     * Switches write-back and write-through. Turning the cache off first forces what the cache
     * holds (on the pool), so that WCE=0 means "everything acknowledged is stable" from the
     * completion on. Completes exactly once; never blocks the caller.
     */
    @Override
    public void setWriteCache(boolean enabled, IoCompletion<Void> done) {
        synchronized (geometryLock) {
            geometry = geometry.withWriteCache(enabled);
        }
        if (enabled || geometry.readOnly()) {
            done.completed(null);
        } else {
            flush(done);
        }
    }

    // ------------------------------------------------------------------- unmap and provisioning

    /**
     * Deallocates on the pool as the {@link UnmapPlan} says (punch a hole; WRITE ZEROES that may
     * deallocate; discard then zero-out) and completes exactly once there. Without a plan it
     * writes zeros (the core never asks then: granularity 0). Either way the blocks read as zeros
     * afterwards (LBPRZ = 1); with the write cache off that is stable before the completion.
     * Partial file system blocks at either end are zeroed by {@code fallocate} itself.
     */
    @Override
    public void unmap(long lba, long blocks, IoCompletion<Void> done) {
        Geometry g = geometry;
        if (g.readOnly()) {
            done.failed(Sense.WRITE_PROTECTED);
            return;
        }
        Sense bad = checkRange(g, lba, blocks, Long.MAX_VALUE);
        if (bad != null) {
            done.failed(bad);
            return;
        }
        if (blocks == 0) {
            done.completed(null);
            return;
        }
        if (!gate.enter()) {
            done.failed(CLOSED);
            return;
        }
        long position = lba * g.blockSize();
        long length = blocks * g.blockSize();
        submit(done, () -> {
            Sense failure = null;
            try {
                deallocate(position, length);
                if (!geometry.writeCache()) {
                    withChannel(ch -> {
                        ch.force(false);
                        return null;
                    });
                }
            } catch (IOException | RuntimeException e) {
                failure = ioFailure("unmap", lba, e, Sense.WRITE_ERROR);
            }
            complete(done, null, failure);
        });
    }

    private void deallocate(long position, long length) throws IOException {
        NativeFile file = unmapPlan.file();
        switch (unmapPlan.method()) {
            case PUNCH_HOLE:
                try {
                    file.punchHole(position, length);
                    return;
                } catch (NativeFile.NativeIoException e) {
                    if (e.errno() != NativeFileOps.EOPNOTSUPP) {
                        throw e;
                    }
                    // The probe at open said yes (a file system remounted, a device reconfigured):
                    // zeros still make the blocks read right, only the space is not given back.
                    warn("LUN {} ({}): cannot deallocate any more ({}); writing zeros instead", e.getMessage());
                }
                break;
            case DISCARD_THEN_ZERO_OUT:
                try {
                    file.discard(position, length);
                } catch (NativeFile.NativeIoException e) {
                    if (e.errno() != NativeFileOps.EOPNOTSUPP) {
                        throw e;
                    }
                    warn("LUN {} ({}): the device no longer discards ({}); zeroing only", e.getMessage());
                }
                // A discarded block reads as whatever the device likes; SBC-3 LBPRZ = 1 needs zeros.
                file.zeroOut(position, length);
                return;
            default:
                break;
        }
        writeZeros(position, length);
    }

    private void writeZeros(long position, long length) throws IOException {
        withChannel(ch -> {
            long pos = position;
            long end = position + length;
            while (pos < end) {
                ByteBuffer zeros = ZEROS.duplicate().limit((int) Math.min(ZERO_CHUNK, end - pos));
                while (zeros.hasRemaining()) {
                    pos += ch.write(zeros, pos);
                }
            }
            return null;
        });
    }

    /**
     * Thin provisioned files: the run of mapped or deallocated blocks that starts at {@code lba}
     * (SEEK_DATA / SEEK_HOLE), found on the pool because those calls may read extent metadata
     * from disk; a block is mapped when any byte of it holds data. Otherwise every block is
     * mapped, answered at once on the caller's thread. Completes exactly once.
     */
    @Override
    public void provisioning(long lba, IoCompletion<Provisioning> done) {
        Geometry g = geometry;
        if (lba < 0 || lba >= g.blockCount()) {
            done.failed(Sense.LBA_OUT_OF_RANGE);
            return;
        }
        if (!unmapPlan.seeksHoles()) {
            done.completed(new Provisioning(lba, g.blockCount() - lba, true));
            return;
        }
        if (!gate.enter()) {
            done.failed(CLOSED);
            return;
        }
        submit(done, () -> {
            Provisioning run = null;
            Sense failure = null;
            try {
                run = provisioningRun(unmapPlan.file(), lba, g.blockSize(), g.blockCount());
            } catch (IOException | RuntimeException e) {
                failure = ioFailure("GET LBA STATUS", lba, e, Sense.UNRECOVERED_READ_ERROR);
            }
            complete(done, run, failure);
        });
    }

    /** Hole/data steps one run may take before it is answered as it stands (the caller asks again). */
    static final int MAX_SEEKS_PER_RUN = 64;

    /**
     * The run starting at {@code lba}. Deallocated: every byte up to the next data is a hole, so the
     * run ends at the block holding that data. Mapped: it ends at the first block that is all hole,
     * which takes more than one step when holes are smaller than a logical block.
     */
    static Provisioning provisioningRun(NativeFile file, long lba, int blockSize, long blockCount) throws IOException {
        long position = lba * blockSize;
        long end = blockCount * blockSize;
        long data = file.nextData(position);
        if (data < 0 || data >= position + blockSize) {
            long runEnd = data < 0 || data >= end ? blockCount : data / blockSize;
            return new Provisioning(lba, runEnd - lba, false);
        }
        // The block at lba holds data; extend the run while the next block does too.
        long runEnd = lba;
        long from = Math.max(data, position);
        for (int step = 0; step < MAX_SEEKS_PER_RUN; step++) {
            long hole = file.nextHole(from);
            runEnd = Math.min(blockCount, Math.max(runEnd + 1, (hole + blockSize - 1) / blockSize));
            if (runEnd >= blockCount) {
                break;
            }
            long next = file.nextData(hole);
            if (next < 0 || next >= (runEnd + 1) * (long) blockSize) {
                break; // block runEnd is all hole: the run stops before it
            }
            from = next;
        }
        return new Provisioning(lba, runEnd - lba, true);
    }

    // ---------------------------------------------------------------------- resize and close

    /**
     * Regular files grow sparsely or are truncated; a block device's size follows the device, so
     * resize only accepts the device's current size (a rescan after the admin grew it).
     */
    @Override
    public void resize(long blockCount) throws BackendException {
        synchronized (geometryLock) {
            Geometry g = geometry;
            int bs = g.blockSize();
            if (blockCount < 1 || blockCount > Long.MAX_VALUE / bs) {
                throw new BackendException("LUN " + name + " cannot be resized to " + blockCount
                        + " blocks; the size must be at least one block of " + bs + " bytes.");
            }
            long bytes = blockCount * bs;
            try {
                FileChannel channel = acquireChannelForManagement();
                if (blockDevice) {
                    long deviceBytes = channel.size();
                    if (bytes != deviceBytes - deviceBytes % bs) {
                        throw new BackendException("LUN " + name + " is the block device " + path
                                + " of " + deviceBytes + " bytes; resize the device itself (lvextend, zfs set"
                                + " volsize) and then resize the LUN to its new size.");
                    }
                } else if (g.readOnly()) {
                    throw new BackendException("LUN " + name + " is read-only; " + path + " cannot be resized.");
                } else {
                    long length = channel.size();
                    if (bytes < length) {
                        channel.truncate(bytes);
                    } else if (bytes > length) {
                        // Extends sparsely: one zero byte at the new end, no data blocks between.
                        // An O_DIRECT channel refuses a 1-byte write, so that goes through a plain one.
                        if (direct) {
                            try (FileChannel plain = FileChannel.open(path, StandardOpenOption.WRITE)) {
                                plain.write(ByteBuffer.allocate(1), bytes - 1);
                            }
                        } else {
                            channel.write(ByteBuffer.allocate(1), bytes - 1);
                        }
                    }
                    channel.force(true);
                }
            } catch (IOException e) {
                throw new BackendException("LUN " + name + ": resizing " + path + " to " + bytes
                        + " bytes failed: " + e.getMessage(), e);
            }
            geometry = g.withBlockCount(blockCount);
            LOG.info("LUN {} ({}) resized from {} to {} bytes", name, path, g.capacityBytes(), bytes);
        }
    }

    /**
     * Fences new I/O, waits (at most 30 s) for the I/O already submitted, forces the write cache to
     * stable storage, stops the pool. The channel itself closes when the last zero-copy read buffer
     * still in a transport is released. Idempotent.
     */
    @Override
    public void close() {
        if (gate.isClosed()) {
            return;
        }
        long cut = gate.closeAndDrain(CLOSE_WAIT_MILLIS);
        if (cut > 0) {
            LOG.warn("LUN {} ({}) closed with {} I/O still running after {} ms", name, path, cut, CLOSE_WAIT_MILLIS);
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("LUN {} ({}): I/O threads still busy after {} ms; leaving them", name, path, CLOSE_WAIT_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeNativeFile();
        synchronized (reopenLock) {
            ChannelLease lease = current;
            if (!geometry.readOnly() && lease.channel().isOpen()) {
                try {
                    lease.channel().force(false);
                } catch (IOException e) {
                    LOG.warn("LUN {} ({}): final flush failed: {}", name, path, e.toString());
                }
            }
            lease.release();
        }
        LOG.info("LUN {} ({}) closed", name, path);
        onClose.run();
    }

    /**
     * Closes the native descriptor once no I/O can use it. If I/O threads are still running after
     * the bounded wait, it is left open (a leaked descriptor) rather than closed under them: a
     * closed number may be reused for another file at once, and a late {@code fallocate} on it
     * would punch a hole in that file.
     */
    private void closeNativeFile() {
        NativeFile file = unmapPlan.file();
        if (file == null) {
            return;
        }
        if (!pool.isTerminated()) {
            LOG.warn("LUN {} ({}): leaving {} open, I/O threads still use it", name, path, file);
            return;
        }
        try {
            file.close();
        } catch (IOException e) {
            LOG.warn("LUN {} ({}): closing {} failed: {}", name, path, file, e.toString());
        }
    }

    /** For tests: the plan UNMAP follows. */
    UnmapPlan unmapPlan() {
        return unmapPlan;
    }

    // ------------------------------------------------------------------------------- plumbing

    /** One positional I/O on a channel; must be restartable (a retry runs it again from the start). */
    private interface ChannelIo<T> {
        T run(FileChannel channel) throws IOException;
    }

    /**
     * Runs {@code io} on the current channel, reopening it once if someone closed it under us.
     * A {@link FileChannel} is interruptible: a thread interrupted while it reads or sends one of
     * our zero-copy regions (a transport's event loop being shut down during a hot swap, say)
     * closes the channel for everyone. Without a reopen the LUN would fail every I/O from then on.
     */
    private <T> T withChannel(ChannelIo<T> io) throws IOException {
        ChannelLease lease = current;
        if (!lease.channel().isOpen()) {
            lease = reopen(lease);
        }
        try {
            return io.run(lease.channel());
        } catch (ClosedChannelException e) {
            if (gate.isClosed() && pool.isShutdown()) {
                throw e;
            }
            // If the interrupt was ours (it never is: nobody interrupts the pool), clear it so the
            // retry is not closed again at once.
            Thread.interrupted();
            return io.run(reopen(lease).channel());
        }
    }

    /** A reference to an open channel for a zero-copy region, or null when the device is closing. */
    private ChannelLease acquireOpenChannel() {
        for (int attempt = 0; attempt < 3; attempt++) {
            ChannelLease lease = current;
            try {
                if (!lease.channel().isOpen()) {
                    lease = reopen(lease);
                }
            } catch (IOException e) {
                warn("LUN {} ({}): cannot reopen the file: {}", e.toString());
                return null;
            }
            if (lease.acquire()) {
                if (lease.channel().isOpen()) {
                    return lease;
                }
                lease.release();
            } else if (lease == current) {
                return null; // released by close()
            }
        }
        return null;
    }

    private FileChannel acquireChannelForManagement() throws IOException {
        ChannelLease lease = current;
        return lease.channel().isOpen() ? lease.channel() : reopen(lease).channel();
    }

    /**
     * Replaces {@code failed} with a freshly opened channel, unless another thread already did or
     * the device is closing. Regions still in transports keep the dead channel's lease; their sends
     * fail and the initiator retries, new I/O works.
     */
    private ChannelLease reopen(ChannelLease failed) throws IOException {
        synchronized (reopenLock) {
            ChannelLease now = current;
            if (now != failed) {
                return now;
            }
            if (gate.isClosed() && pool.isShutdown()) {
                throw new ClosedChannelException();
            }
            ChannelLease next = new ChannelLease(reopener.open(), path.toString());
            current = next;
            failed.release();
            LOG.warn("LUN {} ({}): the file channel was closed under the LUN (a thread interrupted while"
                    + " using it closes it for everyone); reopened it", name, path);
            return next;
        }
    }

    /** Runs {@code task} on the pool; a full queue fails the I/O at once. The gate is entered. */
    private void submit(IoCompletion<?> done, Runnable task) {
        try {
            pool.execute(() -> {
                try {
                    task.run();
                } finally {
                    gate.exit();
                }
            });
        } catch (RejectedExecutionException e) {
            gate.exit();
            if (pool.isShutdown()) {
                done.failed(CLOSED);
            } else {
                warn("LUN {} ({}): I/O queue full ({} queued); failing an I/O with ABORTED COMMAND",
                        pool.getQueue().size());
                done.failed(QUEUE_FULL);
            }
        }
    }

    private static <T> void complete(IoCompletion<T> done, T result, Sense failure) {
        if (failure == null) {
            done.completed(result);
        } else {
            done.failed(failure);
        }
    }

    /**
     * Direct memory ran out (-XX:MaxDirectMemorySize) for a buffer: ABORTED COMMAND, which the
     * initiator retries, rather than an I/O that never completes.
     */
    private Sense outOfMemory(String what, OutOfMemoryError e) {
        warn("LUN {} ({}): no memory for a " + what + " buffer: {}", e.toString());
        return QUEUE_FULL;
    }

    private Sense ioFailure(String what, long lba, Exception e, Sense fallback) {
        if (e instanceof ClosedChannelException) {
            warn("LUN {} ({}): " + what + " on a closed channel: {}", e.toString());
            return CLOSED;
        }
        String message = String.valueOf(e.getMessage());
        if (message.contains("No space left on device") || message.contains("Disk quota exceeded")) {
            // A sparse file met a full filesystem: SBC-3's thin provisioning answer.
            warn("LUN {} ({}): " + what + " failed, the filesystem is full: {}", message);
            return Sense.SPACE_ALLOCATION_FAILED;
        }
        warn("LUN {} ({}): " + what + " failed: {}", e.toString());
        return lba >= 0 ? fallback.withInformation(lba) : fallback;
    }

    /** At most one WARN per 10 s per LUN: a failing disk must not flood the log. */
    private void warn(String format, Object detail) {
        long now = System.nanoTime();
        long last = lastWarn.get();
        if (now - last >= WARN_INTERVAL_NANOS && lastWarn.compareAndSet(last, now)) {
            LOG.warn(format, name, path, detail);
        } else {
            LOG.debug(format, name, path, detail);
        }
    }

    private static Sense checkRange(Geometry g, long lba, long blocks, long maxBlocks) {
        if (lba < 0 || blocks < 0 || lba > g.blockCount() || blocks > g.blockCount() - lba) {
            return Sense.LBA_OUT_OF_RANGE;
        }
        if (blocks > maxBlocks) {
            return Sense.INVALID_FIELD_IN_CDB;
        }
        return null;
    }

    @Override
    public String toString() {
        return "FileDevice[" + name + ", " + path + "]";
    }
}
