package dev.lunar.backend.ramdisk.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.Provisioning;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.testkit.backend.IoProbe;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What only the RAM disk promises: sparseness, huge offsets, the shared zero page, copy-on-write. */
class RamDiskTest {

    private static final int PAGE = PageMemory.PAGE_SIZE;

    private final RamDiskBackend backend = new RamDiskBackend();
    private RamDisk disk;
    private long liveAtStart;

    @BeforeEach
    void start() {
        liveAtStart = BufferLeakDetector.live();
    }

    @AfterEach
    void stop() {
        if (disk != null) {
            disk.close();
            assertEquals(0, disk.allocatedBytes(), "close frees every page");
        }
        assertEquals(0, backend.openCount());
        assertEquals(liveAtStart, BufferLeakDetector.live(), "leaked buffers");
    }

    private RamDisk open(String... kv) throws BackendException {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            o.put(kv[i], kv[i + 1]);
        }
        disk = (RamDisk) backend.open("t", o);
        return disk;
    }

    private void write(long lba, byte[] bytes) {
        DataBuffer src = DataBuffers.wrap(bytes);
        IoProbe<Void> p = new IoProbe<>("write " + lba);
        disk.write(lba, src, false, p);
        p.awaitSuccess();
        src.release();
    }

    private Sense writeFailure(long lba, byte[] bytes) {
        DataBuffer src = DataBuffers.wrap(bytes);
        IoProbe<Void> p = new IoProbe<>("write " + lba);
        disk.write(lba, src, false, p);
        src.release();
        return p.awaitFailure();
    }

    private DataBuffer read(long lba, int blocks) {
        IoProbe<DataBuffer> p = new IoProbe<>("read " + lba);
        disk.read(lba, blocks, p);
        return p.awaitSuccess();
    }

    private byte[] readBytes(long lba, int blocks) {
        DataBuffer b = read(lba, blocks);
        try {
            return b.toByteArray();
        } finally {
            b.release();
        }
    }

    private static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void memoryIsTakenOnFirstWriteAndGivenBackByUnmap() throws Exception {
        open("size", "1G");
        assertEquals(0, disk.allocatedBytes(), "a new RAM disk holds no page memory");
        write(0, filled(512, 1));
        assertEquals(PAGE, disk.allocatedBytes(), "one block costs one page");
        write(1, filled(512, 2));
        assertEquals(PAGE, disk.allocatedBytes(), "a second block in the same page costs nothing");
        write(PAGE / 512 * 100 - 1, filled(1024, 3)); // straddles pages 99 and 100
        assertEquals(3L * PAGE, disk.allocatedBytes());
        IoProbe<Void> u = new IoProbe<>("unmap page 0");
        disk.unmap(0, PAGE / 512, u);
        u.awaitSuccess();
        assertEquals(2L * PAGE, disk.allocatedBytes(), "unmap of a whole page frees it");
        IoProbe<Void> partial = new IoProbe<>("unmap half of page 99");
        disk.unmap(PAGE / 512 * 99, PAGE / 1024, partial);
        partial.awaitSuccess();
        assertEquals(2L * PAGE, disk.allocatedBytes(), "a partial unmap zeros but keeps the page");
        assertArrayEquals(filled(512, 3), readBytes(PAGE / 512 * 100 - 1, 1));
    }

    @Test
    void physicalBlockSizeBecomesTheExponent() throws Exception {
        open("size", "64M", "blockSize", "512", "physicalBlockSize", "4096");
        assertEquals(3, disk.geometry().physicalBlockExponent());
        assertEquals(0, disk.geometry().unmapGranularityBlocks() % 8, "UNMAP granule is whole physical blocks");
        disk.close();
        open("size", "64M");
        assertEquals(0, disk.geometry().physicalBlockExponent(), "default: physical = logical");
        for (String bad : new String[] {"256", "3000", "128K", "x"}) {
            assertThrows(BackendException.class, () -> backend.open("p", Map.of("size", "64M",
                    "physicalBlockSize", bad)), bad);
        }
    }

    @Test
    void offsetsBeyondTwoAndFourGibWork() throws Exception {
        open("size", "8GiB", "blockSize", "512");
        long lba3g = (3L << 30) / 512 + 7;
        long lba4g = (4L << 30) / 512 - 1; // straddles the 4 GiB boundary (int overflow of bytes)
        long last = (8L << 30) / 512 - 1;
        byte[] a = filled(512 * 3, 0x5a);
        byte[] b = filled(1024, 0x6b);
        write(lba3g, a);
        write(lba4g, b);
        write(last, filled(512, 0x7c));
        assertArrayEquals(a, readBytes(lba3g, 3));
        assertArrayEquals(b, readBytes(lba4g, 2));
        assertArrayEquals(filled(512, 0x7c), readBytes(last, 1));
        assertArrayEquals(new byte[512], readBytes(lba3g - 1, 1), "the block before stays zero");
        // Blocks at the same offsets modulo 2^31 and 2^32 stay untouched (no truncated offsets).
        assertArrayEquals(new byte[1536], readBytes(lba3g - (2L << 30) / 512, 3));
        assertArrayEquals(new byte[1536], readBytes(lba3g + (4L << 30) / 512, 3));
        assertArrayEquals(new byte[512], readBytes(0, 1));
        assertArrayEquals(new byte[512], readBytes(lba4g - (2L << 30) / 512, 1));
        assertEquals(3L * PAGE + PAGE, disk.allocatedBytes(), "four pages: 3G, two around 4G, the last");
    }

    @Test
    void hugeSparseDevicesOpenWithoutMemory() throws Exception {
        open("size", "2T", "blockSize", "4096");
        assertEquals((2L << 40) / 4096, disk.geometry().blockCount());
        assertEquals(0, disk.allocatedBytes());
        long lba = (1L << 40) / 4096 + 3;
        write(lba, filled(4096, 9));
        assertArrayEquals(filled(4096, 9), readBytes(lba, 1));
        assertEquals(PAGE, disk.allocatedBytes());
        IoProbe<Provisioning> p = new IoProbe<>("provisioning 0");
        disk.provisioning(0, p);
        Provisioning run = p.awaitSuccess();
        assertFalse(run.mapped());
        assertEquals((1L << 40) / 4096, run.blocks(), "the unmapped run reaches the written page");
    }

    @Test
    void neverWrittenBlocksShareTheZeroPage() throws Exception {
        open("size", "64M");
        DataBuffer a = read(5, 200); // crosses a page boundary: two zero segments
        DataBuffer b = read(10_000, 8);
        try {
            assertEquals(0, disk.allocatedBytes(), "reading holes allocates nothing");
            ByteBuffer[] segs = a.nioBuffers(0, a.length());
            assertEquals(2, segs.length);
            for (ByteBuffer s : segs) {
                assertTrue(s.isDirect() && s.isReadOnly(), "zero segments are the shared read-only page");
            }
            assertTrue(Arrays.equals(new byte[a.length()], a.toByteArray()));
            assertTrue(b.nioBuffers(0, b.length())[0].isReadOnly());
        } finally {
            a.release();
            b.release();
        }
    }

    @Test
    void readsReferencePageMemoryWithoutCopying() throws Exception {
        open("size", "64M");
        write(0, filled(512 * 4, 0x11));
        DataBuffer first = read(0, 4);
        DataBuffer second = read(0, 4);
        try {
            ByteBuffer x = first.nioBuffers(0, first.length())[0];
            ByteBuffer y = second.nioBuffers(0, second.length())[0];
            // Both reads see the same memory: a write through one view shows in the other.
            x.put(0, (byte) 0x22);
            assertEquals(0x22, y.get(0));
            assertFalse(x.isReadOnly());
            x.put(0, (byte) 0x11);
        } finally {
            first.release();
            second.release();
        }
    }

    @Test
    void aWriteUnderAReaderCopiesThePageAndTheOldCopyIsFreedByTheReader() throws Exception {
        open("size", "64M");
        write(0, filled(512, 0x11));
        assertEquals(PAGE, disk.allocatedBytes());
        DataBuffer held = read(0, 1);
        write(0, filled(512, 0x22));
        assertEquals(2L * PAGE, disk.allocatedBytes(), "the write got its own copy of the page");
        assertEquals(1, disk.copyOnWrites());
        assertArrayEquals(filled(512, 0x11), held.toByteArray(), "the reader keeps the data as of its read");
        assertArrayEquals(filled(512, 0x22), readBytes(0, 1));
        held.release();
        assertEquals(PAGE, disk.allocatedBytes(), "the old copy is freed with its last reader");
        write(0, filled(512, 0x33));
        assertEquals(PAGE, disk.allocatedBytes(), "without readers the page is written in place");
        assertEquals(1, disk.copyOnWrites(), "no copy without readers");
        assertArrayEquals(filled(512, 0x33), readBytes(0, 1));
    }

    @Test
    void unmapUnderAReaderKeepsTheReadersBytes() throws Exception {
        open("size", "64M");
        write(128, filled(512, 0x44));
        DataBuffer held = read(128, 1);
        IoProbe<Void> u = new IoProbe<>("unmap");
        disk.unmap(128, PAGE / 512, u);
        u.awaitSuccess();
        assertArrayEquals(filled(512, 0x44), held.toByteArray());
        assertArrayEquals(new byte[512], readBytes(128, 1));
        assertEquals(PAGE, disk.allocatedBytes(), "the reader still pins the unmapped page");
        held.release();
        assertEquals(0, disk.allocatedBytes());
    }

    @Test
    void memoryLimitTurnsIntoSpaceAllocationFailed() throws Exception {
        open("size", "1G", "memoryLimit", "128K");
        write(0, filled(512, 1));
        write(PAGE / 512, filled(512, 2));
        Sense s = writeFailure(2L * PAGE / 512, filled(512, 3));
        assertEquals(Sense.SPACE_ALLOCATION_FAILED, s);
        assertEquals(2L * PAGE, disk.allocatedBytes());
        // Rewriting allocated pages still works, and unmap makes room again.
        write(1, filled(512, 4));
        IoProbe<Void> u = new IoProbe<>("unmap");
        disk.unmap(0, PAGE / 512, u);
        u.awaitSuccess();
        write(2L * PAGE / 512, filled(512, 3));
        assertArrayEquals(filled(512, 3), readBytes(2L * PAGE / 512, 1));
    }

    @Test
    void sizeNotAMultipleOfThePageSizeUnmapsToTheEnd() throws Exception {
        open("size", Long.toString(PAGE * 3L + 4096));
        long last = disk.geometry().blockCount() - 1;
        write(last - 1, filled(1024, 7));
        assertEquals(PAGE, disk.allocatedBytes());
        IoProbe<Void> u = new IoProbe<>("unmap tail");
        disk.unmap(3L * PAGE / 512, 8, u);
        u.awaitSuccess();
        assertEquals(0, disk.allocatedBytes(), "a tail page unmapped to the device end is freed");
    }

    @Test
    void shrinkFreesPagesBeyondTheNewEnd() throws Exception {
        open("size", "64M");
        write(0, filled(512, 1));
        write((32L << 20) / 512, filled(512, 2));
        write((48L << 20) / 512, filled(512, 3));
        assertEquals(3L * PAGE, disk.allocatedBytes());
        disk.resize((40L << 20) / 512);
        assertEquals(2L * PAGE, disk.allocatedBytes());
        disk.resize((64L << 20) / 512);
        assertArrayEquals(new byte[512], readBytes((48L << 20) / 512, 1));
        assertArrayEquals(filled(512, 2), readBytes((32L << 20) / 512, 1));
    }

    @Test
    void openRefusesBadOptionsWithASentence() {
        Map<String, String> noSize = Map.of("blockSize", "512");
        BackendException e1 = assertThrows(BackendException.class, () -> backend.open("lunA", noSize));
        assertTrue(e1.getMessage().contains("lunA") && e1.getMessage().contains("size=1G"), e1.getMessage());
        BackendException e2 = assertThrows(BackendException.class,
                () -> backend.open("lunA", Map.of("size", "1000")));
        assertTrue(e2.getMessage().contains("multiple of blockSize 512") && e2.getMessage().contains("1024"),
                e2.getMessage());
        BackendException e3 = assertThrows(BackendException.class,
                () -> backend.open("lunA", Map.of("size", "1G", "blockSize", "4096", "writeCache", "perhaps")));
        assertTrue(e3.getMessage().contains("writeCache=perhaps"), e3.getMessage());
        assertThrows(BackendException.class, () -> backend.open("lunA", Map.of("size", "1E")));
        assertThrows(BackendException.class, () -> backend.open("lunA", Map.of("size", "0")));
        assertEquals(0, backend.openCount(), "nothing half-opened");
    }

    @Test
    void deactivateClosesWhatTheCoreLeftOpen() throws Exception {
        RamDisk a = (RamDisk) backend.open("a", Map.of("size", "1M"));
        backend.open("b", Map.of("size", "1M"));
        assertEquals(2, backend.openCount());
        backend.deactivate();
        assertEquals(0, backend.openCount());
        IoProbe<DataBuffer> r = new IoProbe<>("read after deactivate");
        a.read(0, 1, r);
        assertEquals(RamDisk.CLOSED, r.awaitFailure());
    }

    @Test
    void copyOnWriteFramesAreDistinctMemory() throws Exception {
        open("size", "1M");
        write(0, filled(512, 1));
        DataBuffer held = read(0, 1);
        write(0, filled(512, 2));
        DataBuffer fresh = read(0, 1);
        try {
            assertNotSame(held.nioBuffers(0, 512)[0], fresh.nioBuffers(0, 512)[0]);
            assertEquals(1, held.nioBuffers(0, 512)[0].get(0));
            assertEquals(2, fresh.nioBuffers(0, 512)[0].get(0));
        } finally {
            held.release();
            fresh.release();
        }
    }

    @Test
    void heldReadsStayWholeWhileWritersRaceThem() throws Exception {
        open("size", "4M");
        int blocks = 4;
        long lba = PAGE / 512 - 2; // two blocks in each of two pages
        int versions = 300;
        write(lba, versionOf(lba, blocks, 0));
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.List<Throwable> errors = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Thread writer = new Thread(() -> {
            try {
                for (int v = 1; v <= versions; v++) {
                    write(lba, versionOf(lba, blocks, v));
                }
            } catch (Throwable e) {
                errors.add(e);
            } finally {
                done.set(true);
            }
        }, "ramdisk-writer");
        java.util.List<Thread> readers = new java.util.ArrayList<>();
        for (int r = 0; r < 2; r++) {
            Thread reader = new Thread(() -> {
                try {
                    while (!done.get()) {
                        DataBuffer held = read(lba, blocks);
                        try {
                            byte[] first = held.toByteArray();
                            Thread.yield(); // let the writer run while we hold the pages
                            byte[] again = held.toByteArray();
                            if (!Arrays.equals(first, again)) {
                                throw new AssertionError("a held read changed under its holder");
                            }
                            for (int b = 0; b < blocks; b++) {
                                int v = first[b * 512] & 0xff;
                                byte[] block = Arrays.copyOfRange(first, b * 512, (b + 1) * 512);
                                if (!Arrays.equals(block, versionOf(lba + b, 1, v))) {
                                    throw new AssertionError("block " + (lba + b) + " is torn");
                                }
                            }
                        } finally {
                            held.release();
                        }
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "ramdisk-reader-" + r);
            readers.add(reader);
        }
        readers.forEach(Thread::start);
        writer.start();
        writer.join(60_000);
        for (Thread t : readers) {
            t.join(60_000);
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError(errors.size() + " thread(s) failed");
            errors.forEach(e::addSuppressed);
            throw e;
        }
        assertArrayEquals(versionOf(lba, blocks, versions), readBytes(lba, blocks));
        assertEquals(2L * PAGE, disk.allocatedBytes(), "every copy-on-write frame was freed by its readers");
    }

    /** Block contents that name their version in byte 0 and differ per block and version. */
    private static byte[] versionOf(long lba, int blocks, int version) {
        byte[] out = new byte[blocks * 512];
        for (int b = 0; b < blocks; b++) {
            out[b * 512] = (byte) version;
            for (int i = 1; i < 512; i++) {
                out[b * 512 + i] = (byte) (version * 31 + (lba + b) * 7 + i);
            }
        }
        return out;
    }

    @Test
    void aFileRegionSourceIsStagedBeforeThePagesAreTouched() throws Exception {
        open("size", "4M");
        java.nio.file.Path f = java.nio.file.Files.createTempFile("lunar-ramdisk", ".bin");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(filled(1024, 0x3c)), 0);
            DataBuffer region = DataBuffers.file(ch, 0, 1024, null);
            IoProbe<Void> w = new IoProbe<>("write from a file region");
            disk.write(20, region, false, w);
            w.awaitSuccess();
            region.release();
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
        assertArrayEquals(filled(1024, 0x3c), readBytes(20, 2));
    }
}
