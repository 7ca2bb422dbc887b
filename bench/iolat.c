/*
 * iolat: per-command latency of one iSCSI initiator at queue depth 1.
 *
 * Neither iscsi-perf (average IOPS only) nor qemu-img bench (total run time only) reports
 * latency percentiles, and the QD1 goal of issue 7 is about p50 and p99.9. This client logs in
 * with libiscsi, issues one READ(16) or WRITE(16) at a time at random block-size-aligned offsets,
 * times each command with CLOCK_MONOTONIC around the synchronous call, and prints one JSON
 * object with the count, rate and percentiles on stdout (bench/run.py parses it).
 *
 * usage: iolat [-C] [-w] [-s bytes] [-t seconds] [-W warmup-seconds] [-l file] iscsi://host:port/iqn/lun
 *        iolat -C iscsi://host:port/iqn/lun     (prints the LUN's block length and block count)
 *
 * -l file writes every measured command as "start latency" (nanoseconds, start on
 * CLOCK_MONOTONIC) after the run, so slow commands can be matched with the target's own logs:
 * on Linux the JVM's -Xlog decorator "timenanos" is the same clock, and the JSON carries
 * "realtime_minus_monotonic_ns" to map onto wall-clock stamps (JFR, perf with -k realtime).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double percentile_us(const uint64_t *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1) {
        rank = 1;
    }
    if (rank > n) {
        rank = n;
    }
    return (double)sorted[rank - 1] / 1000.0;
}

/* xorshift64*: a fast generator whose cost does not show up in the latency being measured. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* One command; 0 when it completed with GOOD status. */
static int one_io(struct iscsi_context *iscsi, int lun, int write, uint64_t lba, unsigned char *buffer,
                  uint32_t bytes, uint32_t block_length)
{
    struct scsi_task *task = write
        ? iscsi_write16_sync(iscsi, lun, lba, buffer, bytes, block_length, 0, 0, 0, 0, 0)
        : iscsi_read16_sync(iscsi, lun, lba, bytes, block_length, 0, 0, 0, 0, 0);
    if (task == NULL) {
        fprintf(stderr, "iolat: %s failed: %s\n", write ? "WRITE(16)" : "READ(16)", iscsi_get_error(iscsi));
        return -1;
    }
    int status = task->status;
    scsi_free_scsi_task(task);
    if (status != SCSI_STATUS_GOOD) {
        fprintf(stderr, "iolat: %s returned SCSI status %d\n", write ? "WRITE(16)" : "READ(16)", status);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int write = 0, capacity_only = 0;
    uint32_t bytes = 4096;
    double seconds = 10, warmup = 2;
    const char *log_path = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "wCs:t:W:l:")) != -1) {
        switch (opt) {
        case 'w': write = 1; break;
        case 'C': capacity_only = 1; break;
        case 's': bytes = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 't': seconds = strtod(optarg, NULL); break;
        case 'W': warmup = strtod(optarg, NULL); break;
        case 'l': log_path = optarg; break;
        default:
            fprintf(stderr, "usage: iolat [-C] [-w] [-s bytes] [-t seconds] [-W warmup-seconds] [-l file] iscsi://host:port/iqn/lun\n");
            return 2;
        }
    }
    if (optind != argc - 1 || bytes == 0 || seconds <= 0) {
        fprintf(stderr, "usage: iolat [-C] [-w] [-s bytes] [-t seconds] [-W warmup-seconds] [-l file] iscsi://host:port/iqn/lun\n");
        return 2;
    }

    struct iscsi_context *iscsi = iscsi_create_context("iqn.2026-11.dev.lunar:bench-iolat");
    struct iscsi_url *url = iscsi ? iscsi_parse_full_url(iscsi, argv[optind]) : NULL;
    if (url == NULL) {
        fprintf(stderr, "iolat: bad URL %s: %s\n", argv[optind], iscsi ? iscsi_get_error(iscsi) : "no context");
        return 1;
    }
    iscsi_set_targetname(iscsi, url->target);
    iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
    /* the same digest choice as iscsi-perf and QEMU: none, so every client measures the same wire */
    iscsi_set_header_digest(iscsi, ISCSI_HEADER_DIGEST_NONE);
    int lun = url->lun;
    if (iscsi_full_connect_sync(iscsi, url->portal, lun) != 0) {
        fprintf(stderr, "iolat: login to %s failed: %s\n", argv[optind], iscsi_get_error(iscsi));
        return 1;
    }
    iscsi_destroy_url(url);

    struct scsi_task *task = iscsi_readcapacity16_sync(iscsi, lun);
    struct scsi_readcapacity16 *capacity = task && task->status == SCSI_STATUS_GOOD
        ? scsi_datain_unmarshall(task) : NULL;
    if (capacity == NULL) {
        fprintf(stderr, "iolat: READ CAPACITY(16) failed: %s\n", iscsi_get_error(iscsi));
        return 1;
    }
    uint32_t block_length = capacity->block_length;
    uint64_t blocks = capacity->returned_lba + 1;
    scsi_free_scsi_task(task);
    if (capacity_only) {
        printf("{\"block_length\": %u, \"blocks\": %" PRIu64 "}\n", block_length, blocks);
        iscsi_logout_sync(iscsi);
        iscsi_destroy_context(iscsi);
        return 0;
    }
    if (bytes % block_length != 0) {
        fprintf(stderr, "iolat: %u bytes is not a multiple of the %u-byte block\n", bytes, block_length);
        return 1;
    }
    uint64_t blocks_per_io = bytes / block_length;
    uint64_t slots = blocks / blocks_per_io;

    unsigned char *buffer = malloc(bytes);
    memset(buffer, 0xa5, bytes);
    uint64_t state = now_ns() | 1;

    uint64_t warmup_end = now_ns() + (uint64_t)(warmup * 1e9);
    while (now_ns() < warmup_end) {
        if (one_io(iscsi, lun, write, next_random(&state) % slots * blocks_per_io, buffer, bytes, block_length)) {
            return 1;
        }
    }

    size_t capacity_n = 1 << 16, n = 0;
    uint64_t *latencies = malloc(capacity_n * sizeof *latencies);
    /* start times only when logging: the loop then writes two words per command, still no I/O */
    uint64_t *starts = log_path ? malloc(capacity_n * sizeof *starts) : NULL;
    /* two readings around one of the other clock: the offset is good to well under a microsecond */
    uint64_t mono_before = now_ns(), real = clock_ns(CLOCK_REALTIME), mono_after = now_ns();
    int64_t realtime_minus_monotonic = (int64_t)(real - (mono_before + (mono_after - mono_before) / 2));
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9), t = start;
    while (t < end) {
        uint64_t lba = next_random(&state) % slots * blocks_per_io;
        uint64_t before = now_ns();
        if (one_io(iscsi, lun, write, lba, buffer, bytes, block_length)) {
            return 1;
        }
        t = now_ns();
        if (n == capacity_n) {
            capacity_n *= 2;
            latencies = realloc(latencies, capacity_n * sizeof *latencies);
            if (log_path) {
                starts = realloc(starts, capacity_n * sizeof *starts);
            }
            if (latencies == NULL || (log_path && starts == NULL)) {
                fprintf(stderr, "iolat: out of memory\n");
                return 1;
            }
        }
        if (log_path) {
            starts[n] = before;
        }
        latencies[n++] = t - before;
    }
    double elapsed = (double)(t - start) / 1e9;
    iscsi_logout_sync(iscsi);
    iscsi_destroy_context(iscsi);
    if (log_path) {
        FILE *log = fopen(log_path, "w");
        if (log == NULL) {
            fprintf(stderr, "iolat: cannot write %s: %s\n", log_path, strerror(errno));
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            fprintf(log, "%" PRIu64 " %" PRIu64 "\n", starts[i], latencies[i]);
        }
        fclose(log);
        free(starts);
    }

    qsort(latencies, n, sizeof *latencies, by_value);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += (double)latencies[i];
    }
    printf("{\"ios\": %zu, \"seconds\": %.3f, \"iops\": %.1f, \"bytes_per_io\": %u, "
           "\"mean_us\": %.2f, \"p50_us\": %.2f, \"p90_us\": %.2f, \"p99_us\": %.2f, "
           "\"p999_us\": %.2f, \"max_us\": %.2f, \"realtime_minus_monotonic_ns\": %" PRId64 "}\n",
           n, elapsed, (double)n / elapsed, bytes, sum / (double)n / 1000.0,
           percentile_us(latencies, n, 50), percentile_us(latencies, n, 90),
           percentile_us(latencies, n, 99), percentile_us(latencies, n, 99.9),
           (double)latencies[n - 1] / 1000.0, realtime_minus_monotonic);
    free(latencies);
    free(buffer);
    return 0;
}
