package dev.lunar.spi.backend;

import dev.lunar.spi.buffer.DataBuffer;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * One opened block device, the storage behind a logical unit (FreeBSD CTL's backend LUN).
 * Asynchronous and queued: every I/O method returns at once and completes later through its
 * {@link IoCompletion}; the SCSI core never waits. Ranges are checked by the core before they get
 * here and never exceed {@link Geometry#maxTransferBlocks()}; a backend still fails bad ranges
 * with {@code LBA_OUT_OF_RANGE} rather than throwing.
 *
 * <p>Threading: methods are called from any thread, concurrently; they must not block (hand
 * blocking work to the backend's own bounded pool). Completions run on any thread.
 */
@ConsumerType
public interface BlockDevice {

    /** Current geometry; changes after {@link #resize} or {@link #setWriteCache}. */
    Geometry geometry();

    /**
     * Reads {@code blocks} blocks at {@code lba}. The result buffer (memory or a file region) is
     * owned by the completion, which releases it when the bytes have left; a backend may return
     * its own memory without copying as long as it stays valid until that release.
     */
    void read(long lba, int blocks, IoCompletion<DataBuffer> done);

    /**
     * Writes {@code data} (a whole number of blocks) at {@code lba}. Borrows {@code data}: the
     * caller keeps its reference and releases it after {@code done} runs; a backend that keeps
     * the bytes copies them or takes its own reference. With {@code fua} the data is stable
     * storage before completion.
     */
    void write(long lba, DataBuffer data, boolean fua, IoCompletion<Void> done);

    /** Makes every completed write stable (SYNCHRONIZE CACHE). */
    void flush(IoCompletion<Void> done);

    /**
     * Deallocates {@code blocks} blocks at {@code lba}; afterwards they read as zeros
     * (LBPRZ = 1). Backends with {@link Geometry#unmapGranularityBlocks()} 0 are never asked.
     */
    void unmap(long lba, long blocks, IoCompletion<Void> done);

    /** The provisioning run that contains {@code lba} (GET LBA STATUS). */
    void provisioning(long lba, IoCompletion<Provisioning> done);

    /** Turns the volatile write cache on or off (MODE SELECT caching page, WCE). */
    void setWriteCache(boolean enabled, IoCompletion<Void> done);

    /**
     * Changes the capacity. Called from a management thread; may block.
     *
     * @throws BackendException with a sentence an admin can act on
     */
    void resize(long blockCount) throws BackendException;

    /**
     * Closes the device after the I/O already submitted has completed, waiting at most a bounded
     * time (then it logs what was cut). Called from a management thread; may block; idempotent.
     */
    void close();
}
