package dev.lunar.spi.backend;

/**
 * What a block device is and what it can do; the SCSI core reports it in READ CAPACITY and the
 * Block Limits / Logical Block Provisioning VPD pages, and splits I/O to fit it. Values are in
 * logical blocks unless said otherwise.
 *
 * @param blockSize logical block size in bytes (512 or 4096 usually)
 * @param blockCount number of logical blocks
 * @param physicalBlockExponent log2(physical blocks per logical block)
 * @param maxTransferBlocks largest single read or write the backend accepts
 * @param optimalTransferBlocks preferred transfer granularity (0: none)
 * @param unmapGranularityBlocks smallest unit UNMAP frees (0: UNMAP not supported)
 * @param unmapAlignmentBlocks alignment of that unit
 * @param maxUnmapBlocks largest single UNMAP range
 * @param thinProvisioned unmapped blocks hold no storage and read as zeros
 * @param readOnly writes fail with WRITE PROTECTED
 * @param writeCache the backend acknowledges writes before they are stable (WCE=1); a FUA write
 *     or a flush makes them stable
 * @param rotationRate SCSI MEDIUM ROTATION RATE (1: non-rotating)
 */
public record Geometry(
        int blockSize,
        long blockCount,
        int physicalBlockExponent,
        int maxTransferBlocks,
        int optimalTransferBlocks,
        int unmapGranularityBlocks,
        int unmapAlignmentBlocks,
        long maxUnmapBlocks,
        boolean thinProvisioned,
        boolean readOnly,
        boolean writeCache,
        int rotationRate) {

    public Geometry {
        if (blockSize < 512 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two >= 512: " + blockSize);
        }
        if (blockCount < 0 || maxTransferBlocks < 1) {
            throw new IllegalArgumentException("bad geometry");
        }
    }

    /** Capacity in bytes. */
    public long capacityBytes() {
        return blockCount * blockSize;
    }

    public Geometry withBlockCount(long blocks) {
        return new Geometry(blockSize, blocks, physicalBlockExponent, maxTransferBlocks,
                optimalTransferBlocks, unmapGranularityBlocks, unmapAlignmentBlocks, maxUnmapBlocks,
                thinProvisioned, readOnly, writeCache, rotationRate);
    }

    public Geometry withWriteCache(boolean enabled) {
        return new Geometry(blockSize, blockCount, physicalBlockExponent, maxTransferBlocks,
                optimalTransferBlocks, unmapGranularityBlocks, unmapAlignmentBlocks, maxUnmapBlocks,
                thinProvisioned, readOnly, enabled, rotationRate);
    }
}
