package dev.lunar.scsi.internal.command;

import dev.lunar.spi.backend.Geometry;

/**
 * The limits Lunar advertises in the Block Limits VPD page (SBC-3 §6.6.3) and enforces in the
 * commands, kept together so that what INQUIRY says and what a command accepts cannot drift.
 */
public final class BlockLimits {

    /**
     * Largest READ/WRITE we accept, in bytes. The core splits it into backend-sized pieces, so
     * this bounds per-command memory at the port, not backend I/O size.
     */
    public static final int MAX_TRANSFER_BYTES = 16 << 20;
    /** MAXIMUM COMPARE AND WRITE LENGTH, blocks (byte field, so at most 255). */
    public static final int MAX_COMPARE_AND_WRITE_BLOCKS = 64;
    /** MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT. */
    public static final int MAX_UNMAP_DESCRIPTORS = 256;
    /** Cap on MAXIMUM UNMAP LBA COUNT (libiscsi treats more than 1 Mi blocks as insane). */
    public static final long MAX_UNMAP_BLOCKS_CAP = 1 << 20;
    /**
     * MAXIMUM WRITE SAME LENGTH, blocks. A WRITE SAME holds its LBA range lock until the last
     * block is written, so this bounds how long an overlapping READ or WRITE waits behind one
     * (32 MiB of writes at 512-byte blocks). 65535 is also what Linux LIO advertises; libiscsi's
     * WriteSame16.Unmap writes 65536 blocks with one WRITE(16) when this is 65536 or more, which
     * MAXIMUM TRANSFER LENGTH refuses. Hosts split larger discards and zeroing by this value.
     */
    public static final long MAX_WRITE_SAME_BLOCKS = 0xffff;
    /**
     * MAXIMUM ATOMIC TRANSFER LENGTH, blocks (WRITE ATOMIC(16)). Atomicity comes from the LBA
     * range lock, not from the backend, so any length up to MAXIMUM TRANSFER LENGTH would do;
     * 256 is what libiscsi's WRITE ATOMIC tests write and keeps the buffered data at most 1 MiB.
     */
    public static final int MAX_ATOMIC_BLOCKS = 256;

    private BlockLimits() {
    }

    /** MAXIMUM TRANSFER LENGTH in blocks for this geometry. */
    public static int maxTransferBlocks(Geometry g) {
        return MAX_TRANSFER_BYTES / g.blockSize();
    }

    /** OPTIMAL TRANSFER LENGTH GRANULARITY: the physical block, or the backend's hint if larger. */
    public static int optimalGranularity(Geometry g) {
        return Math.max(1 << g.physicalBlockExponent(), Math.min(g.optimalTransferBlocks(), 0xffff));
    }

    /** Whether the backend can deallocate (UNMAP, WRITE SAME with UNMAP). */
    public static boolean unmapSupported(Geometry g) {
        return g.unmapGranularityBlocks() > 0;
    }

    /**
     * LBPME (SBC-3 §4.7.3): the LU manages provisioning, i.e. the backend can deallocate and
     * UNMAP is implemented. Thin or resource provisioned then, per {@link Geometry#thinProvisioned()}.
     */
    public static boolean provisioningManaged(Geometry g, CommandTable table) {
        return unmapSupported(g) && table.supports(0x42);
    }

    /** MAXIMUM UNMAP LBA COUNT: 0 without UNMAP, else the backend's, clamped to a sane range. */
    public static long maxUnmapBlocks(Geometry g) {
        if (!unmapSupported(g)) {
            return 0;
        }
        long floor = 1L << g.physicalBlockExponent();
        long v = g.maxUnmapBlocks() <= 0 ? MAX_UNMAP_BLOCKS_CAP : g.maxUnmapBlocks();
        return Math.max(floor, Math.min(v, MAX_UNMAP_BLOCKS_CAP));
    }
}
