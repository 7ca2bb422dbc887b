package dev.lunar.backend.file.internal;

import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BackendOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a LUN deallocates blocks (UNMAP, WRITE SAME with UNMAP) and sees them (GET LBA STATUS),
 * chosen once when the LUN opens, from option {@code unmap} ({@code auto}, {@code true},
 * {@code false}) and what the storage can do.
 *
 * <p><b>Regular files</b>: {@code fallocate(PUNCH_HOLE | KEEP_SIZE)}, probed at open by punching
 * past the end of the file (harmless; a file system without hole punching answers EOPNOTSUPP).
 * Whole file system blocks are freed, partial ones zeroed by the kernel, so the range reads as zeros
 * (LBPRZ = 1, SBC-3 §4.7.4.4). The granularity reported is the file system block. Provisioning
 * comes from {@code SEEK_DATA}/{@code SEEK_HOLE}: thin provisioned.
 *
 * <p><b>Block devices</b> must also read zeros after UNMAP, because the core reports LBPRZ = 1
 * whenever UNMAP is supported and the SPI promises it. A plain {@code BLKDISCARD} does not (since
 * Linux 4.12 no device claims {@code discard_zeroes_data}), so:
 * <ul>
 *   <li>when the device does WRITE ZEROES ({@code queue/write_zeroes_max_bytes > 0}):
 *       {@code fallocate(PUNCH_HOLE)}, which the kernel turns into WRITE ZEROES allowed to
 *       deallocate (SCSI WRITE SAME with UNMAP, NVMe Write Zeroes with DEAC, a loop device's hole
 *       punch) and which fails rather than falls back to writing zeros itself;</li>
 *   <li>else when it discards ({@code queue/discard_max_bytes > 0}): {@code BLKDISCARD} so the
 *       device may free the blocks, then {@code BLKZEROOUT} so they read as zeros;</li>
 *   <li>else no UNMAP.</li>
 * </ul>
 * A block device cannot be asked which blocks it holds, so it is reported resource provisioned
 * (LBPME = 1, PROVISIONING TYPE 001b) with every block mapped.
 */
record UnmapPlan(Method method, NativeFile file, int granularityBlocks, long maxUnmapBlocks,
        boolean thinProvisioned, String reason) {

    /** How blocks are deallocated. */
    enum Method {
        /** No UNMAP: granularity 0; {@link FileDevice#unmap} writes zeros if asked anyway. */
        NONE,
        /** fallocate(PUNCH_HOLE | KEEP_SIZE) on the file or block device. */
        PUNCH_HOLE,
        /** BLKDISCARD, then BLKZEROOUT so the blocks read as zeros. */
        DISCARD_THEN_ZERO_OUT
    }

    /** Bytes one UNMAP may cover; the core clamps further (its MAXIMUM UNMAP LBA COUNT). */
    static final long MAX_UNMAP_BYTES = 1L << 30;

    private static final Logger LOG = LoggerFactory.getLogger(UnmapPlan.class);

    /** Whether the LUN reports holes through SEEK_DATA/SEEK_HOLE. */
    boolean seeksHoles() {
        return thinProvisioned && file != null;
    }

    static UnmapPlan none(String reason) {
        return new UnmapPlan(Method.NONE, null, 0, 0, false, reason);
    }

    /**
     * Chooses the plan for a LUN being opened. Called on a management thread; blocks on the file
     * system. The returned plan owns its {@link NativeFile}; the device closes it.
     *
     * @param fileLength the file's length now (regular files), for the probe past its end
     * @throws BackendException when {@code unmap=true} cannot be honoured, or the option is not valid
     */
    static UnmapPlan choose(BackendOptions o, Path path, boolean blockDevice, boolean readOnly, int blockSize,
            long fileLength) throws BackendException {
        String raw = o.string("unmap", "auto").toLowerCase(Locale.ROOT);
        boolean required;
        switch (raw) {
            case "auto":
                required = false;
                break;
            case "true", "yes", "on", "1":
                required = true;
                break;
            case "false", "no", "off", "0":
                return none("unmap=false");
            default:
                throw o.error("unmap", o.string("unmap", ""), "auto, true or false");
        }
        if (readOnly) {
            return refuse(o, required, "a read-only LUN cannot deallocate blocks");
        }
        if (!NativeFileOps.available()) {
            return refuse(o, required, NativeFileOps.unavailableReason());
        }
        NativeFile file;
        try {
            file = NativeFile.open(path, true);
        } catch (IOException e) {
            return refuse(o, required, e.getMessage());
        }
        UnmapPlan plan = blockDevice ? forBlockDevice(path, blockSize, file) : forFile(path, blockSize, fileLength, file);
        if (plan.method == Method.NONE) {
            try {
                file.close();
            } catch (IOException e) {
                LOG.debug("Closing the probe descriptor of {}: {}", path, e.toString());
            }
            return refuse(o, required, plan.reason);
        }
        return plan;
    }

    private static UnmapPlan forFile(Path path, int blockSize, long fileLength, NativeFile file) {
        long fsBlock = fileSystemBlock(path);
        // Past the end with KEEP_SIZE: touches no data, but a file system that cannot punch says so.
        long probeAt = (fileLength + fsBlock - 1) / fsBlock * fsBlock;
        try {
            file.punchHole(probeAt, fsBlock);
        } catch (NativeFile.NativeIoException e) {
            return none(e.errno() == NativeFileOps.EOPNOTSUPP
                    ? "the file system of " + path + " cannot punch holes" : e.getMessage());
        } catch (IOException e) {
            return none(e.getMessage());
        }
        int granularity = (int) Math.max(1, fsBlock / blockSize);
        return new UnmapPlan(Method.PUNCH_HOLE, file, granularity, MAX_UNMAP_BYTES / blockSize, true,
                "holes punched in " + fsBlock + "-byte file system blocks");
    }

    private static UnmapPlan forBlockDevice(Path path, int blockSize, NativeFile file) {
        long writeZeroes = FileBackend.sysfsQueueValue(path, "write_zeroes_max_bytes", 0);
        long discard = FileBackend.sysfsQueueValue(path, "discard_max_bytes", 0);
        long discardGranularity = FileBackend.sysfsQueueValue(path, "discard_granularity", 0);
        int granularity = (int) Math.max(1, Math.min(discardGranularity, 1 << 20) / blockSize);
        if (writeZeroes > 0) {
            return new UnmapPlan(Method.PUNCH_HOLE, file, granularity, MAX_UNMAP_BYTES / blockSize, false,
                    "WRITE ZEROES that may deallocate (fallocate PUNCH_HOLE on the device)");
        }
        if (discard > 0) {
            return new UnmapPlan(Method.DISCARD_THEN_ZERO_OUT, file, granularity,
                    Math.max(1, Math.min(discard, MAX_UNMAP_BYTES) / blockSize), false,
                    "BLKDISCARD, then BLKZEROOUT so the blocks read as zeros");
        }
        return none(path + " supports neither discard nor WRITE ZEROES");
    }

    /** The file system's block: the unit a hole is punched in. */
    private static long fileSystemBlock(Path path) {
        try {
            long bs = Files.getFileStore(path).getBlockSize();
            if (bs >= 512 && bs <= (1 << 20) && Long.bitCount(bs) == 1) {
                return bs;
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("No file system block size for {}: {}", path, e.toString());
        }
        return 4096;
    }

    private static UnmapPlan refuse(BackendOptions o, boolean required, String why) throws BackendException {
        if (required) {
            throw o.problem("unmap=true, but this LUN cannot deallocate blocks: " + why
                    + ". Set unmap=auto or unmap=false.");
        }
        return none(why);
    }
}
