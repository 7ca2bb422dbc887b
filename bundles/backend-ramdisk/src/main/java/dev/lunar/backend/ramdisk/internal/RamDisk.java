package dev.lunar.backend.ramdisk.internal;

import static dev.lunar.backend.ramdisk.internal.PageMemory.PAGE_SHIFT;
import static dev.lunar.backend.ramdisk.internal.PageMemory.PAGE_SIZE;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.backend.IoGate;
import dev.lunar.spi.backend.Provisioning;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An off-heap, sparse RAM disk.
 *
 * <p><b>Layout.</b> The device is cut into 64 KiB pages of direct memory, allocated on the first
 * write and freed by UNMAP or a shrink; a page that was never written (or was unmapped) reads as a
 * slice of one shared read-only zero page. 64 KiB keeps a random 4 KiB write's memory cost at 16x
 * (1 MiB pages would make it 256x) while a 1 MiB read still gathers only 16 segments. A two-level
 * table (a directory of 1024-page leaves, each 64 MiB of the device) finds a page with two array
 * loads; every offset is a {@code long}, so devices far beyond 2 GiB work (up to 256 TiB, where the
 * directory alone reaches 16 MiB of heap).
 *
 * <p><b>Threads.</b> Every I/O runs to completion on the caller's thread: a memory copy is cheaper
 * than a hand-off to a pool, and the caller (the connection's event loop) is never blocked by
 * anything but that copy. There is no device-wide lock on the I/O path: writers lock only the page
 * they change (writes to one page apply one after another); readers take no lock at all.
 *
 * <p><b>Zero-copy reads and their consistency rule.</b> A read returns slices of the page memory
 * itself ({@link SinglePageReadBuffer} within one page, {@link PageReadBuffer} with one segment
 * per page touched otherwise), which the transport sends without copying; the read pins each
 * page's {@link Frame} until the transport releases the buffer. A read must deliver the data as of
 * the read, even while a later write to the same blocks runs before the Data-In has left (and a
 * digest computed over the bytes must match the bytes sent). So a write never changes pinned
 * memory: if a frame has readers, the writer copies the page into a new frame, applies its bytes
 * there and publishes the new frame (copy-on-write); the old frame is freed when its last reader
 * releases. Only when nobody reads the page does the writer copy in place. Overlapping reads and
 * writes that are in flight at the same time may see either version of a block (SAM-5 leaves their
 * order to the initiator) but never a torn block.
 *
 * <p><b>Copies per byte.</b> Read: 0 in this backend (the transport sends page memory; with data
 * digests it additionally reads the bytes once for the CRC). Write: 1 (from the caller's buffer
 * into the page), plus one page copy only when the page is being read at the same moment.
 */
final class RamDisk implements BlockDevice {

    private static final Logger LOG = LoggerFactory.getLogger(RamDisk.class);

    static final long PAGE_MASK = PAGE_SIZE - 1;
    static final int LEAF_SHIFT = 10;
    static final int LEAF_SIZE = 1 << LEAF_SHIFT;
    static final long MAX_BYTES = 1L << 48;
    /** Largest read or write: 4 MiB, well above what initiators send (Linux: 512 KiB..4 MiB). */
    static final int MAX_TRANSFER_BYTES = 4 << 20;
    /** Largest UNMAP range per call: 1 GiB, so one call frees at most 16384 pages inline. */
    static final long MAX_UNMAP_BYTES = 1L << 30;
    /** Provisioning scans at most this many allocated pages for one run (GET LBA STATUS may return a shorter run). */
    private static final long MAX_PROVISIONING_SCAN = 1L << 20;
    private static final long CLOSE_WAIT_MILLIS = 10_000;

    /** Every never-written page reads as a slice of this; nobody writes it. */
    static final ByteBuffer ZERO_PAGE = ByteBuffer.allocateDirect(PAGE_SIZE).asReadOnlyBuffer();

    /** LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE (SPC-4 04/00): the LUN is going away. */
    static final Sense CLOSED = Sense.of(Sense.NOT_READY, 0x04, 0x00);

    private final String name;
    private final PageMemory memory;
    private final IoGate gate = new IoGate();
    private final Runnable onClose;
    /** Guards directory replacement (resize), leaf installation and geometry changes. */
    private final Object tableLock = new Object();
    private volatile AtomicReferenceArray<AtomicReferenceArray<Page>> directory;
    private volatile Geometry geometry;
    /** Pages copied because a write met readers: the one extra copy on the write path. */
    private final LongAdder copyOnWrites = new LongAdder();

    RamDisk(String name, int blockSize, long blockCount, boolean readOnly, boolean writeCache,
            long memoryLimit, Runnable onClose) {
        this(name, blockSize, 0, blockCount, readOnly, writeCache, memoryLimit, onClose);
    }

    /**
     * @param physicalBlockExponent log2(physical block / logical block): what READ CAPACITY(16)
     *        reports as LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT. A page holds a whole number of
     *        physical blocks, so UNMAP granularity (a page) stays a multiple of the physical block.
     */
    RamDisk(String name, int blockSize, int physicalBlockExponent, long blockCount, boolean readOnly,
            boolean writeCache, long memoryLimit, Runnable onClose) {
        this.name = name;
        this.memory = new PageMemory(memoryLimit);
        this.onClose = onClose;
        this.geometry = new Geometry(blockSize, blockCount, physicalBlockExponent,
                MAX_TRANSFER_BYTES / blockSize, PAGE_SIZE / blockSize,
                PAGE_SIZE / blockSize, 0, MAX_UNMAP_BYTES / blockSize,
                true, readOnly, writeCache, 1);
        this.directory = new AtomicReferenceArray<>(leavesFor(blockCount * blockSize));
    }

    private static int leavesFor(long capacityBytes) {
        return (int) ((capacityBytes + ((long) PAGE_SIZE << LEAF_SHIFT) - 1) >>> (PAGE_SHIFT + LEAF_SHIFT));
    }

    String name() {
        return name;
    }

    /** Bytes of direct memory the device's pages hold now (the UNMAP accounting). */
    long allocatedBytes() {
        return memory.allocatedBytes();
    }

    /** Page copies made so far by writes to pages that reads still held (copy-on-write). */
    long copyOnWrites() {
        return copyOnWrites.sum();
    }

    @Override
    public Geometry geometry() {
        return geometry;
    }

    // ------------------------------------------------------------------------------------ read

    /**
     * Runs on the caller's thread without blocking (a reader spins only while a writer copies
     * into the very page, a few microseconds) and completes exactly once before it returns. The
     * result references page memory; the completion owns its one reference and must release it.
     */
    @Override
    public void read(long lba, int blocks, IoCompletion<DataBuffer> done) {
        if (!gate.enter()) {
            done.failed(CLOSED);
            return;
        }
        try {
            Geometry g = geometry;
            Sense bad = checkRange(g, lba, blocks, g.maxTransferBlocks());
            if (bad != null) {
                done.failed(bad);
                return;
            }
            DataBuffer data;
            try {
                data = readPages(lba * g.blockSize(), blocks * g.blockSize());
            } catch (RuntimeException e) {
                LOG.error("RAM disk {}: read of {} blocks at LBA {} failed", name, blocks, lba, e);
                done.failed(Sense.UNRECOVERED_READ_ERROR.withInformation(lba));
                return;
            }
            done.completed(data);
        } finally {
            gate.exit();
        }
    }

    private DataBuffer readPages(long offset, int length) {
        if (length == 0) {
            return DataBuffers.empty();
        }
        int count = (int) (((offset + length - 1) >>> PAGE_SHIFT) - (offset >>> PAGE_SHIFT) + 1);
        if (count == 1) {
            // Within one page (every 4 KiB read): one buffer object and nothing else.
            Frame f = pinFrame(offset >>> PAGE_SHIFT);
            return new SinglePageReadBuffer(f == null ? ZERO_PAGE : f.memory, (int) (offset & PAGE_MASK), length, f);
        }
        ByteBuffer[] segments = new ByteBuffer[count];
        Frame[] pinned = new Frame[count];
        long pos = offset;
        int left = length;
        try {
            for (int i = 0; i < count; i++) {
                int in = (int) (pos & PAGE_MASK);
                int chunk = Math.min(left, PAGE_SIZE - in);
                Frame f = pinFrame(pos >>> PAGE_SHIFT);
                pinned[i] = f;
                segments[i] = (f == null ? ZERO_PAGE : f.memory).slice(in, chunk);
                pos += chunk;
                left -= chunk;
            }
        } catch (RuntimeException e) {
            for (Frame f : pinned) {
                if (f != null) {
                    f.unpin();
                }
            }
            throw e;
        }
        return new PageReadBuffer(segments, pinned, length);
    }

    /** The page's current frame with a reader's reference, or null when the page reads as zeros. */
    private Frame pinFrame(long pageIndex) {
        for (;;) {
            Page p = pageAt(pageIndex);
            if (p == null) {
                return null;
            }
            Frame f = p.frame;
            if (f.tryPin()) {
                return f;
            }
            // The frame was freed between our load and our pin: the page was rewritten by
            // copy-on-write (p.frame is already the new frame) or unmapped (the slot no longer
            // holds p). Either way, looking again makes progress.
        }
    }

    // ----------------------------------------------------------------------------------- write

    /**
     * Runs on the caller's thread (it may wait for the page's lock while another write copies into
     * the same page) and completes exactly once before it returns. Borrows {@code data}: copies it
     * into the pages and keeps no reference. RAM is as stable as this backend gets, so {@code fua}
     * changes nothing.
     */
    @Override
    public void write(long lba, DataBuffer data, boolean fua, IoCompletion<Void> done) {
        if (!gate.enter()) {
            done.failed(CLOSED);
            return;
        }
        try {
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
            Sense failure;
            DataBuffer staged = null;
            try {
                if (data.fileRegion() != null) {
                    // A file region (EXTENDED COPY from a file LUN, say): read it into memory
                    // before touching a page, so that readers never spin on a disk read. Asked
                    // with fileRegion(), not nioBuffers() == null: that would make an array and
                    // a view on every write (issue 7); writePages copies any kind of buffer.
                    byte[] bytes = new byte[length];
                    data.copyTo(0, ByteBuffer.wrap(bytes));
                    staged = DataBuffers.wrap(bytes);
                    data = staged;
                }
                failure = writePages(lba * g.blockSize(), data, length);
            } catch (RuntimeException e) {
                LOG.error("RAM disk {}: write of {} bytes at LBA {} failed", name, length, lba, e);
                failure = Sense.WRITE_ERROR.withInformation(lba);
            } finally {
                if (staged != null) {
                    staged.release();
                }
            }
            if (failure == null) {
                done.completed(null);
            } else {
                done.failed(failure);
            }
        } finally {
            gate.exit();
        }
    }

    private Sense writePages(long offset, DataBuffer src, int length) {
        long pos = offset;
        int done = 0;
        while (done < length) {
            int in = (int) (pos & PAGE_MASK);
            int chunk = Math.min(length - done, PAGE_SIZE - in);
            Page p;
            for (;;) {
                p = pageOrCreate(pos >>> PAGE_SHIFT);
                if (p == null) {
                    // SBC-3 §4.7.3.6: a thin-provisioned LUN out of backing memory.
                    return Sense.SPACE_ALLOCATION_FAILED;
                }
                int r = modify(p, in, chunk, src, done);
                if (r == MODIFIED) {
                    break;
                }
                if (r == NO_MEMORY) {
                    return Sense.SPACE_ALLOCATION_FAILED;
                }
                // DEAD: unmapped under us; take the page that replaces it.
            }
            pos += chunk;
            done += chunk;
        }
        return null;
    }

    private static final int MODIFIED = 0;
    private static final int DEAD = 1;
    private static final int NO_MEMORY = 2;

    /**
     * Copies {@code chunk} bytes from {@code src} at {@code srcOffset} (zeros when {@code src} is
     * null) into page {@code p} at {@code in}: in place when nobody reads the page, else into a copy
     * of the page that then replaces it.
     */
    private int modify(Page p, int in, int chunk, DataBuffer src, int srcOffset) {
        synchronized (p) {
            if (p.dead) {
                return DEAD;
            }
            Frame f = p.frame;
            if (f.tryBeginInPlaceWrite()) {
                try {
                    copyInto(f, in, chunk, src, srcOffset);
                } finally {
                    f.endInPlaceWrite();
                }
                return MODIFIED;
            }
            Frame copy = memory.allocate();
            if (copy == null) {
                return NO_MEMORY;
            }
            copyOnWrites.increment();
            copy.memory.put(0, f.memory, 0, PAGE_SIZE);
            copyInto(copy, in, chunk, src, srcOffset);
            p.frame = copy;
            f.unpin();
            return MODIFIED;
        }
    }

    private static void copyInto(Frame frame, int in, int chunk, DataBuffer src, int srcOffset) {
        if (src == null) {
            frame.memory.put(in, ZERO_PAGE, 0, chunk);
        } else {
            // The frame's own view, positioned here: a slice per write would be garbage per I/O.
            // Writers of a page hold its lock and a frame being filled is private to its writer.
            ByteBuffer view = frame.writeView;
            view.limit(in + chunk).position(in);
            src.copyTo(srcOffset, view);
        }
    }

    // ---------------------------------------------------------------------- flush, write cache

    /** RAM needs no flush; completes exactly once, at once, on the caller's thread. */
    @Override
    public void flush(IoCompletion<Void> done) {
        if (gate.isClosed()) {
            done.failed(CLOSED);
            return;
        }
        done.completed(null);
    }

    /**
     * Records WCE for MODE SENSE; it changes nothing for RAM (every write is as stable as it gets
     * when it completes). Completes exactly once, at once, on the caller's thread.
     */
    @Override
    public void setWriteCache(boolean enabled, IoCompletion<Void> done) {
        synchronized (tableLock) {
            geometry = geometry.withWriteCache(enabled);
        }
        done.completed(null);
    }

    // ------------------------------------------------------------------- unmap and provisioning

    /**
     * Frees the whole pages of the range and zeros the partial ones at its ends, on the caller's
     * thread (at most {@link #MAX_UNMAP_BYTES} per call, so at most 16384 pages); completes exactly
     * once before it returns. Pages a read still holds are freed when that read is released.
     */
    @Override
    public void unmap(long lba, long blocks, IoCompletion<Void> done) {
        if (!gate.enter()) {
            done.failed(CLOSED);
            return;
        }
        try {
            Geometry g = geometry;
            if (g.readOnly()) {
                done.failed(Sense.WRITE_PROTECTED);
                return;
            }
            Sense bad = checkRange(g, lba, blocks, g.maxUnmapBlocks());
            if (bad != null) {
                done.failed(bad);
                return;
            }
            discard(lba * g.blockSize(), (lba + blocks) * g.blockSize(), g.capacityBytes());
            done.completed(null);
        } finally {
            gate.exit();
        }
    }

    /**
     * Makes bytes {@code [from, to)} read as zeros: pages wholly inside (or running from inside to
     * the device's end at {@code capacity}, beyond which nothing is ever written) are freed, the
     * others zeroed in the range. Skips unallocated leaves in one step.
     */
    private void discard(long from, long to, long capacity) {
        long pos = from;
        while (pos < to) {
            long pageIndex = pos >>> PAGE_SHIFT;
            AtomicReferenceArray<Page> leaf = leafFor(pageIndex, false);
            if (leaf == null) {
                pos = Math.min(to, ((pageIndex >>> LEAF_SHIFT) + 1) << (LEAF_SHIFT + PAGE_SHIFT));
                continue;
            }
            int in = (int) (pos & PAGE_MASK);
            int chunk = (int) Math.min(to - pos, PAGE_SIZE - in);
            int slot = (int) (pageIndex & (LEAF_SIZE - 1));
            Page p = leaf.get(slot);
            if (p != null) {
                boolean whole = in == 0 && (chunk == PAGE_SIZE || pos + chunk >= capacity);
                if (whole) {
                    synchronized (p) {
                        if (!p.dead) {
                            p.dead = true;
                            leaf.compareAndSet(slot, p, null);
                            p.frame.unpin();
                        }
                    }
                } else {
                    // Zeroing needs no new memory unless the page is being read (copy-on-write);
                    // then, out of memory, the old bytes would stay: report it rather than lie.
                    int r = modify(p, in, chunk, null, 0);
                    if (r == NO_MEMORY) {
                        LOG.warn("RAM disk {}: no memory to zero a page being read; bytes at {} kept", name, pos);
                    }
                }
            }
            pos += chunk;
        }
    }

    /**
     * The run of pages with the same allocation state starting at {@code lba}, in blocks; a page
     * that holds memory counts as mapped as a whole (the UNMAP granularity is one page). Runs on
     * the caller's thread without locks and completes exactly once before it returns.
     */
    @Override
    public void provisioning(long lba, IoCompletion<Provisioning> done) {
        Geometry g = geometry;
        if (lba < 0 || lba >= g.blockCount()) {
            done.failed(Sense.LBA_OUT_OF_RANGE);
            return;
        }
        long capacity = g.capacityBytes();
        long first = (lba * g.blockSize()) >>> PAGE_SHIFT;
        long lastPage = (capacity - 1) >>> PAGE_SHIFT;
        boolean mapped = pageAt(first) != null;
        long p = first + 1;
        long scanned = 0;
        while (p <= lastPage && scanned < MAX_PROVISIONING_SCAN) {
            AtomicReferenceArray<Page> leaf = leafFor(p, false);
            if (leaf == null) {
                if (mapped) {
                    break;
                }
                p = ((p >>> LEAF_SHIFT) + 1) << LEAF_SHIFT;
                continue;
            }
            if ((leaf.get((int) (p & (LEAF_SIZE - 1))) != null) != mapped) {
                break;
            }
            p++;
            scanned++;
        }
        long endBlock = Math.min(capacity, p << PAGE_SHIFT) / g.blockSize();
        done.completed(new Provisioning(lba, endBlock - lba, mapped));
    }

    // ------------------------------------------------------------------------- the page table

    private Page pageAt(long pageIndex) {
        AtomicReferenceArray<Page> leaf = leafFor(pageIndex, false);
        return leaf == null ? null : leaf.get((int) (pageIndex & (LEAF_SIZE - 1)));
    }

    private AtomicReferenceArray<Page> leafFor(long pageIndex, boolean create) {
        int index = (int) (pageIndex >>> LEAF_SHIFT);
        AtomicReferenceArray<AtomicReferenceArray<Page>> dir = directory;
        if (index >= dir.length()) {
            return null;
        }
        AtomicReferenceArray<Page> leaf = dir.get(index);
        if (leaf != null || !create) {
            return leaf;
        }
        // Once per 64 MiB of device: under the lock that resize also takes, so a leaf is never
        // installed into a directory that a concurrent resize is replacing.
        synchronized (tableLock) {
            dir = directory;
            if (index >= dir.length()) {
                return null;
            }
            leaf = dir.get(index);
            if (leaf == null) {
                leaf = new AtomicReferenceArray<>(LEAF_SIZE);
                dir.set(index, leaf);
            }
            return leaf;
        }
    }

    /** The page at {@code pageIndex}, allocating it (zero-filled) if absent; null when out of memory. */
    private Page pageOrCreate(long pageIndex) {
        AtomicReferenceArray<Page> leaf = leafFor(pageIndex, true);
        if (leaf == null) {
            return null;
        }
        int slot = (int) (pageIndex & (LEAF_SIZE - 1));
        for (;;) {
            Page p = leaf.get(slot);
            if (p != null) {
                return p;
            }
            Frame f = memory.allocate();
            if (f == null) {
                return null;
            }
            Page fresh = new Page(f);
            if (leaf.compareAndSet(slot, null, fresh)) {
                return fresh;
            }
            f.unpin(); // another writer installed the page first
        }
    }

    // ---------------------------------------------------------------------- resize and close

    /**
     * Grows or shrinks the device. A shrink fences I/O beyond the new end first, then frees the
     * pages there and zeros the tail of the last page, so a later growth reads zeros. Called from a
     * management thread; does not wait for I/O (the core quiesces the LUN around a resize).
     */
    @Override
    public void resize(long blockCount) throws BackendException {
        synchronized (tableLock) {
            Geometry old = geometry;
            int bs = old.blockSize();
            if (blockCount < 1 || blockCount > MAX_BYTES / bs) {
                throw new BackendException("RAM disk " + name + " cannot be resized to " + blockCount
                        + " blocks of " + bs + " bytes; choose from 1 block up to 256 TiB.");
            }
            long oldCapacity = old.capacityBytes();
            long newCapacity = blockCount * bs;
            if (newCapacity < oldCapacity) {
                geometry = old.withBlockCount(blockCount);
                discard(newCapacity, oldCapacity, oldCapacity);
            }
            AtomicReferenceArray<AtomicReferenceArray<Page>> dir = directory;
            int leaves = leavesFor(newCapacity);
            if (leaves != dir.length()) {
                AtomicReferenceArray<AtomicReferenceArray<Page>> resized = new AtomicReferenceArray<>(leaves);
                for (int i = 0; i < Math.min(leaves, dir.length()); i++) {
                    resized.set(i, dir.get(i));
                }
                directory = resized;
            }
            if (newCapacity > oldCapacity) {
                geometry = old.withBlockCount(blockCount);
            }
            LOG.info("RAM disk {} resized from {} to {} bytes", name, oldCapacity, newCapacity);
        }
    }

    /**
     * Fences new I/O, waits (at most 10 s) for I/O running on other threads, then frees every page.
     * Pages still pinned by read buffers in flight are freed when those buffers are released.
     * Idempotent.
     */
    @Override
    public void close() {
        if (gate.isClosed()) {
            return;
        }
        long cut = gate.closeAndDrain(CLOSE_WAIT_MILLIS);
        if (cut > 0) {
            LOG.warn("RAM disk {} closed with {} I/O still running after {} ms", name, cut, CLOSE_WAIT_MILLIS);
        }
        long held = memory.allocatedBytes();
        synchronized (tableLock) {
            discard(0, geometry.capacityBytes(), geometry.capacityBytes());
        }
        LOG.info("RAM disk {} closed; released {} bytes of page memory", name, held);
        onClose.run();
    }

    /** LBA_OUT_OF_RANGE for a range outside the device (overflow-safe); null when fine. */
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
        return "RamDisk[" + name + ", " + geometry.capacityBytes() + " bytes]";
    }
}
