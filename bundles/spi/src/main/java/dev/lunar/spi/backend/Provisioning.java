package dev.lunar.spi.backend;

/**
 * The provisioning status of a run of blocks starting at an LBA (SBC-3 §5.7, GET LBA STATUS).
 *
 * @param lba first block of the run
 * @param blocks length of the run (at least 1)
 * @param mapped true when the run holds storage, false when it is deallocated
 */
public record Provisioning(long lba, long blocks, boolean mapped) {
}
