package dev.lunar.testkit.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import dev.lunar.spi.backend.IoCompletion;
import dev.lunar.spi.backend.Provisioning;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.Sense;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link BlockDevice} keeps, as one abstract JUnit 5 suite that each backend
 * subclasses (Netty's transport testsuite does the same for its transports). A subclass says how
 * to open a device from backend options; the suite checks geometry, data integrity across the
 * backend's internal page and chunk boundaries, zeros for never-written and unmapped blocks, FUA,
 * flush, provisioning, range and write-protect errors as sense values, exactly-once completions,
 * concurrent I/O from several threads, resize, close draining outstanding I/O, and that every
 * {@link DataBuffer} the backend hands out is released again (the {@link BufferLeakDetector} count
 * is back where it started after each test).
 *
 * <p>Completions may run on any thread; the suite waits for them with a bounded wait
 * ({@link IoProbe#WAIT_SECONDS}) and never asserts on timing.
 *
 * <p>Read consistency: a read that completes with a memory buffer must hold the data as of the
 * read, even if the same blocks are overwritten while the buffer is still held (the transport may
 * be sending it, or computing a digest over it). A read that completes with a file region is sent
 * from the page cache when the transport sends it; SCSI lets overlapping commands see either
 * version (SAM-5 §8.6: the initiator orders overlapping commands), so the suite does not pin
 * those down.
 */
public abstract class BlockDeviceContractTest {

    /** Device size the suite asks for unless a test says otherwise: 64 MiB. */
    protected static final long DEFAULT_SIZE = 64L << 20;

    private final List<BlockDevice> opened = Collections.synchronizedList(new ArrayList<>());
    private final List<IoProbe<?>> probes = Collections.synchronizedList(new ArrayList<>());
    private long liveBuffersAtStart;

    /**
     * Opens a device of this backend with {@code options} (for example {@code size},
     * {@code blockSize}, {@code readOnly}, {@code writeCache}). Subclasses add what their backend
     * needs ({@code path} for a file backend) and may override the given keys only where their
     * backend cannot honour them (a block device's size comes from the device).
     */
    protected abstract BlockDevice openDevice(Map<String, String> options) throws BackendException;

    /** Whether {@link BlockDevice#resize} can grow and shrink this backend's devices. */
    protected boolean supportsResize() {
        return true;
    }

    /** Whether a device opened with {@code readOnly=true} can be tested (some need a prepared medium). */
    protected boolean supportsReadOnly() {
        return true;
    }

    /**
     * The block size the suite asks for unless a test says otherwise (a backend configuration that
     * only works with 4096-byte blocks, O_DIRECT for example, overrides it).
     */
    protected int blockSize() {
        return 512;
    }

    /**
     * Runs after each test once every device it opened is closed: release what
     * {@link #openDevice} set up outside the backend (a loop device, a scratch directory).
     */
    protected void afterDevicesClosed() {
    }

    // ---------------------------------------------------------------- fixtures and helpers

    @BeforeEach
    final void recordLiveBuffers() {
        liveBuffersAtStart = BufferLeakDetector.live();
    }

    @AfterEach
    final void closeDevicesAndCheckLeaks() {
        synchronized (opened) {
            for (BlockDevice d : opened) {
                d.close();
            }
            opened.clear();
        }
        afterDevicesClosed();
        synchronized (probes) {
            for (IoProbe<?> p : probes) {
                assertTrue(p.calls() <= 1, p.what() + " completed " + p.calls() + " times");
            }
            probes.clear();
        }
        long live = BufferLeakDetector.live();
        if (live != liveBuffersAtStart) {
            StringBuilder where = new StringBuilder();
            for (Throwable origin : BufferLeakDetector.liveOrigins()) {
                StackTraceElement[] st = origin.getStackTrace();
                where.append("\n  allocated at ");
                for (int i = 0; i < Math.min(st.length, 6); i++) {
                    where.append(st[i]).append(" <- ");
                }
            }
            fail("buffers live before the test: " + liveBuffersAtStart + ", after: " + live + where);
        }
    }

    /** Opens a device with {@link #DEFAULT_SIZE}, {@link #blockSize()} and {@code extra} options. */
    protected final BlockDevice open(String... extra) throws BackendException {
        Map<String, String> options = new HashMap<>();
        options.put("size", Long.toString(DEFAULT_SIZE));
        options.put("blockSize", Integer.toString(blockSize()));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            options.put(extra[i], extra[i + 1]);
        }
        BlockDevice d = openDevice(options);
        assertNotNull(d, "openDevice returned null");
        opened.add(d);
        return d;
    }

    /** Closes {@code d} now (the suite would close it after the test otherwise). */
    protected final void closeNow(BlockDevice d) {
        d.close();
        opened.remove(d);
    }

    protected final <T> IoProbe<T> probe(String what) {
        IoProbe<T> p = new IoProbe<>(what);
        probes.add(p);
        return p;
    }

    /** Reads and returns the bytes (the device's buffer is released here). */
    protected final byte[] readBytes(BlockDevice d, long lba, int blocks) {
        IoProbe<DataBuffer> p = probe("read " + lba + "+" + blocks);
        d.read(lba, blocks, p);
        DataBuffer data = p.awaitSuccess();
        try {
            assertEquals((long) blocks * d.geometry().blockSize(), data.length(),
                    "read of " + blocks + " blocks returned the wrong length");
            return data.toByteArray();
        } finally {
            data.release();
        }
    }

    protected final Sense readFailure(BlockDevice d, long lba, int blocks) {
        IoProbe<DataBuffer> p = probe("read " + lba + "+" + blocks);
        d.read(lba, blocks, p);
        return p.awaitFailure();
    }

    /** Writes {@code bytes} from a direct buffer the test owns, waits, then releases it. */
    protected final void writeBytes(BlockDevice d, long lba, byte[] bytes, boolean fua) {
        DataBuffer src = directCopy(bytes);
        try {
            IoProbe<Void> p = probe("write " + lba + "+" + bytes.length + "B");
            d.write(lba, src, fua, p);
            p.awaitSuccess();
            assertEquals(1, src.refCnt(), "the backend kept a reference to the caller's buffer");
        } finally {
            src.release();
        }
    }

    protected final Sense writeFailure(BlockDevice d, long lba, byte[] bytes) {
        DataBuffer src = DataBuffers.wrap(bytes);
        try {
            IoProbe<Void> p = probe("write " + lba + "+" + bytes.length + "B");
            d.write(lba, src, false, p);
            return p.awaitFailure();
        } finally {
            src.release();
        }
    }

    protected final void unmap(BlockDevice d, long lba, long blocks) {
        IoProbe<Void> p = probe("unmap " + lba + "+" + blocks);
        d.unmap(lba, blocks, p);
        p.awaitSuccess();
    }

    protected final Provisioning provisioning(BlockDevice d, long lba) {
        IoProbe<Provisioning> p = probe("provisioning " + lba);
        d.provisioning(lba, p);
        return p.awaitSuccess();
    }

    protected static DataBuffer directCopy(byte[] bytes) {
        ByteBuffer bb = ByteBuffer.allocateDirect(bytes.length);
        bb.put(bytes).flip();
        return DataBuffers.wrap(null, bb);
    }

    /**
     * Deterministic test data: every block differs from every other block and from every other
     * seed, so a misplaced or stale block cannot pass for the right one.
     */
    protected static byte[] pattern(long lba, int blocks, int blockSize, int seed) {
        byte[] out = new byte[blocks * blockSize];
        for (int b = 0; b < blocks; b++) {
            long block = lba + b;
            long x = block * 0x9E3779B97F4A7C15L + seed * 0xC2B2AE3D27D4EB4FL + 1;
            for (int i = 0; i < blockSize; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                out[b * blockSize + i] = (byte) x;
            }
        }
        return out;
    }

    protected static void assertSense(Sense expected, Sense actual, String what) {
        assertNotNull(actual, what);
        assertEquals(expected.key(), actual.key(), what + ": sense key of " + actual);
        assertEquals(expected.asc(), actual.asc(), what + ": ASC of " + actual);
        assertEquals(expected.ascq(), actual.ascq(), what + ": ASCQ of " + actual);
    }

    private static boolean allZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private void writeAndVerify(BlockDevice d, long lba, int blocks, int seed) {
        int bs = d.geometry().blockSize();
        byte[] data = pattern(lba, blocks, bs, seed);
        writeBytes(d, lba, data, false);
        assertArrayEquals(data, readBytes(d, lba, blocks), "read back " + lba + "+" + blocks);
    }

    // ---------------------------------------------------------------- geometry

    @Test
    void geometryDescribesTheDeviceAsConfigured() throws Exception {
        Geometry g = open().geometry();
        assertEquals(blockSize(), g.blockSize());
        assertEquals(DEFAULT_SIZE / blockSize(), g.blockCount());
        assertEquals(DEFAULT_SIZE, g.capacityBytes());
        assertTrue(g.maxTransferBlocks() >= 1, "max transfer");
        assertTrue(g.physicalBlockExponent() >= 0, "physical block exponent");
        assertTrue(g.optimalTransferBlocks() >= 0, "optimal transfer");
        assertFalse(g.readOnly());
        if (g.unmapGranularityBlocks() > 0) {
            assertTrue(g.maxUnmapBlocks() > 0, "UNMAP supported but max unmap 0");
            assertTrue(g.unmapAlignmentBlocks() >= 0);
        }
        assertTrue(g.rotationRate() >= 0);
    }

    @Test
    void blockSize4096IsHonoured() throws Exception {
        BlockDevice d = open("blockSize", "4096");
        assertEquals(4096, d.geometry().blockSize());
        assertEquals(DEFAULT_SIZE / 4096, d.geometry().blockCount());
        writeAndVerify(d, 7, 3, 1);
        assertEquals(3 * 4096, readBytes(d, 7, 3).length);
    }

    @Test
    void writeCacheOptionAndSetWriteCacheShowInGeometry() throws Exception {
        BlockDevice d = open("writeCache", "false");
        assertFalse(d.geometry().writeCache());
        IoProbe<Void> on = probe("setWriteCache(true)");
        d.setWriteCache(true, on);
        on.awaitSuccess();
        assertTrue(d.geometry().writeCache());
        writeAndVerify(d, 100, 8, 2);
        IoProbe<Void> off = probe("setWriteCache(false)");
        d.setWriteCache(false, off);
        off.awaitSuccess();
        assertFalse(d.geometry().writeCache());
        writeAndVerify(d, 100, 8, 3);
    }

    // ---------------------------------------------------------------- data integrity

    @Test
    void neverWrittenBlocksReadAsZeros() throws Exception {
        BlockDevice d = open();
        long last = d.geometry().blockCount() - 1;
        assertTrue(allZero(readBytes(d, 0, 1)));
        assertTrue(allZero(readBytes(d, 12345, 77)));
        assertTrue(allZero(readBytes(d, last, 1)));
    }

    @Test
    void writesReadBackAtManySizesAndAlignments() throws Exception {
        BlockDevice d = open();
        Geometry g = d.geometry();
        int seed = 10;
        // Single blocks, odd LBAs, odd lengths: unaligned to any internal page size.
        writeAndVerify(d, 0, 1, seed++);
        writeAndVerify(d, 1, 1, seed++);
        writeAndVerify(d, 3, 5, seed++);
        writeAndVerify(d, 1001, 129, seed++);
        // Ranges that straddle every power-of-two boundary from 4 KiB to 16 MiB, where backends
        // keep pages, chunks and directory levels.
        for (long boundary = 4096; boundary <= (16L << 20); boundary <<= 1) {
            long lba = Math.max(0, boundary / g.blockSize() - 3);
            writeAndVerify(d, lba, 7, seed++);
        }
        // The largest transfer the backend admits, starting unaligned.
        int max = (int) Math.min(g.maxTransferBlocks(), g.blockCount() / 2);
        writeAndVerify(d, 513, max, seed++);
        // The very last block.
        writeAndVerify(d, g.blockCount() - 1, 1, seed++);
        writeAndVerify(d, g.blockCount() - 9, 9, seed);
    }

    @Test
    void partialOverwriteKeepsTheNeighbours() throws Exception {
        BlockDevice d = open();
        int bs = d.geometry().blockSize();
        byte[] big = pattern(200, 300, bs, 1);
        writeBytes(d, 200, big, false);
        byte[] small = pattern(333, 5, bs, 2);
        writeBytes(d, 333, small, false);
        System.arraycopy(small, 0, big, (333 - 200) * bs, small.length);
        assertArrayEquals(big, readBytes(d, 200, 300));
    }

    @Test
    void writesFromHeapAndScatteredBuffers() throws Exception {
        BlockDevice d = open();
        int bs = d.geometry().blockSize();
        byte[] data = pattern(4000, 16, bs, 5);
        // A heap buffer.
        DataBuffer heap = DataBuffers.wrap(data.clone());
        IoProbe<Void> p1 = probe("heap write");
        d.write(4000, heap, false, p1);
        p1.awaitSuccess();
        heap.release();
        assertArrayEquals(data, readBytes(d, 4000, 16));
        // A scatter/gather list whose segment edges fall inside blocks.
        byte[] data2 = pattern(4000, 16, bs, 6);
        int[] cuts = {0, 1, 700, bs * 3 + 5, bs * 9, data2.length};
        ByteBuffer[] segments = new ByteBuffer[cuts.length - 1];
        for (int i = 0; i < segments.length; i++) {
            ByteBuffer seg = (i % 2 == 0) ? ByteBuffer.allocateDirect(cuts[i + 1] - cuts[i])
                    : ByteBuffer.allocate(cuts[i + 1] - cuts[i]);
            seg.put(data2, cuts[i], cuts[i + 1] - cuts[i]).flip();
            segments[i] = seg;
        }
        DataBuffer scattered = DataBuffers.wrap(null, segments);
        IoProbe<Void> p2 = probe("scattered write");
        d.write(4000, scattered, false, p2);
        p2.awaitSuccess();
        assertEquals(1, scattered.refCnt());
        scattered.release();
        assertArrayEquals(data2, readBytes(d, 4000, 16));
        // A slice of a larger buffer.
        byte[] data3 = pattern(4000, 4, bs, 7);
        byte[] padded = new byte[data3.length + 100];
        System.arraycopy(data3, 0, padded, 50, data3.length);
        DataBuffer whole = DataBuffers.wrap(padded);
        DataBuffer slice = whole.retainedSlice(50, data3.length);
        whole.release();
        IoProbe<Void> p3 = probe("slice write");
        d.write(4000, slice, false, p3);
        p3.awaitSuccess();
        slice.release();
        assertArrayEquals(data3, readBytes(d, 4000, 4));
    }

    @Test
    void fuaWritesAndFlushComplete() throws Exception {
        BlockDevice d = open("writeCache", "true");
        int bs = d.geometry().blockSize();
        byte[] data = pattern(50, 20, bs, 9);
        writeBytes(d, 50, data, true);
        assertArrayEquals(data, readBytes(d, 50, 20));
        writeBytes(d, 5000, pattern(5000, 3, bs, 10), false);
        IoProbe<Void> flush = probe("flush");
        d.flush(flush);
        flush.awaitSuccess();
        assertArrayEquals(pattern(5000, 3, bs, 10), readBytes(d, 5000, 3));
        IoProbe<Void> flushAgain = probe("idle flush");
        d.flush(flushAgain);
        flushAgain.awaitSuccess();
    }

    @Test
    void aHeldReadBufferKeepsTheDataAsOfTheRead() throws Exception {
        BlockDevice d = open();
        int bs = d.geometry().blockSize();
        long lba = 64 * 1024 / bs - 2; // straddles a 64 KiB page
        byte[] before = pattern(lba, 8, bs, 1);
        writeBytes(d, lba, before, false);
        IoProbe<DataBuffer> p = probe("held read");
        d.read(lba, 8, p);
        DataBuffer held = p.awaitSuccess();
        try {
            writeBytes(d, lba, pattern(lba, 8, bs, 2), false);
            unmapIfSupported(d, 0, d.geometry().blockCount());
            if (held.fileRegion() == null) {
                assertArrayEquals(before, held.toByteArray(),
                        "a memory read buffer changed under its holder");
            }
        } finally {
            held.release();
        }
        byte[] now = readBytes(d, lba, 8);
        if (d.geometry().unmapGranularityBlocks() > 0) {
            assertTrue(allZero(now));
        } else {
            assertArrayEquals(pattern(lba, 8, bs, 2), now);
        }
    }

    private void unmapIfSupported(BlockDevice d, long lba, long blocks) {
        Geometry g = d.geometry();
        if (g.unmapGranularityBlocks() == 0) {
            return;
        }
        for (long at = lba; at < lba + blocks; at += g.maxUnmapBlocks()) {
            unmap(d, at, Math.min(g.maxUnmapBlocks(), lba + blocks - at));
        }
    }

    @Test
    void readBuffersAreReleasedByTheirHolder() throws Exception {
        BlockDevice d = open();
        writeBytes(d, 10, pattern(10, 4, d.geometry().blockSize(), 3), false);
        IoProbe<DataBuffer> p = probe("read");
        d.read(8, 8, p);
        DataBuffer data = p.awaitSuccess();
        assertEquals(1, data.refCnt(), "a read result must come with exactly one reference");
        assertTrue(data.release(), "releasing the only reference frees the buffer");
    }

    // ---------------------------------------------------------------- unmap and provisioning

    @Test
    void unmapReadsZerosAndKeepsNeighbours() throws Exception {
        BlockDevice d = open();
        Geometry g = d.geometry();
        assumeTrue(g.unmapGranularityBlocks() > 0, "backend does not support UNMAP");
        int bs = g.blockSize();
        long gran = g.unmapGranularityBlocks();
        // At least 5 blocks in, so the written range below (from start - 5) starts on the device
        // even when a granule is a block or two.
        long start = gran * Math.max(3, (5 + gran - 1) / gran) + g.unmapAlignmentBlocks();
        int blocks = (int) Math.min(gran * 4, g.maxTransferBlocks());
        long lba = start - 5;
        byte[] data = pattern(lba, blocks + 10, bs, 4);
        for (int off = 0; off < data.length; off += g.maxTransferBlocks() * bs) {
            int n = Math.min(g.maxTransferBlocks() * bs, data.length - off);
            byte[] part = new byte[n];
            System.arraycopy(data, off, part, 0, n);
            writeBytes(d, lba + off / bs, part, false);
        }
        // Whole granules in the middle, plus a partial range at each side.
        unmap(d, start, blocks);
        unmap(d, lba + 1, 2);
        byte[] back = readBytes(d, lba, blocks + 10);
        for (int i = 0; i < back.length; i++) {
            long block = lba + i / bs;
            boolean unmapped = (block >= start && block < start + blocks) || block == lba + 1 || block == lba + 2;
            byte expected = unmapped ? 0 : data[i];
            if (back[i] != expected) {
                fail("byte " + i + " (block " + block + ") is " + back[i] + ", expected " + expected);
            }
        }
        if (g.thinProvisioned()) {
            Provisioning p = provisioning(d, start);
            assertFalse(p.mapped(), "an unmapped whole granule is reported mapped: " + p);
            assertTrue(p.lba() <= start && p.lba() + p.blocks() > start, "run " + p + " does not contain " + start);
        }
    }

    @Test
    void provisioningRunsAreConsistent() throws Exception {
        BlockDevice d = open();
        Geometry g = d.geometry();
        long gran = Math.max(1, g.unmapGranularityBlocks());
        Provisioning fresh = provisioning(d, 0);
        assertRunSane(fresh, 0, g);
        if (g.thinProvisioned()) {
            assertFalse(fresh.mapped(), "a never written device is reported mapped at 0");
        }
        long lba = gran * 10 + 1;
        writeBytes(d, lba, pattern(lba, 1, g.blockSize(), 1), false);
        Provisioning written = provisioning(d, lba);
        assertRunSane(written, lba, g);
        assertTrue(written.mapped(), "a written block is reported deallocated: " + written);
        if (g.thinProvisioned()) {
            Provisioning before = provisioning(d, 0);
            assertFalse(before.mapped());
            assertTrue(before.lba() + before.blocks() <= lba, "run " + before + " swallows written LBA " + lba);
            // Walking the runs covers the device without gaps or overlaps.
            long at = 0;
            int runs = 0;
            while (at < g.blockCount() && runs < 10_000) {
                Provisioning p = provisioning(d, at);
                assertRunSane(p, at, g);
                assertEquals(at, p.lba(), "a run asked for at its start begins there");
                at = p.lba() + p.blocks();
                runs++;
            }
            assertEquals(g.blockCount(), at);
            assertTrue(runs >= 3, "expected unmapped, mapped, unmapped runs, walked " + runs);
        }
    }

    private static void assertRunSane(Provisioning p, long lba, Geometry g) {
        assertTrue(p.blocks() >= 1, "empty run " + p);
        assertTrue(p.lba() <= lba && lba < p.lba() + p.blocks(), "run " + p + " does not contain " + lba);
        assertTrue(p.lba() >= 0 && p.lba() + p.blocks() <= g.blockCount(), "run " + p + " leaves the device");
    }

    // ---------------------------------------------------------------- errors are sense values

    @Test
    void outOfRangeIoFailsWithLbaOutOfRange() throws Exception {
        BlockDevice d = open();
        long n = d.geometry().blockCount();
        int bs = d.geometry().blockSize();
        assertSense(Sense.LBA_OUT_OF_RANGE, readFailure(d, n, 1), "read at capacity");
        assertSense(Sense.LBA_OUT_OF_RANGE, readFailure(d, n - 1, 2), "read across the end");
        assertSense(Sense.LBA_OUT_OF_RANGE, readFailure(d, -1, 1), "read at a negative LBA");
        assertSense(Sense.LBA_OUT_OF_RANGE, readFailure(d, Long.MAX_VALUE, 1), "read at LBA 2^63-1");
        assertSense(Sense.LBA_OUT_OF_RANGE, writeFailure(d, n, new byte[bs]), "write at capacity");
        assertSense(Sense.LBA_OUT_OF_RANGE, writeFailure(d, n - 1, new byte[2 * bs]), "write across the end");
        assertSense(Sense.LBA_OUT_OF_RANGE, writeFailure(d, Long.MAX_VALUE - 1, new byte[4 * bs]),
                "write whose end overflows a long");
        IoProbe<Provisioning> prov = probe("provisioning at capacity");
        d.provisioning(n, prov);
        assertSense(Sense.LBA_OUT_OF_RANGE, prov.awaitFailure(), "provisioning at capacity");
        if (d.geometry().unmapGranularityBlocks() > 0) {
            IoProbe<Void> u = probe("unmap across the end");
            d.unmap(n - 1, 2, u);
            assertSense(Sense.LBA_OUT_OF_RANGE, u.awaitFailure(), "unmap across the end");
        }
        // Nothing was written by the failed commands.
        assertTrue(allZero(readBytes(d, n - 1, 1)));
    }

    @Test
    void writeThatIsNotAWholeNumberOfBlocksIsRefused() throws Exception {
        BlockDevice d = open();
        IoProbe<Void> p = probe("write of 100 bytes");
        DataBuffer odd = DataBuffers.wrap(new byte[100]);
        try {
            d.write(0, odd, false, p);
            Sense s = p.awaitFailure();
            assertEquals(Sense.ILLEGAL_REQUEST, s.key(), "sense " + s);
        } finally {
            odd.release();
        }
    }

    @Test
    void readOnlyDeviceRefusesWritesWithWriteProtected() throws Exception {
        assumeTrue(supportsReadOnly(), "backend cannot open a read-only device in this environment");
        BlockDevice d = open("readOnly", "true");
        assertTrue(d.geometry().readOnly());
        int bs = d.geometry().blockSize();
        assertSense(Sense.WRITE_PROTECTED, writeFailure(d, 0, new byte[bs]), "write");
        if (d.geometry().unmapGranularityBlocks() > 0) {
            IoProbe<Void> u = probe("unmap on read-only");
            d.unmap(0, 1, u);
            assertSense(Sense.WRITE_PROTECTED, u.awaitFailure(), "unmap");
        }
        assertEquals(2 * bs, readBytes(d, 0, 2).length);
        IoProbe<Void> flush = probe("flush on read-only");
        d.flush(flush);
        flush.awaitSuccess();
    }

    // ---------------------------------------------------------------- completions and threads

    @Test
    void everyIoCompletesExactlyOnce() throws Exception {
        BlockDevice d = open();
        int bs = d.geometry().blockSize();
        List<IoProbe<?>> mine = new ArrayList<>();
        List<DataBuffer> sources = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            DataBuffer src = directCopy(pattern(i * 16L, 16, bs, i));
            sources.add(src);
            IoProbe<Void> w = probe("write " + i);
            d.write(i * 16L, src, (i & 1) == 0, w);
            mine.add(w);
            IoProbe<DataBuffer> r = probe("read " + i);
            d.read(i * 16L + 5000, 3, r);
            mine.add(r);
            IoProbe<Void> bad = probe("bad read " + i);
            d.read(d.geometry().blockCount(), 1, new ForwardingDataProbe(bad));
            mine.add(bad);
        }
        IoProbe<Void> f = probe("flush");
        d.flush(f);
        mine.add(f);
        for (IoProbe<?> p : mine) {
            IoProbe.Outcome<?> o = p.await();
            if (o.result() instanceof DataBuffer b) {
                b.release();
            }
        }
        closeNow(d);
        for (IoProbe<?> p : mine) {
            assertEquals(1, p.calls(), p.what() + " completions");
        }
        sources.forEach(DataBuffer::release);
    }

    /** Adapts a read completion to a probe of no result, for I/Os that must fail. */
    private static final class ForwardingDataProbe implements IoCompletion<DataBuffer> {
        private final IoProbe<Void> target;

        ForwardingDataProbe(IoProbe<Void> target) {
            this.target = target;
        }

        @Override
        public void completed(DataBuffer result) {
            result.release();
            target.completed(null);
        }

        @Override
        public void failed(Sense sense) {
            target.failed(sense);
        }
    }

    @Test
    void concurrentWritersAndReadersOnDisjointRangesSeeTheirOwnData() throws Exception {
        BlockDevice d = open();
        int bs = d.geometry().blockSize();
        int threads = 4;
        int rounds = 40;
        // Ranges interleave within shared internal pages: in every stretch of 24 blocks thread t
        // owns blocks 3t..3t+2, so threads contend on the same pages but never on a block.
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    for (int round = 0; round < rounds; round++) {
                        long lba = (round * 37L % 200) * 24 + id * 3L + 1536L * (round % 5);
                        byte[] data = pattern(lba, 3, bs, id * 1000 + round);
                        writeBytes(d, lba, data, round % 7 == 0);
                        byte[] back = readBytes(d, lba, 3);
                        if (!Arrays.equals(data, back)) {
                            throw new AssertionError("thread " + id + " round " + round + " read other data at " + lba);
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "contract-io-" + t);
            workers.add(w);
            w.start();
        }
        start.countDown();
        for (Thread w : workers) {
            w.join(TimeUnit.SECONDS.toMillis(IoProbe.WAIT_SECONDS * 2));
            assertFalse(w.isAlive(), w.getName() + " hung");
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError(errors.size() + " worker(s) failed");
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }

    @Test
    void concurrentReadersDuringOverwritesSeeWholeVersionsPerBlock() throws Exception {
        BlockDevice d = open();
        int bs = d.geometry().blockSize();
        long lba = 64 * 1024 / bs - 1;
        int blocks = 4;
        writeBytes(d, lba, pattern(lba, blocks, bs, 0), false);
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        int versions = 30;
        Thread writer = new Thread(() -> {
            try {
                for (int v = 1; v <= versions; v++) {
                    writeBytes(d, lba, pattern(lba, blocks, bs, v), false);
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        }, "contract-overwriter");
        Thread reader = new Thread(() -> {
            try {
                for (int i = 0; i < versions * 2; i++) {
                    byte[] got = readBytes(d, lba, blocks);
                    for (int b = 0; b < blocks; b++) {
                        assertBlockIsSomeVersion(got, b, lba + b, bs, versions);
                    }
                }
            } catch (Throwable e) {
                errors.add(e);
            }
        }, "contract-reader");
        writer.start();
        reader.start();
        writer.join(TimeUnit.SECONDS.toMillis(IoProbe.WAIT_SECONDS * 2));
        reader.join(TimeUnit.SECONDS.toMillis(IoProbe.WAIT_SECONDS * 2));
        assertFalse(writer.isAlive() || reader.isAlive(), "overwrite test hung");
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError(errors.size() + " thread(s) failed");
            errors.forEach(e::addSuppressed);
            throw e;
        }
        assertArrayEquals(pattern(lba, blocks, bs, versions), readBytes(d, lba, blocks));
    }

    private static void assertBlockIsSomeVersion(byte[] got, int b, long block, int bs, int versions) {
        byte[] mine = Arrays.copyOfRange(got, b * bs, (b + 1) * bs);
        for (int v = 0; v <= versions; v++) {
            if (Arrays.equals(mine, pattern(block, 1, bs, v))) {
                return;
            }
        }
        throw new AssertionError("block " + block + " is torn: not any single written version");
    }

    // ---------------------------------------------------------------- resize and close

    @Test
    void resizeGrowsAndShrinks() throws Exception {
        assumeTrue(supportsResize(), "backend cannot resize");
        BlockDevice d = open();
        Geometry g = d.geometry();
        int bs = g.blockSize();
        long n = g.blockCount();
        writeBytes(d, n - 2, pattern(n - 2, 2, bs, 1), false);
        d.resize(n * 2);
        assertEquals(n * 2, d.geometry().blockCount());
        assertArrayEquals(pattern(n - 2, 2, bs, 1), readBytes(d, n - 2, 2), "data survives growth");
        assertTrue(allZero(readBytes(d, n, 16)), "grown space reads as zeros");
        writeAndVerify(d, n * 2 - 3, 3, 2);
        d.resize(n / 2);
        assertEquals(n / 2, d.geometry().blockCount());
        assertSense(Sense.LBA_OUT_OF_RANGE, readFailure(d, n / 2, 1), "read beyond the shrunk end");
        assertSense(Sense.LBA_OUT_OF_RANGE, writeFailure(d, n - 2, new byte[bs]), "write beyond the shrunk end");
        writeAndVerify(d, n / 2 - 1, 1, 3);
        // Growing again must not resurrect the data cut off by the shrink.
        d.resize(n);
        assertTrue(allZero(readBytes(d, n - 2, 2)), "data cut by a shrink came back");
    }

    @Test
    void resizeToZeroOrNegativeIsRefused() throws Exception {
        assumeTrue(supportsResize(), "backend cannot resize");
        BlockDevice d = open();
        long n = d.geometry().blockCount();
        try {
            d.resize(-1);
            fail("resize(-1) accepted");
        } catch (BackendException expected) {
            assertNotNull(expected.getMessage());
        }
        assertEquals(n, d.geometry().blockCount());
    }

    @Test
    void closeWaitsForOutstandingIoAndIsIdempotent() throws Exception {
        BlockDevice d = open();
        int bs = d.geometry().blockSize();
        List<IoProbe<Void>> writes = new ArrayList<>();
        List<DataBuffer> sources = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            DataBuffer src = directCopy(pattern(i * 64L, 64, bs, i));
            sources.add(src);
            IoProbe<Void> w = probe("write before close " + i);
            d.write(i * 64L, src, false, w);
            writes.add(w);
        }
        closeNow(d);
        for (IoProbe<Void> w : writes) {
            assertTrue(w.isDone(), w.what() + " was still outstanding when close() returned");
            assertEquals(1, w.calls());
        }
        d.close();
        sources.forEach(DataBuffer::release);
    }

    @Test
    void ioAfterCloseFailsInsteadOfThrowing() throws Exception {
        BlockDevice d = open();
        closeNow(d);
        IoProbe<DataBuffer> r = probe("read after close");
        d.read(0, 1, r);
        assertNotNull(r.awaitFailure(), "read after close must fail with a sense");
        DataBuffer src = DataBuffers.wrap(new byte[d.geometry().blockSize()]);
        IoProbe<Void> w = probe("write after close");
        d.write(0, src, false, w);
        w.awaitFailure();
        src.release();
    }

    @Test
    void dataSurvivesAcrossManyOperations() throws Exception {
        BlockDevice d = open("blockSize", "4096");
        int bs = 4096;
        Map<Long, Integer> written = new HashMap<>();
        Random rnd = new Random(42);
        long n = d.geometry().blockCount();
        for (int i = 0; i < 200; i++) {
            long lba = rnd.nextInt((int) Math.min(n - 8, Integer.MAX_VALUE));
            int blocks = 1 + rnd.nextInt(8);
            writeBytes(d, lba, pattern(lba, blocks, bs, i), false);
            for (int b = 0; b < blocks; b++) {
                written.put(lba + b, i);
            }
        }
        for (Map.Entry<Long, Integer> e : written.entrySet()) {
            assertArrayEquals(pattern(e.getKey(), 1, bs, e.getValue()), readBytes(d, e.getKey(), 1),
                    "block " + e.getKey());
        }
    }
}
