package dev.lunar.backend.file.internal;

import dev.lunar.spi.backend.Backend;
import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BackendOptions;
import dev.lunar.spi.backend.BlockDevice;
import dev.lunar.spi.backend.Geometry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code file} backend: LUNs stored in regular files or block devices.
 *
 * <p>Options (keys case-insensitive):
 * <ul>
 *   <li>{@code path} (required): a regular file or a block device ({@code /dev/sdb},
 *       {@code /dev/zvol/tank/vol}, {@code /dev/loop0}).</li>
 *   <li>{@code size}: for a regular file, its size in bytes with binary units ({@code 10G}); a
 *       missing file is created sparse, a shorter one is extended sparsely, a longer one is refused.
 *       Without {@code size} the file's own length is used. A block device's size is the device's.</li>
 *   <li>{@code create}: create the file when it is missing (default: true when {@code size} is given).</li>
 *   <li>{@code blockSize}: 512 (default), 1024, 2048 or 4096.</li>
 *   <li>{@code readOnly}: open read-only; writes fail with WRITE PROTECTED.</li>
 *   <li>{@code writeCache}: true (default) = write-back, WCE=1; false = write-through.</li>
 *   <li>{@code direct}: O_DIRECT (bypass the page cache). Needs {@code blockSize} to be a multiple
 *       of the filesystem's direct I/O alignment (Java aligns to the filesystem block size, 4096 on
 *       ext4 and XFS, so {@code blockSize=4096}); excludes {@code zeroCopyRead}.</li>
 *   <li>{@code zeroCopyRead}: reads are file regions sent with {@code sendfile} (default: true for
 *       regular files without {@code direct}).</li>
 *   <li>{@code ioThreads}: I/O threads of the LUN (default 4); {@code queueDepth}: I/Os queued
 *       for them (default 4096: above what the core's task slots of every session together put on one LUN).</li>
 *   <li>{@code unmap}: {@code auto} (default: UNMAP when the file system punches holes or the device
 *       discards or zeroes, see {@link UnmapPlan}), {@code true} (refuse to open without it), {@code false}.</li>
 * </ul>
 *
 * <p>Opening either returns a working device or throws a {@link BackendException} with a sentence
 * the admin can act on, leaving nothing behind: a file it created is deleted, a file it extended is
 * truncated back.
 */
@Component(service = Backend.class, property = Backend.KIND + "=" + FileBackend.KIND_NAME)
public final class FileBackend implements Backend {

    static final String KIND_NAME = "file";

    private static final Logger LOG = LoggerFactory.getLogger(FileBackend.class);
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    /** How channels are opened: {@link FileChannel#open}, or a test's stand-in that fails on cue. */
    interface ChannelOpener {
        FileChannel open(Path path, Set<OpenOption> options) throws IOException;
    }

    private final ChannelOpener opener;
    private final Set<FileDevice> open = ConcurrentHashMap.newKeySet();
    private final DirectBufferPool buffers = new DirectBufferPool(FileDevice.MAX_TRANSFER_BYTES);
    /** Real paths opened for writing, to refuse a second LUN writing the same storage. */
    private final Map<Path, String> writers = new ConcurrentHashMap<>();

    public FileBackend() {
        this(FileChannel::open);
    }

    FileBackend(ChannelOpener opener) {
        this.opener = opener;
    }

    @Override
    public String kind() {
        return KIND_NAME;
    }

    /** Called from a management thread; blocks on file system calls. */
    @Override
    public BlockDevice open(String name, Map<String, String> options) throws BackendException {
        BackendOptions o = new BackendOptions(name, options);
        if (!o.has("path")) {
            throw o.problem("a file LUN needs option path, for example path=/srv/lunar/" + name + ".img.");
        }
        Path path;
        try {
            path = Path.of(o.string("path", "")).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw o.error("path", o.string("path", ""), "a file system path such as /srv/lunar/" + name + ".img");
        }
        int blockSize = o.blockSize();
        boolean readOnly = o.bool("readOnly", false);
        boolean writeCache = o.bool("writeCache", true);
        boolean direct = o.bool("direct", false);
        int ioThreads = o.integer("ioThreads", 4, 1, 64);
        int queueDepth = o.integer("queueDepth", 4096, 16, 65536);
        boolean sizeGiven = o.has("size");
        long size = o.size("size", -1);
        boolean create = o.bool("create", sizeGiven);
        if (sizeGiven && (size < blockSize || size % blockSize != 0)) {
            throw o.error("size", o.string("size", ""), "a positive multiple of blockSize " + blockSize
                    + ", for example " + Math.max(blockSize, (size / blockSize + 1) * blockSize));
        }

        boolean existed = Files.exists(path);
        if (Files.isDirectory(path)) {
            throw o.problem(path + " is a directory; path must name a regular file or a block device.");
        }
        boolean blockDevice = existed && isBlockDevice(path);
        if (existed && !blockDevice && !Files.isRegularFile(path)) {
            throw o.problem(path + " is neither a regular file nor a block device.");
        }
        if (!existed) {
            if (!create || !sizeGiven) {
                throw o.problem(path + " does not exist; set option size (for example size=10G) to create it,"
                        + " or correct the path.");
            }
            if (readOnly) {
                throw o.problem(path + " does not exist; a read-only LUN needs an existing file.");
            }
            Path parent = path.getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw o.problem("cannot create " + path + ": directory " + parent + " does not exist.");
            }
            if (!Files.isWritable(parent)) {
                throw o.problem("cannot create " + path + ": directory " + parent
                        + " is not writable by the Lunar process.");
            }
        } else {
            if (!Files.isReadable(path)) {
                throw o.problem(path + " is not readable by the Lunar process; fix its permissions.");
            }
            if (!readOnly && !Files.isWritable(path)) {
                throw o.problem(path + " is not writable by the Lunar process; fix its permissions"
                        + " or set readOnly=true.");
            }
        }
        int alignment = 0;
        if (direct) {
            alignment = directAlignment(existed ? path : path.getParent());
            if (alignment > DirectBufferPool.ALIGNMENT || blockSize % alignment != 0) {
                throw o.problem("direct=true needs blockSize to be a multiple of " + alignment
                        + " (the direct I/O alignment of the file system of " + path + "); set blockSize="
                        + Math.max(alignment, blockSize) + " or direct=false.");
            }
        }
        boolean zeroCopyRead = o.bool("zeroCopyRead", !direct && !blockDevice);
        if (zeroCopyRead && direct) {
            throw o.problem("zeroCopyRead=true and direct=true exclude each other: sendfile reads through"
                    + " the page cache that O_DIRECT bypasses. Choose one.");
        }

        Path key = existed ? realPath(path) : path;
        if (!readOnly) {
            String other = writers.putIfAbsent(key, name);
            if (other != null) {
                throw o.problem(path + " is already in use by LUN " + other
                        + "; two LUNs writing one file would corrupt each other.");
            }
        }
        boolean success = false;
        try {
            FileDevice device = openChannelAndDevice(o, path, key, existed, blockDevice, sizeGiven, size,
                    blockSize, readOnly, writeCache, direct, alignment, zeroCopyRead, ioThreads, queueDepth);
            success = true;
            return device;
        } finally {
            if (!success && !readOnly) {
                writers.remove(key, name);
            }
        }
    }

    private FileDevice openChannelAndDevice(BackendOptions o, Path path, Path key, boolean existed,
            boolean blockDevice, boolean sizeGiven, long size, int blockSize, boolean readOnly,
            boolean writeCache, boolean direct, int alignment, boolean zeroCopyRead, int ioThreads,
            int queueDepth) throws BackendException {
        Set<OpenOption> setup = new HashSet<>();
        setup.add(StandardOpenOption.READ);
        if (!readOnly) {
            setup.add(StandardOpenOption.WRITE);
        }
        if (!existed) {
            setup.add(StandardOpenOption.CREATE_NEW);
        }
        FileChannel channel = null;
        boolean created = false;
        long originalLength = -1;
        UnmapPlan unmap = null;
        boolean success = false;
        try {
            try {
                channel = opener.open(path, setup);
            } catch (FileAlreadyExistsException e) {
                throw o.problem(path + " appeared while the LUN was being created; try again.");
            }
            created = !existed;
            long length = channel.size();
            if (blockDevice) {
                if (sizeGiven && size != length) {
                    throw o.problem(path + " is a block device of " + length + " bytes; remove option size"
                            + " (a block device's LUN has the device's size).");
                }
            } else if (sizeGiven && length != size) {
                if (length > size) {
                    throw o.problem(path + " is " + length + " bytes, more than size=" + o.string("size", "")
                            + "; remove option size to use the whole file.");
                }
                if (readOnly) {
                    throw o.problem(path + " is " + length + " bytes, less than size=" + o.string("size", "")
                            + ", and a read-only LUN cannot extend it; remove option size.");
                }
                originalLength = length;
                // Sparse: one zero byte at the new end allocates no blocks in between.
                channel.write(ByteBuffer.allocate(1), size - 1);
                channel.force(true);
                length = size;
            }
            if (length == 0) {
                throw o.problem(path + " is empty; set option size to give the LUN a size.");
            }
            long usable = length - length % blockSize;
            if (usable != length) {
                if (blockDevice) {
                    LOG.warn("LUN {}: {} is {} bytes, not a multiple of blockSize {}; the last {} bytes are"
                            + " not exported", o.lun(), path, length, blockSize, length - usable);
                } else {
                    throw o.problem(path + " is " + length + " bytes, not a multiple of blockSize " + blockSize
                            + "; extend it with size=" + (usable + blockSize) + " or choose another blockSize.");
                }
            }
            Set<OpenOption> ioOptions = setupWithout(setup, StandardOpenOption.CREATE_NEW);
            if (direct) {
                ioOptions = withDirect(ioOptions);
            }
            FileChannel io = channel;
            if (direct) {
                io = opener.open(path, ioOptions);
                channel.close();
                channel = io;
            }
            Set<OpenOption> reopenOptions = Set.copyOf(ioOptions);
            unmap = UnmapPlan.choose(o, path, blockDevice, readOnly, blockSize, length);
            Geometry geometry = new Geometry(blockSize, usable / blockSize,
                    physicalExponent(path, blockDevice, blockSize), FileDevice.MAX_TRANSFER_BYTES / blockSize,
                    0, unmap.granularityBlocks(), 0, unmap.maxUnmapBlocks(), unmap.thinProvisioned(), readOnly,
                    writeCache, blockDevice && nonRotational(path) ? 1 : 0);
            FileDevice[] self = new FileDevice[1];
            FileDevice device = new FileDevice(o.lun(), path, io, () -> opener.open(path, reopenOptions),
                    blockDevice, geometry, zeroCopyRead, direct,
                    Math.max(alignment, 1), ioThreads, queueDepth, buffers, unmap, () -> {
                        open.remove(self[0]);
                        if (!readOnly) {
                            writers.remove(key, o.lun());
                        }
                    });
            self[0] = device;
            open.add(device);
            success = true;
            LOG.info("LUN {} opened {} {} ({} bytes, {}-byte blocks{}{}{}{}; UNMAP: {})", o.lun(),
                    blockDevice ? "block device" : created ? "new file" : "file", path, usable, blockSize,
                    readOnly ? ", read-only" : "", writeCache ? ", write-back" : ", write-through",
                    direct ? ", O_DIRECT" : "", zeroCopyRead ? ", zero-copy reads" : "",
                    unmap.method() == UnmapPlan.Method.NONE ? "none, " + unmap.reason() : unmap.reason());
            return device;
        } catch (IOException e) {
            throw o.problem("cannot open " + path + ": " + e.getMessage() + ".");
        } finally {
            if (!success) {
                if (unmap != null && unmap.file() != null) {
                    try {
                        unmap.file().close();
                    } catch (IOException e) {
                        LOG.debug("Closing the native descriptor of {}: {}", path, e.toString());
                    }
                }
                undo(path, channel, created, originalLength);
            }
        }
    }

    /** Leaves the storage as it was: deletes a file we created, truncates one we extended. */
    private static void undo(Path path, FileChannel channel, boolean created, long originalLength) {
        try {
            if (channel != null) {
                if (originalLength >= 0 && channel.isOpen()) {
                    channel.truncate(originalLength);
                }
                channel.close();
            }
            if (created) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.warn("Could not undo the partial creation of {}: {}", path, e.toString());
        }
    }

    private static Set<OpenOption> setupWithout(Set<OpenOption> options, OpenOption dropped) {
        Set<OpenOption> out = new HashSet<>(options);
        out.remove(dropped);
        return out;
    }

    /**
     * Adds O_DIRECT. {@code com.sun.nio.file.ExtendedOpenOption} lives in the JDK's
     * {@code jdk.unsupported} module; looking it up by name keeps the bundle free of an
     * Import-Package that a framework without it would fail to resolve (Karaf boot-delegates
     * {@code com.sun.*}).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Set<OpenOption> withDirect(Set<OpenOption> options) throws IOException {
        try {
            Class<? extends Enum> type = (Class<? extends Enum>) Class.forName("com.sun.nio.file.ExtendedOpenOption");
            options.add((OpenOption) Enum.valueOf(type, "DIRECT"));
            return options;
        } catch (ClassNotFoundException | IllegalArgumentException e) {
            throw new IOException("this Java runtime has no O_DIRECT support (com.sun.nio.file.ExtendedOpenOption)");
        }
    }

    /** The alignment Java enforces for O_DIRECT: the file store's block size. */
    private static int directAlignment(Path where) throws BackendException {
        try {
            long bs = Files.getFileStore(where).getBlockSize();
            return (int) Math.max(512, Math.min(bs, 1 << 16));
        } catch (IOException | UnsupportedOperationException e) {
            throw new BackendException("cannot find the direct I/O alignment for " + where + ": " + e.getMessage());
        }
    }

    static boolean isBlockDevice(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode");
            return (mode & S_IFMT) == S_IFBLK;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return false;
        }
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path;
        }
    }

    /** log2(physical block / logical block): lets initiators align to the file system or device. */
    private static int physicalExponent(Path path, boolean blockDevice, int blockSize) {
        long physical;
        if (blockDevice) {
            physical = sysfsQueueValue(path, "physical_block_size", blockSize);
        } else {
            try {
                physical = Files.getFileStore(path).getBlockSize();
            } catch (IOException | UnsupportedOperationException e) {
                physical = blockSize;
            }
        }
        if (physical <= blockSize || Long.bitCount(physical) != 1) {
            return 0;
        }
        return Math.min(15, Long.numberOfTrailingZeros(physical / blockSize));
    }

    private static boolean nonRotational(Path path) {
        return sysfsQueueValue(path, "rotational", 1) == 0;
    }

    /** A value from {@code /sys/dev/block/MAJ:MIN/queue/} (or the parent's, for a partition). */
    static long sysfsQueueValue(Path device, String name, long fallback) {
        try {
            long rdev = ((Number) Files.getAttribute(device, "unix:rdev")).longValue();
            long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
            long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
            Path base = Path.of("/sys/dev/block/" + major + ":" + minor);
            for (Path queue : List.of(base.resolve("queue"), base.resolve("../queue"))) {
                Path file = queue.resolve(name);
                if (Files.isReadable(file)) {
                    return Long.parseLong(Files.readString(file).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("No sysfs {} for {}: {}", name, device, e.toString());
        }
        return fallback;
    }

    /** Closes the devices the core did not close, flushing their caches. Bounded per device. */
    @Deactivate
    void deactivate() {
        List<FileDevice> left = new ArrayList<>(open);
        if (!left.isEmpty()) {
            LOG.warn("File backend stopping with {} device(s) still open; closing them: {}", left.size(), left);
        }
        left.forEach(FileDevice::close);
    }

    /** For tests: the devices open now. */
    int openCount() {
        return open.size();
    }
}
