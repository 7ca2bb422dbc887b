package dev.lunar.backend.ramdisk.internal;

import dev.lunar.spi.backend.Backend;
import dev.lunar.spi.backend.BackendException;
import dev.lunar.spi.backend.BackendOptions;
import dev.lunar.spi.backend.BlockDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ramdisk} backend: off-heap, sparse RAM disks of any size the machine allows.
 *
 * <p>Options (keys case-insensitive):
 * <ul>
 *   <li>{@code size} (required): capacity in bytes, with binary units: {@code 1073741824},
 *       {@code 512M}, {@code 1GiB}, {@code 100MiB}, {@code 2T}; a multiple of the block size.
 *       Memory is taken only for blocks written, in 64 KiB pages, so a size beyond the machine's
 *       memory is allowed; writes fail with SPACE ALLOCATION FAILED when memory runs out.</li>
 *   <li>{@code blockSize}: 512 (default), 1024, 2048 or 4096.</li>
 *   <li>{@code readOnly}: {@code true} makes every write fail with WRITE PROTECTED.</li>
 *   <li>{@code writeCache}: the WCE bit reported (default false); RAM behaves the same either
 *       way and flush is a no-op.</li>
 *   <li>{@code memoryLimit}: the most page memory this LUN may hold (same units as size; default:
 *       unlimited, i.e. up to the JVM's {@code -XX:MaxDirectMemorySize}). Copy-on-write pages (a
 *       write to a page a read is still sending) count too, briefly; a LUN written full needs a
 *       little headroom above its size for them.</li>
 * </ul>
 *
 * <p><b>Updates lose the data.</b> A RAM disk's memory belongs to its device, and the device to
 * this bundle: {@code bundle:update} or {@code bundle:restart} of backend-ramdisk (or any reopen
 * of the LUN, e.g. a new {@code blockSize}) gives the LUN a blank device. The core keeps the LUN
 * (identity, sessions; I/O held during the swap) and tells initiators MEDIUM MAY HAVE CHANGED.
 * Handing the pages to the successor would need the SPI to carry a device's state from one
 * backend instance to the next in JDK types; it does not today.
 */
@Component(service = Backend.class, property = {Backend.KIND + "=" + RamDiskBackend.KIND_NAME,
    RamDiskBackend.PERSISTENT + "=false"})
public final class RamDiskBackend implements Backend {

    static final String KIND_NAME = "ramdisk";
    /**
     * Service property telling the SCSI core that a device opened again starts empty, so a LUN
     * reopened here reports MEDIUM MAY HAVE CHANGED. Wants to be {@code Backend.PERSISTENT} on the
     * SPI; the core reads the same literal.
     */
    static final String PERSISTENT = "lunar.backend.persistent";

    private static final Logger LOG = LoggerFactory.getLogger(RamDiskBackend.class);

    private final Set<RamDisk> open = ConcurrentHashMap.newKeySet();

    @Override
    public String kind() {
        return KIND_NAME;
    }

    /** Called from a management thread; allocates nothing but the page directory. */
    @Override
    public BlockDevice open(String name, Map<String, String> options) throws BackendException {
        BackendOptions o = new BackendOptions(name, options);
        if (!o.has("size")) {
            throw o.problem("a RAM disk needs option size, for example size=1G.");
        }
        long size = o.size("size", 0);
        int blockSize = o.blockSize();
        if (size < blockSize) {
            throw o.error("size", o.string("size", ""), "at least one block (" + blockSize + " bytes), for example 1G");
        }
        if (size % blockSize != 0) {
            long rounded = (size / blockSize + 1) * blockSize;
            throw o.error("size", o.string("size", ""), "a multiple of blockSize " + blockSize
                    + ", for example " + rounded);
        }
        if (size > RamDisk.MAX_BYTES) {
            throw o.error("size", o.string("size", ""), "at most 256T");
        }
        int physicalExponent = o.physicalBlockExponent(blockSize, PageMemory.PAGE_SIZE);
        boolean readOnly = o.bool("readOnly", false);
        boolean writeCache = o.bool("writeCache", false);
        long memoryLimit = o.size("memoryLimit", Long.MAX_VALUE);
        RamDisk[] self = new RamDisk[1];
        RamDisk disk = new RamDisk(name, blockSize, physicalExponent, size / blockSize, readOnly, writeCache,
                memoryLimit, () -> open.remove(self[0]));
        self[0] = disk;
        open.add(disk);
        LOG.info("RAM disk {} opened: {} bytes in {}-byte blocks ({}-byte physical){}", name, size, blockSize,
                blockSize << physicalExponent, readOnly ? ", read-only" : "");
        return disk;
    }

    /** Closes the devices the core did not close (their contents are gone with them). Bounded. */
    @Deactivate
    void deactivate() {
        List<RamDisk> left = new ArrayList<>(open);
        if (!left.isEmpty()) {
            LOG.warn("RAM disk backend stopping with {} device(s) still open; closing them: {}", left.size(), left);
        }
        left.forEach(RamDisk::close);
    }

    /** For tests: the devices open now. */
    int openCount() {
        return open.size();
    }
}
