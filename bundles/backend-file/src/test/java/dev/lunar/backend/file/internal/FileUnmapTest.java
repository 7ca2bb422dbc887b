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
import dev.lunar.spi.backend.Provisioning;
import dev.lunar.spi.buffer.DataBuffer;
import dev.lunar.spi.buffer.DataBuffers;
import dev.lunar.spi.scsi.Sense;
import dev.lunar.testkit.backend.IoProbe;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * UNMAP and GET LBA STATUS through liblunarfile: hole punching, SEEK_DATA/SEEK_HOLE, block device
 * zeroing. On Linux x86-64 the library must have been built: these tests fail, not skip, without it.
 */
class FileUnmapTest {

    private static final int BS = 512;

    @TempDir
    Path dir;

    private final FileBackend backend = new FileBackend();
    private final List<BlockDevice> opened = new ArrayList<>();
    private final List<String> loops = new ArrayList<>();

    @AfterEach
    void stop() {
        opened.forEach(BlockDevice::close);
        loops.forEach(LoopDeviceContractTest.LoopDevices::detach);
        assertEquals(0, backend.openCount());
    }

    // ------------------------------------------------------------------------- the library

    @Test
    void theLibraryLoadsOnLinuxX8664() {
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        if (os.equals("Linux") && arch.equals("amd64")) {
            assertTrue(NativeFileOps.available(), "liblunarfile did not load: " + NativeFileOps.unavailableReason());
            assertNull(NativeFileOps.unavailableReason());
        } else {
            assertFalse(NativeFileOps.available());
            assertTrue(NativeFileOps.unavailableReason().contains("Linux x86-64"));
        }
    }

    @Test
    void theBundleCarriesTheLibraryUnderBundleNativeCode() throws Exception {
        // bnd (process-classes, before the tests) writes the manifest and the included .so into
        // target/classes, which the jar plugin packs as is.
        Path classes = Path.of(System.getProperty(NativeFileOps.LIBRARY_PROPERTY)).getParent().getParent()
                .resolve("classes");
        Path packed = classes.resolve("native/linux-x86_64/liblunarfile.so");
        assertTrue(Files.isRegularFile(packed), packed + " is missing: bnd did not include the library");
        assertArrayEquals(Files.readAllBytes(Path.of(System.getProperty(NativeFileOps.LIBRARY_PROPERTY))),
                Files.readAllBytes(packed), "the packed library is not the one built");
        Manifest m;
        try (var in = Files.newInputStream(classes.resolve("META-INF/MANIFEST.MF"))) {
            m = new Manifest(in);
        }
        String nativeCode = m.getMainAttributes().getValue("Bundle-NativeCode");
        assertNotNull(nativeCode, "no Bundle-NativeCode header");
        assertTrue(nativeCode.replace(" ", "").startsWith(
                "native/linux-x86_64/liblunarfile.so;osname=Linux;processor=x86-64"), nativeCode);
        assertTrue(nativeCode.trim().endsWith(", *"), "the library must be optional: " + nativeCode);
    }

    @Test
    void nativeFileChecksArgumentsAndReportsErrno() throws Exception {
        Path p = dir.resolve("plain.img");
        Files.write(p, new byte[8192]);
        NativeFile f = NativeFile.open(p, true);
        try {
            assertThrows(IllegalArgumentException.class, () -> f.punchHole(-1, 512));
            assertThrows(IllegalArgumentException.class, () -> f.punchHole(0, 0));
            assertThrows(IllegalArgumentException.class, () -> f.punchHole(Long.MAX_VALUE, 2));
            assertThrows(IllegalArgumentException.class, () -> f.nextData(-1));
            // BLKDISCARD on a regular file: the kernel's ENOTTY comes back as an errno, nothing throws in C.
            NativeFile.NativeIoException e = assertThrows(NativeFile.NativeIoException.class,
                    () -> f.discard(0, 4096));
            assertEquals(NativeFileOps.ENOTTY, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        } finally {
            f.close();
        }
        f.close(); // idempotent
        assertFalse(f.isOpen());
        assertThrows(ClosedChannelException.class, () -> f.punchHole(0, 512));
        NativeFile.NativeIoException missing = assertThrows(NativeFile.NativeIoException.class,
                () -> NativeFile.open(dir.resolve("missing"), false));
        assertEquals(2, missing.errno()); // ENOENT
    }

    // --------------------------------------------------------------------------- files

    @Test
    void unmapPunchesAHoleThatFreesStorageAndReadsZeros() throws Exception {
        Path p = dir.resolve("punch.img");
        FileDevice d = open("path", p.toString(), "size", "16M");
        assertEquals(UnmapPlan.Method.PUNCH_HOLE, d.unmapPlan().method(), d.unmapPlan().reason());
        int blocks = (1 << 20) / BS;
        write(d, 0, pattern(blocks * BS, 1), true);
        long before = allocatedSectors(p);
        assertTrue(before >= blocks, "1 MiB written but only " + before + " sectors allocated");
        unmap(d, 0, blocks);
        long after = allocatedSectors(p);
        assertTrue(after <= before - blocks, "UNMAP of 1 MiB freed only " + (before - after) + " sectors");
        assertEquals(after * 512, d.unmapPlan().file().allocatedBytes(), "st_blocks via JNI and stat(1) agree");
        assertArrayEquals(new byte[blocks * BS], read(d, 0, blocks));
        assertEquals(16L << 20, Files.size(p), "punching keeps the size");
    }

    @Test
    void partialBlockUnmapZeroesOnlyTheRequestedBlocks() throws Exception {
        Path p = dir.resolve("partial.img");
        FileDevice d = open("path", p.toString(), "size", "4M");
        int gran = d.geometry().unmapGranularityBlocks();
        assumeTrue(gran >= 4, "needs file system blocks of 2 KiB or more to have partial ones");
        byte[] data = pattern(4 * gran * BS, 7);
        write(d, 0, data, false);
        // From inside granule 0 to inside granule 2: granule 1 is punched, the ends are zeroed.
        long first = gran / 2;
        long count = 2L * gran;
        unmap(d, first, count);
        byte[] back = read(d, 0, 4 * gran);
        for (int i = 0; i < back.length; i++) {
            long block = i / BS;
            byte expected = block >= first && block < first + count ? 0 : data[i];
            assertEquals(expected, back[i], "byte " + i + " (block " + block + ")");
        }
        assertEquals(new Provisioning(0, gran, true), provisioning(d, 0), "granule 0 keeps data");
        assertEquals(new Provisioning(gran, gran, false), provisioning(d, gran), "granule 1 is a hole");
        assertEquals(new Provisioning(2L * gran, 2L * gran, true), provisioning(d, 2L * gran),
                "granules 2 and 3 keep data");
    }

    @Test
    void provisioningRunsFollowDataAndHoles() throws Exception {
        Path p = dir.resolve("runs.img");
        FileDevice d = open("path", p.toString(), "size", "4M");
        int gran = d.geometry().unmapGranularityBlocks();
        long count = d.geometry().blockCount();
        long a = 8L * gran;
        long b = 25L * gran;
        write(d, a, pattern(gran * BS, 3), false);
        write(d, b, pattern(BS, 4), false); // one block: its whole granule becomes mapped
        assertEquals(new Provisioning(0, a, false), provisioning(d, 0));
        assertEquals(new Provisioning(3, a - 3, false), provisioning(d, 3), "a run starts where asked");
        assertEquals(new Provisioning(a, gran, true), provisioning(d, a));
        assertEquals(new Provisioning(a + gran, b - a - gran, false), provisioning(d, a + gran));
        assertEquals(new Provisioning(b, gran, true), provisioning(d, b));
        assertEquals(new Provisioning(b + 1, gran - 1, true), provisioning(d, b + 1));
        // The file was made sparse with one byte at its very end: the last granule holds data.
        assertEquals(new Provisioning(count - gran, gran, true), provisioning(d, count - gran));
        assertEquals(new Provisioning(b + gran, count - gran - b - gran, false), provisioning(d, b + gran));
        // Holes are deallocated storage after a restart too.
        d.close();
        opened.remove(d);
        FileDevice again = open("path", p.toString());
        assertEquals(new Provisioning(a, gran, true), provisioning(again, a));
        assertEquals(new Provisioning(0, a, false), provisioning(again, 0));
    }

    @Test
    void writeThroughUnmapAndFourKibBlocks() throws Exception {
        Path p = dir.resolve("4k.img");
        FileDevice d = open("path", p.toString(), "size", "4M", "blockSize", "4096", "writeCache", "false");
        assertEquals(1, d.geometry().unmapGranularityBlocks(), "4 KiB file system blocks, 4 KiB LBAs");
        write(d, 10, pattern(3 * 4096, 9), false);
        unmap(d, 11, 1);
        assertEquals(new Provisioning(10, 1, true), provisioning(d, 10));
        assertEquals(new Provisioning(11, 1, false), provisioning(d, 11));
        assertEquals(new Provisioning(12, 1, true), provisioning(d, 12));
        assertArrayEquals(new byte[4096], read(d, 11, 1));
    }

    @Test
    void unmapOptionIsCheckedAndHonoured() throws Exception {
        Path p = dir.resolve("opt.img");
        BackendException bad = assertThrows(BackendException.class,
                () -> open("path", p.toString(), "size", "1M", "unmap", "sometimes"));
        assertTrue(bad.getMessage().contains("unmap=sometimes") && bad.getMessage().contains("auto, true or false"),
                bad.getMessage());
        assertFalse(Files.exists(p), "a refused LUN leaves no file behind");
        FileDevice on = open("path", p.toString(), "size", "1M", "unmap", "true");
        assertTrue(on.geometry().unmapGranularityBlocks() > 0);
        on.close();
        opened.remove(on);
        BackendException readOnly = assertThrows(BackendException.class,
                () -> open("path", p.toString(), "readOnly", "true", "unmap", "true"));
        assertTrue(readOnly.getMessage().contains("read-only"), readOnly.getMessage());
        FileDevice ro = open("path", p.toString(), "readOnly", "true");
        assertEquals(0, ro.geometry().unmapGranularityBlocks());
        assertEquals(UnmapPlan.Method.NONE, ro.unmapPlan().method());
        assertNull(ro.unmapPlan().file(), "no native descriptor is kept without UNMAP");
    }

    @Test
    void closingTheDeviceClosesItsDescriptor() throws Exception {
        FileDevice d = open("path", dir.resolve("c.img").toString(), "size", "1M");
        NativeFile f = d.unmapPlan().file();
        assertTrue(f.isOpen());
        d.close();
        assertFalse(f.isOpen());
        IoProbe<Provisioning> p = new IoProbe<>("provisioning after close");
        d.provisioning(0, p);
        assertEquals(FileDevice.CLOSED, p.awaitFailure());
        IoProbe<Void> u = new IoProbe<>("unmap after close");
        d.unmap(0, 1, u);
        assertEquals(FileDevice.CLOSED, u.awaitFailure());
    }

    // -------------------------------------------------------------------- block devices

    @Test
    void aLoopDeviceZeroesAndDeallocatesItsBackingFile() throws Exception {
        String why = LoopDeviceContractTest.LoopDevices.unavailableReason();
        assumeTrue(why == null, why);
        Path backing = dir.resolve("backing.img");
        try (RandomAccessFile f = new RandomAccessFile(backing.toFile(), "rw")) {
            f.setLength(16L << 20);
        }
        String loop = LoopDeviceContractTest.LoopDevices.attach(backing);
        loops.add(loop);
        FileDevice d = open("path", loop);
        UnmapPlan plan = d.unmapPlan();
        assertTrue(d.geometry().unmapGranularityBlocks() > 0, "a loop device on ext4 deallocates: " + plan.reason());
        assertFalse(d.geometry().thinProvisioned(), "a block device cannot say which blocks it holds");
        assertEquals(new Provisioning(5, d.geometry().blockCount() - 5, true), provisioning(d, 5));
        int blocks = (1 << 20) / BS;
        write(d, 2048, pattern(blocks * BS, 5), true);
        long before = allocatedSectors(backing);
        assertTrue(before >= blocks, "the backing file holds " + before + " sectors");
        unmap(d, 2048, blocks);
        assertArrayEquals(new byte[blocks * BS], read(d, 2048, blocks));
        if (plan.method() == UnmapPlan.Method.PUNCH_HOLE) {
            long after = allocatedSectors(backing);
            assertTrue(after <= before - blocks, "UNMAP freed " + (before - after) + " sectors of the backing file");
        }
        // The other block device path, discard then zero-out, on the same device.
        write(d, 4096, pattern(8 * BS, 6), true);
        plan.file().discard(4096L * BS, 8L * BS);
        plan.file().zeroOut(4096L * BS, 8L * BS);
        assertArrayEquals(new byte[8 * BS], read(d, 4096, 8));
    }

    // ---------------------------------------------------------------------------- helpers

    private FileDevice open(String... kv) throws BackendException {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            o.put(kv[i], kv[i + 1]);
        }
        FileDevice d = (FileDevice) backend.open("lun", o);
        opened.add(d);
        return d;
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i * 31 + i / 512 | 1); // never zero
        }
        return b;
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

    private static void unmap(BlockDevice d, long lba, long blocks) {
        IoProbe<Void> p = new IoProbe<>("unmap " + lba + "+" + blocks);
        d.unmap(lba, blocks, p);
        p.awaitSuccess();
    }

    private static Provisioning provisioning(BlockDevice d, long lba) {
        IoProbe<Provisioning> p = new IoProbe<>("provisioning " + lba);
        d.provisioning(lba, p);
        return p.awaitSuccess();
    }

    /** 512-byte sectors allocated to {@code p}, from stat(1): a view independent of our JNI. */
    private static long allocatedSectors(Path p) throws IOException, InterruptedException {
        Process proc = new ProcessBuilder("stat", "-c", "%b", p.toString()).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes()).trim();
        assertTrue(proc.waitFor(10, TimeUnit.SECONDS) && proc.exitValue() == 0, "stat failed: " + out);
        return Long.parseLong(out);
    }
}
