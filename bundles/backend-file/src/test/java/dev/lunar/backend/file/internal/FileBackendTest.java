package dev.lunar.backend.file.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.buffer.BufferLeakDetector;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.buffer.FileRegion;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.testkit.backend.IoProbe;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only the file backend promises: creating, extending, refusing, durability, file regions. */
class FileBackendTest {

    @TempDir
    Path dir;

    private final FileBackend backend = new FileBackend();
    private final List<BlockDevice> opened = new ArrayList<>();
    private long liveAtStart;

    @BeforeEach
    void start() {
        liveAtStart = BufferLeakDetector.live();
    }

    @AfterEach
    void stop() {
        opened.forEach(BlockDevice::close);
        assertEquals(0, backend.openCount());
        assertEquals(liveAtStart, BufferLeakDetector.live(), "leaked buffers");
    }

    private FileDevice open(String... kv) throws BackendException {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            o.put(kv[i], kv[i + 1]);
        }
        FileDevice d = (FileDevice) backend.open("lun", o);
        opened.add(d);
        return d;
    }

    private BackendException refused(String... kv) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            o.put(kv[i], kv[i + 1]);
        }
        return assertThrows(BackendException.class, () -> opened.add(backend.open("lun", o)));
    }

    private static void write(BlockDevice d, long lba, byte[] bytes, boolean fua) {
        DataBuffer src = DataBuffers.wrap(bytes);
        IoProbe<Void> p = new IoProbe<>("write " + lba);
        d.write(lba, src, fua, p);
        p.awaitSuccess();
        src.release();
    }

    private static byte[] read(BlockDevice d, long lba, int blocks) {
        IoProbe<DataBuffer> p = new IoProbe<>("read " + lba);
        d.read(lba, blocks, p);
        DataBuffer b = p.awaitSuccess();
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

    private Path makeFile(String name, long length) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(length);
        }
        return p;
    }

    /** 512-byte blocks the file system has allocated for {@code p}, from stat(1); -1 if unknown. */
    private static long allocatedBlocks(Path p) throws Exception {
        Process proc = new ProcessBuilder("stat", "-c", "%b", p.toString()).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes()).trim();
        if (!proc.waitFor(10, TimeUnit.SECONDS) || proc.exitValue() != 0) {
            return -1;
        }
        return Long.parseLong(out);
    }

    // ------------------------------------------------------------------ creating and sizing

    @Test
    void aMissingFileIsCreatedSparse() throws Exception {
        Path p = dir.resolve("new.img");
        FileDevice d = open("path", p.toString(), "size", "1G");
        assertTrue(Files.isRegularFile(p));
        assertEquals(1L << 30, Files.size(p));
        assertEquals((1L << 30) / 512, d.geometry().blockCount());
        long blocks = allocatedBlocks(p);
        assumeTrue(blocks >= 0, "stat(1) not available to check sparseness");
        assertTrue(blocks < 1024, "a new 1 GiB LUN allocated " + blocks + " sectors: not sparse");
    }

    @Test
    void aShorterFileIsExtendedKeepingItsData() throws Exception {
        Path p = makeFile("short.img", 1 << 20);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(filled(512, 0x42));
        }
        FileDevice d = open("path", p.toString(), "size", "4M");
        assertEquals(4L << 20, Files.size(p));
        assertArrayEquals(filled(512, 0x42), read(d, 0, 1));
        assertArrayEquals(new byte[512], read(d, (4L << 20) / 512 - 1, 1));
    }

    @Test
    void anExistingFileWithoutSizeUsesItsLength() throws Exception {
        Path p = makeFile("plain.img", 3 << 20);
        FileDevice d = open("path", p.toString(), "blockSize", "4096");
        assertEquals((3L << 20) / 4096, d.geometry().blockCount());
        assertEquals(4096, d.geometry().blockSize());
    }

    @Test
    void geometryReportsWriteCacheAndUnmapUnlessTurnedOff() throws Exception {
        Path p = dir.resolve("g.img");
        FileDevice d = open("path", p.toString(), "size", "8M");
        assertTrue(d.geometry().writeCache(), "write-back is the default");
        long fsBlock = Files.getFileStore(p).getBlockSize();
        assertEquals(Math.max(1, fsBlock / 512), d.geometry().unmapGranularityBlocks(),
                "UNMAP granularity is the file system block: " + d.unmapPlan());
        assertTrue(d.geometry().thinProvisioned());
        FileDevice off = open("path", dir.resolve("off.img").toString(), "size", "8M", "unmap", "false");
        assertEquals(0, off.geometry().unmapGranularityBlocks());
        assertFalse(off.geometry().thinProvisioned());
        FileDevice wt = open("path", dir.resolve("wt.img").toString(), "size", "8M", "writeCache", "false");
        assertFalse(wt.geometry().writeCache());
    }

    // ---------------------------------------------------------------------------- refusals

    @Test
    void badConfigurationsAreRefusedWithASentenceAndLeaveNothingBehind() throws Exception {
        assertTrue(refused("size", "1G").getMessage().contains("needs option path"));
        assertTrue(refused("path", dir.toString(), "size", "1G").getMessage().contains("is a directory"));
        Path missing = dir.resolve("missing.img");
        assertTrue(refused("path", missing.toString()).getMessage().contains("does not exist"));
        assertTrue(refused("path", missing.toString(), "size", "1G", "create", "false").getMessage()
                .contains("does not exist"));
        assertTrue(refused("path", dir.resolve("no/such/dir/x.img").toString(), "size", "1G").getMessage()
                .contains("directory"));
        assertTrue(refused("path", missing.toString(), "size", "1000").getMessage().contains("multiple of blockSize"));
        assertTrue(refused("path", missing.toString(), "size", "1G", "readOnly", "true").getMessage()
                .contains("needs an existing file"));
        assertTrue(refused("path", missing.toString(), "size", "1G", "ioThreads", "0").getMessage()
                .contains("ioThreads=0"));
        assertTrue(refused("path", missing.toString(), "size", "1G", "direct", "true").getMessage()
                .contains("blockSize"));
        assertTrue(refused("path", missing.toString(), "size", "1G", "direct", "true", "blockSize", "4096",
                "zeroCopyRead", "true").getMessage().contains("exclude each other"));
        assertFalse(Files.exists(missing), "a refused LUN left its file behind");
        assertFalse(Files.exists(dir.resolve("no")), "a refused LUN created directories");

        Path odd = makeFile("odd.img", 1000);
        assertTrue(refused("path", odd.toString()).getMessage().contains("not a multiple of blockSize"));
        Path empty = makeFile("empty.img", 0);
        assertTrue(refused("path", empty.toString()).getMessage().contains("is empty"));
        Path big = makeFile("big.img", 8 << 20);
        assertTrue(refused("path", big.toString(), "size", "4M").getMessage().contains("more than size"));
        assertEquals(8L << 20, Files.size(big), "a refused LUN changed the file");
        Path small = makeFile("small.img", 1 << 20);
        assertTrue(refused("path", small.toString(), "size", "4M", "readOnly", "true").getMessage()
                .contains("cannot extend"));
        assertEquals(1L << 20, Files.size(small));
        assertEquals(0, backend.openCount());
    }

    @Test
    void aFifoIsNeitherAFileNorABlockDevice() throws Exception {
        Path fifo = dir.resolve("fifo");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo not available");
        assertTrue(refused("path", fifo.toString()).getMessage().contains("neither a regular file nor a block device"));
    }

    @Test
    void anUnwritableFileNeedsReadOnly() throws Exception {
        assumeTrue(!"root".equals(System.getProperty("user.name")),
                "running as root: permission bits do not stop root from writing");
        Path p = makeFile("ro.img", 1 << 20);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r--r--r--"));
        BackendException e = refused("path", p.toString());
        assertTrue(e.getMessage().contains("not writable") && e.getMessage().contains("readOnly=true"), e.getMessage());
        assertNotNull(open("path", p.toString(), "readOnly", "true"));
    }

    /** A backend whose O_DIRECT open fails as open(2) does on a file system without it (EINVAL). */
    private static FileBackend backendWithoutDirectIo() {
        return new FileBackend((path, options) -> {
            if (options.stream().anyMatch(o -> o.toString().equals("DIRECT"))) {
                throw new IOException("Invalid argument");
            }
            return java.nio.channels.FileChannel.open(path, options);
        });
    }

    @Test
    void aFailureAfterCreatingTheFileDeletesIt() throws Exception {
        Path p = dir.resolve("created.img");
        FileBackend failing = backendWithoutDirectIo();
        BackendException e = assertThrows(BackendException.class, () -> failing.open("lun",
                Map.of("path", p.toString(), "size", "1M", "direct", "true", "blockSize", "4096")));
        assertTrue(e.getMessage().contains("cannot open " + p) && e.getMessage().contains("Invalid argument"),
                e.getMessage());
        assertFalse(Files.exists(p), "the half-created file is still there");
        assertEquals(0, failing.openCount());
        // The path is free again for a LUN that works.
        assertNotNull(open("path", p.toString(), "size", "1M"));
    }

    @Test
    void aFailureAfterExtendingTheFileTruncatesItBack() throws Exception {
        Path p = makeFile("extended.img", 1 << 20);
        FileBackend failing = backendWithoutDirectIo();
        assertThrows(BackendException.class, () -> failing.open("lun",
                Map.of("path", p.toString(), "size", "4M", "direct", "true", "blockSize", "4096")));
        assertEquals(1L << 20, Files.size(p), "the file kept the refused LUN's size");
    }

    @Test
    void twoLunsCannotWriteTheSameFile() throws Exception {
        Path p = makeFile("shared.img", 1 << 20);
        open("path", p.toString());
        BackendException e = refused("path", dir.resolve("./shared.img").toString());
        assertTrue(e.getMessage().contains("already in use by LUN lun"), e.getMessage());
        assertNotNull(open("path", p.toString(), "readOnly", "true"), "a read-only second LUN is fine");
    }

    // ------------------------------------------------------------------- read-only, resize

    @Test
    void readOnlyLunsRefuseWritesAndResize() throws Exception {
        Path p = makeFile("ro.img", 1 << 20);
        FileDevice d = open("path", p.toString(), "readOnly", "true");
        IoProbe<Void> w = new IoProbe<>("write");
        DataBuffer src = DataBuffers.wrap(new byte[512]);
        d.write(0, src, false, w);
        src.release();
        assertEquals(Sense.WRITE_PROTECTED, w.awaitFailure());
        BackendException e = assertThrows(BackendException.class, () -> d.resize(4096));
        assertTrue(e.getMessage().contains("read-only"));
    }

    @Test
    void resizeChangesTheFile() throws Exception {
        Path p = dir.resolve("r.img");
        FileDevice d = open("path", p.toString(), "size", "1M");
        d.resize(8192);
        assertEquals(8192L * 512, Files.size(p));
        d.resize(1024);
        assertEquals(1024L * 512, Files.size(p));
    }

    // ------------------------------------------------------------------------ durability

    @Test
    void fuaWritesAreThereAfterReopening() throws Exception {
        Path p = dir.resolve("durable.img");
        FileDevice first = open("path", p.toString(), "size", "16M");
        write(first, 100, filled(4096, 0x5a), true);
        write(first, 9000, filled(1024, 0x6b), false);
        IoProbe<Void> flush = new IoProbe<>("flush");
        first.flush(flush);
        flush.awaitSuccess();
        first.close();
        opened.remove(first);
        FileDevice second = open("path", p.toString());
        assertEquals((16L << 20) / 512, second.geometry().blockCount());
        assertArrayEquals(filled(4096, 0x5a), read(second, 100, 8));
        assertArrayEquals(filled(1024, 0x6b), read(second, 9000, 2));
    }

    @Test
    void writeThroughWritesAreThereAfterReopening() throws Exception {
        Path p = dir.resolve("wt.img");
        FileDevice first = open("path", p.toString(), "size", "4M", "writeCache", "false");
        write(first, 7, filled(512, 0x17), false);
        first.close();
        opened.remove(first);
        assertArrayEquals(filled(512, 0x17), read(open("path", p.toString()), 7, 1));
    }

    // -------------------------------------------------------------------- zero-copy reads

    @Test
    void zeroCopyReadsAreFileRegionsThatKeepTheChannelOpen() throws Exception {
        Path p = dir.resolve("zc.img");
        FileDevice d = open("path", p.toString(), "size", "4M");
        assertTrue(d.zeroCopyRead());
        write(d, 10, filled(1024, 0x33), false);
        IoProbe<DataBuffer> r = new IoProbe<>("read");
        d.read(10, 2, r);
        DataBuffer region = r.awaitSuccess();
        try {
            FileRegion fr = region.fileRegion();
            assertNotNull(fr, "a zero-copy read is a file region");
            assertNull(region.nioBuffers(0, region.length()));
            assertEquals(10 * 512, fr.position());
            assertEquals(1024, fr.count());
            assertEquals(2, d.channelReferences(), "the region holds the channel");
            // The LUN goes away while a transport still sends the region: the channel stays open.
            d.close();
            opened.remove(d);
            assertTrue(fr.channel().isOpen(), "closing the LUN closed a channel a region still uses");
            ByteBuffer sent = ByteBuffer.allocate(1024);
            assertEquals(1024, fr.channel().read(sent, fr.position()));
            assertArrayEquals(filled(1024, 0x33), sent.array());
            assertArrayEquals(filled(1024, 0x33), region.toByteArray());
        } finally {
            region.release();
        }
        assertEquals(0, d.channelReferences());
    }

    @Test
    void copyingReadsAreMemory() throws Exception {
        Path p = dir.resolve("copy.img");
        FileDevice d = open("path", p.toString(), "size", "4M", "zeroCopyRead", "false");
        write(d, 3, filled(512, 0x44), false);
        IoProbe<DataBuffer> r = new IoProbe<>("read");
        d.read(3, 1, r);
        DataBuffer b = r.awaitSuccess();
        try {
            assertNull(b.fileRegion());
            ByteBuffer[] nio = b.nioBuffers(0, 512);
            assertTrue(nio.length == 1 && nio[0].isDirect());
            assertArrayEquals(filled(512, 0x44), b.toByteArray());
        } finally {
            b.release();
        }
    }

    @Test
    void directIoWritesFromAlignedBuffersWithoutABounce() throws Exception {
        Path p = dir.resolve("direct.img");
        FileDevice d;
        try {
            d = open("path", p.toString(), "size", "4M", "direct", "true", "blockSize", "4096");
        } catch (BackendException e) {
            assumeTrue(false, "no O_DIRECT on this file system: " + e.getMessage());
            return;
        }
        assertFalse(d.zeroCopyRead());
        ByteBuffer aligned = ByteBuffer.allocateDirect(3 * 4096).alignedSlice(4096).limit(8192).slice();
        aligned.put(filled(8192, 0x77)).flip();
        DataBuffer src = DataBuffers.wrap(null, aligned);
        IoProbe<Void> w = new IoProbe<>("aligned direct write");
        d.write(5, src, true, w);
        w.awaitSuccess();
        src.release();
        assertEquals(0, d.bounceCopies(), "an aligned direct buffer went through a bounce buffer");
        assertArrayEquals(filled(8192, 0x77), read(d, 5, 2));
        write(d, 9, filled(4096, 0x78), false); // a heap buffer: O_DIRECT needs the bounce
        assertEquals(1, d.bounceCopies());
        assertArrayEquals(filled(4096, 0x78), read(d, 9, 1));
    }

    @Test
    void directBuffersAreWrittenWithoutACopyOnTheBufferedPath() throws Exception {
        FileDevice d = open("path", dir.resolve("nocopy.img").toString(), "size", "4M");
        ByteBuffer direct = ByteBuffer.allocateDirect(1024);
        direct.put(filled(1024, 0x12)).flip();
        DataBuffer src = DataBuffers.wrap(null, direct, ByteBuffer.wrap(filled(512, 0x13)));
        IoProbe<Void> w = new IoProbe<>("gathered write");
        d.write(0, src, false, w);
        w.awaitSuccess();
        src.release();
        assertEquals(0, d.bounceCopies());
        byte[] expected = new byte[1536];
        Arrays.fill(expected, 0, 1024, (byte) 0x12);
        Arrays.fill(expected, 1024, 1536, (byte) 0x13);
        assertArrayEquals(expected, read(d, 0, 3));
    }

    /** A write source whose bytes are not ready until {@code ready} opens: holds an I/O thread. */
    private static final class GatedBuffer extends DataBuffer {
        private final java.util.concurrent.CountDownLatch ready;
        private final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        private final ByteBuffer bytes = ByteBuffer.allocateDirect(512);

        GatedBuffer(java.util.concurrent.CountDownLatch ready) {
            this.ready = ready;
        }

        @Override
        public int length() {
            return 512;
        }

        @Override
        public void copyTo(int offset, ByteBuffer dst) {
            dst.put(bytes.slice(offset, dst.remaining()));
        }

        @Override
        public ByteBuffer[] nioBuffers(int offset, int length) {
            entered.countDown();
            try {
                ready.await(IoProbe.WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new ByteBuffer[] {bytes.slice(offset, length)};
        }

        @Override
        protected void deallocate() {
        }
    }

    @Test
    void aFullQueueFailsTheIoAtOnceInsteadOfBlockingTheCaller() throws Exception {
        FileDevice d = open("path", dir.resolve("q.img").toString(), "size", "1M",
                "ioThreads", "1", "queueDepth", "16");
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        GatedBuffer stuck = new GatedBuffer(ready);
        List<IoProbe<Void>> queued = new ArrayList<>();
        IoProbe<Void> first = new IoProbe<>("write holding the only I/O thread");
        d.write(0, stuck, false, first);
        assertTrue(stuck.entered.await(IoProbe.WAIT_SECONDS, TimeUnit.SECONDS), "the I/O thread never started");
        DataBuffer src = DataBuffers.wrap(new byte[512]);
        for (int i = 0; i < 16; i++) {
            IoProbe<Void> p = new IoProbe<>("queued write " + i);
            d.write(i + 1, src, false, p);
            queued.add(p);
        }
        IoProbe<Void> overflow = new IoProbe<>("write beyond the queue");
        d.write(100, src, false, overflow);
        assertTrue(overflow.isDone(), "a full queue must fail the I/O on the caller's thread");
        assertEquals(FileDevice.QUEUE_FULL, overflow.awaitFailure());
        ready.countDown();
        first.awaitSuccess();
        queued.forEach(IoProbe::awaitSuccess);
        src.release();
        stuck.release();
    }

    @Test
    void aChannelClosedByAnInterruptedSenderIsReopenedForTheNextIo() throws Exception {
        Path p = dir.resolve("interrupt.img");
        FileDevice d = open("path", p.toString(), "size", "4M");
        write(d, 0, filled(1024, 0x21), false);
        IoProbe<DataBuffer> r = new IoProbe<>("read for an interrupted sender");
        d.read(0, 2, r);
        DataBuffer region = r.awaitSuccess();
        java.nio.channels.FileChannel first = region.fileRegion().channel();
        // A transport thread interrupted while it reads the region: FileChannel closes itself.
        Thread sender = new Thread(() -> {
            Thread.currentThread().interrupt();
            try {
                region.copyTo(0, ByteBuffer.allocateDirect(1024));
            } catch (java.io.UncheckedIOException expected) {
                // ClosedByInterruptException
            }
        });
        sender.start();
        sender.join(TimeUnit.SECONDS.toMillis(IoProbe.WAIT_SECONDS));
        assertFalse(first.isOpen(), "the interrupt did not close the channel; the test proves nothing");
        region.release();
        // The LUN carries on: a write (pool path) and a read (zero-copy path) on a new channel.
        write(d, 2, filled(512, 0x22), true);
        byte[] back = read(d, 0, 3);
        byte[] expected = new byte[1536];
        Arrays.fill(expected, 0, 1024, (byte) 0x21);
        Arrays.fill(expected, 1024, 1536, (byte) 0x22);
        assertArrayEquals(expected, back);
        assertEquals(1, d.channelReferences());
    }

    @Test
    void aZeroCopyReadAfterTheChannelWasClosedGetsAnOpenOne() throws Exception {
        FileDevice d = open("path", dir.resolve("closed.img").toString(), "size", "4M");
        write(d, 5, filled(512, 0x31), false);
        IoProbe<DataBuffer> r = new IoProbe<>("read");
        d.read(5, 1, r);
        DataBuffer region = r.awaitSuccess();
        region.fileRegion().channel().close(); // as an interrupt would
        region.release();
        IoProbe<DataBuffer> again = new IoProbe<>("read after the close");
        d.read(5, 1, again);
        DataBuffer fresh = again.awaitSuccess();
        try {
            assertTrue(fresh.fileRegion().channel().isOpen());
            assertArrayEquals(filled(512, 0x31), fresh.toByteArray());
        } finally {
            fresh.release();
        }
    }
}
