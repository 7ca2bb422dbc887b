package dev.lunar.api;

/**
 * Monotonic I/O counters of a LUN or a session since it started; rates (IOPS, MB/s) are the
 * difference of two samples over their interval.
 *
 * @param reads read-type commands completed (READ, PRE-FETCH excluded)
 * @param writes write-type commands completed (WRITE, WRITE SAME, UNMAP, COMPARE AND WRITE, ...)
 * @param others every other command
 * @param bytesRead bytes returned by reads
 * @param bytesWritten bytes taken by writes
 * @param errors commands ended with CHECK CONDITION (other than unit attentions) or aborted
 * @param readLatency latency of reads, from arrival to status
 * @param writeLatency latency of writes, from arrival to status
 */
public record IoStats(long reads, long writes, long others, long bytesRead, long bytesWritten, long errors,
        LatencyHistogram readLatency, LatencyHistogram writeLatency) {
}
