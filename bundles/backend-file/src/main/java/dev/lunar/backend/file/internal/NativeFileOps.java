package dev.lunar.backend.file.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JNI library {@code liblunarfile.so} ({@code src/main/native/lunarfile.c}): hole punching,
 * discard and SEEK_DATA/SEEK_HOLE, which JDK 17 cannot do. Loaded once, on first use.
 *
 * <p><b>Where it comes from.</b> In OSGi the bundle carries it under {@code Bundle-NativeCode}, and
 * {@link System#loadLibrary} from a bundle class finds it. Outside OSGi (unit tests) system
 * property {@value #LIBRARY_PROPERTY} names the file by absolute path (the build sets it to
 * {@code target/native/liblunarfile.so}). When neither works, {@link #unavailableReason()} says why
 * and the backend runs without UNMAP, as it did before the library existed.
 *
 * <p><b>The surface.</b> Static methods on ints and longs; each returns a non-negative result or
 * {@code -errno} and never throws. Arguments are checked by {@link NativeFile}, the only caller.
 */
final class NativeFileOps {

    static final String LIBRARY = "lunarfile";
    static final String LIBRARY_PROPERTY = "lunar.file.nativeLibrary";
    /** Must equal LUNARFILE_ABI in lunarfile.c: a stale library is refused, not trusted. */
    static final int ABI_VERSION = 1;

    static final int EPERM = 1;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EBADF = 9;
    static final int EACCES = 13;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int EOPNOTSUPP = 95;
    static final int EDQUOT = 122;

    /** strerror texts for the errors these calls return (ioFailure matches the ENOSPC/EDQUOT ones). */
    private static final Map<Integer, String> ERRORS = Map.ofEntries(
            Map.entry(EPERM, "Operation not permitted"),
            Map.entry(EIO, "Input/output error"),
            Map.entry(ENXIO, "No such device or address"),
            Map.entry(EBADF, "Bad file descriptor"),
            Map.entry(EACCES, "Permission denied"),
            Map.entry(EINVAL, "Invalid argument"),
            Map.entry(ENOTTY, "Inappropriate ioctl for device"),
            Map.entry(ENOSPC, "No space left on device"),
            Map.entry(EROFS, "Read-only file system"),
            Map.entry(EOPNOTSUPP, "Operation not supported"),
            Map.entry(EDQUOT, "Disk quota exceeded"));

    private static final Logger LOG = LoggerFactory.getLogger(NativeFileOps.class);
    /** Null once loaded; otherwise why not. Written once by the class initializer. */
    private static final String UNAVAILABLE = load();

    private NativeFileOps() {
    }

    /** Whether the library is loaded and of the right version. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

    /** Null when {@link #available()}, else a sentence saying why the library is not there. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** "Operation not supported (errno 95)". */
    static String describe(int errno) {
        return ERRORS.getOrDefault(errno, "error") + " (errno " + errno + ")";
    }

    private static String load() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return "liblunarfile is built for Linux x86-64 only; this is " + os + " " + arch;
        }
        String viaLoadLibrary;
        try {
            System.loadLibrary(LIBRARY);
            return checkVersion("Bundle-NativeCode / java.library.path");
        } catch (UnsatisfiedLinkError | SecurityException e) {
            viaLoadLibrary = e.getMessage();
        }
        String file = System.getProperty(LIBRARY_PROPERTY);
        if (file == null || file.isEmpty()) {
            return "liblunarfile.so not found (System.loadLibrary: " + viaLoadLibrary + "; system property "
                    + LIBRARY_PROPERTY + " not set)";
        }
        Path path = Path.of(file).toAbsolutePath();
        if (!Files.isRegularFile(path)) {
            return "liblunarfile.so not found (System.loadLibrary: " + viaLoadLibrary + "; " + path
                    + " from " + LIBRARY_PROPERTY + " does not exist: was the native build skipped?)";
        }
        try {
            System.load(path.toString());
            return checkVersion(path.toString());
        } catch (UnsatisfiedLinkError | SecurityException e) {
            return "liblunarfile.so at " + path + " does not load: " + e.getMessage();
        }
    }

    private static String checkVersion(String from) {
        int version;
        try {
            version = abiVersion0();
        } catch (UnsatisfiedLinkError e) {
            return "liblunarfile from " + from + " lacks its entry points: " + e.getMessage();
        }
        if (version != ABI_VERSION) {
            return "liblunarfile from " + from + " has ABI version " + version + ", this bundle needs "
                    + ABI_VERSION + " (a stale library?)";
        }
        LOG.debug("liblunarfile loaded from {}", from);
        return null;
    }

    static native int abiVersion0();

    /** open(2) with O_CLOEXEC; {@code path} holds no NUL. Returns the descriptor or -errno. */
    static native int open0(byte[] path, boolean writable);

    static native int close0(int fd);

    /** fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE). 0 or -errno. */
    static native int punchHole0(int fd, long offset, long length);

    /** ioctl(BLKDISCARD). 0 or -errno. */
    static native int discard0(int fd, long offset, long length);

    /** ioctl(BLKZEROOUT). 0 or -errno. */
    static native int zeroOut0(int fd, long offset, long length);

    /** lseek(SEEK_DATA): the offset, or -errno (-ENXIO: no data at or after it). */
    static native long seekData0(int fd, long offset);

    /** lseek(SEEK_HOLE): the offset, or -errno. */
    static native long seekHole0(int fd, long offset);

    /** st_blocks * 512, or -errno. */
    static native long allocatedBytes0(int fd);
}
