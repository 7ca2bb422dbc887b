#!/usr/bin/env python3
"""What makes Lunar's QD1 latency tail: slow I/Os matched with the JVM's safepoints and the scheduler.

Starts a private Lunar (a copy of karaf-assembly/target/assembly on free ports, as bench/run.py
does) with -Xlog:gc*,safepoint (decorator timenanos = CLOCK_MONOTONIC), fills and warms its LUN,
runs bench/iolat.c at QD1 with -l (every command's start and latency on the same clock), and
optionally records the scheduler with `perf sched record -k mono` for the same seconds. Then, for
the commands slower than 3x p50 and for the slowest 0.1%: how many overlap a safepoint (GC pause
or other VM operation), and (with --perf) how many sat behind a run-queue wait of iolat or of a
Lunar thread, and which threads held the two CPUs meanwhile.

    bench/qd1_tail.py [--java-opts "-Dio.netty.leakDetection.level=disabled"] [--perf] [--seconds 10]

Output (logs, iolat's per-command file, perf data) stays in --keep DIR when given.
"""
import argparse
import bisect
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import run as bench


def safepoints(gc_log):
    """(start, end, name) per safepoint, in CLOCK_MONOTONIC nanoseconds (logged when it ends)."""
    out = []
    for line in open(gc_log):
        m = re.match(r"\[(\d+)ns\].*Safepoint \"(\w+)\".*Total: (\d+) ns", line)
        if m:
            end = int(m.group(1))
            out.append((end - int(m.group(3)), end, m.group(2)))
    return sorted(out)


def overlapping(intervals, starts, s, e, longest=200_000_000):
    """Intervals (sorted by start) that overlap [s, e]; none is longer than `longest`."""
    i = bisect.bisect_left(starts, s - longest)
    out = []
    while i < len(intervals) and intervals[i][0] <= e:
        if intervals[i][1] >= s:
            out.append(intervals[i])
        i += 1
    return out


def scheduler(perf_data, lunar_pid):
    """From `perf sched timehist`: runs (start, end, who) and run-queue waits (start, end, who)."""
    text = subprocess.run(["perf", "sched", "timehist", "-i", perf_data], capture_output=True, text=True).stdout
    pattern = re.compile(r"\s*([\d.]+)\s+\[\d+\]\s+(.+?)\[(\d+)(?:/(\d+))?\]\s+[\d.]+\s+([\d.]+)\s+([\d.]+)")
    runs, waits = [], []
    for line in text.splitlines():
        m = pattern.match(line)
        if not m:
            continue
        end = int(round(float(m.group(1)) * 1e9))
        name, pid = m.group(2).strip(), m.group(4) or m.group(3)
        who = "iolat" if name == "iolat" else (f"lunar:{re.sub(r'[0-9#]+$', '', name)}" if pid == str(lunar_pid)
                                               else f"other:{name.split('/')[0]}")
        ran, delay = int(float(m.group(6)) * 1e6), int(float(m.group(5)) * 1e6)
        runs.append((end - ran, end, who))
        if delay:
            waits.append((end - ran - delay, end - ran, who))
    return sorted(runs), sorted(waits)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--java-opts", default="", help="extra JVM options for Lunar (EXTRA_JAVA_OPTS)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=20, help="seconds of 4K QD32/QD1 warm-up first")
    parser.add_argument("--perf", action="store_true", help="record the scheduler too (perf sched, as root)")
    parser.add_argument("--keep", help="directory for the logs (default: a temporary one, removed)")
    args = parser.parse_args()

    out = args.keep or tempfile.mkdtemp(prefix="lunar-qd1.")
    os.makedirs(out, exist_ok=True)
    gc_log, io_log, perf_data = (os.path.join(out, n) for n in ("gc.log", "io.log", "perf.data"))
    opts = f"{args.java_opts} -Xlog:gc*,safepoint:file={gc_log}:timenanos,level,tags".strip()
    target = bench.LunarTarget(out, os.environ.get("JAVA_HOME", ""), opts)
    clients = bench.Clients(out, args.seconds, 3)
    try:
        target.start()
        clients.fill(target.url)
        block_length = clients.block_length(target.url)
        deadline = time.monotonic() + args.warmup
        while time.monotonic() < deadline:
            for workload in ("randread-4k-qd32", "randwrite-4k-qd32", "read-4k-qd1"):
                clients.warm_up_for(target.url, workload, block_length)
        load = bench.loadavg()
        perf = None
        if args.perf:
            perf = subprocess.Popen(["perf", "sched", "record", "-k", "mono", "-o", perf_data, "--",
                                     "sleep", str(args.seconds + 4)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        result = json.loads(bench.run([clients.iolat, "-s", "4096", "-t", str(args.seconds), "-W", "2", "-l", io_log,
                                       target.url], timeout=args.seconds + 60).stdout)
        if perf:
            perf.wait()
        pid = target.cpu_pid
    finally:
        target.stop() if not args.keep else None
        if args.keep:
            # keep the logs: stop() would remove the slice's directory with them
            shutil.copytree(target.workdir, os.path.join(out, "lunar-console"), dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("lunar"))
            target.stop()

    ios = [tuple(map(int, line.split())) for line in open(io_log)]
    latencies = sorted(x[1] for x in ios)
    p50, p999 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.999)]
    print(f"QD1 4K read, {len(ios)} commands in {args.seconds:g} s, load avg {load[0]:.2f}: p50 {p50 / 1e3:.1f} µs, "
          f"p99.9 {p999 / 1e3:.1f} µs = {p999 / p50:.2f}x p50, max {latencies[-1] / 1e3:.0f} µs "
          f"(JVM options: {args.java_opts or 'the distribution defaults'})")
    points = safepoints(gc_log)
    point_starts = [p[0] for p in points]
    t0, t1 = ios[0][0], ios[-1][0] + ios[-1][1]
    during = [p for p in points if p[1] >= t0 and p[0] <= t1]
    kinds = collections.Counter(p[2] for p in during)
    print(f"safepoints during the run: {len(during)} {dict(kinds)}, "
          f"{sum(p[1] - p[0] for p in during) / 1e6:.2f} ms in all")
    sched = scheduler(perf_data, pid) if args.perf else None
    for label, threshold in (("slower than 3x p50", 3 * p50), ("slowest 0.1%", p999)):
        slow = [x for x in ios if x[1] >= threshold]
        at_safepoint = sum(1 for s, l in slow if overlapping(points, point_starts, s, s + l))
        print(f"{label}: {len(slow)} commands; {at_safepoint} overlap a safepoint")
        if sched:
            runs, waits = sched
            run_starts, wait_starts = [r[0] for r in runs], [w[0] for w in waits]
            behind_wait, waited, held = 0, collections.Counter(), collections.Counter()
            for s, l in slow:
                mine = 0
                for a, b, who in overlapping(waits, wait_starts, s, s + l):
                    part = min(b, s + l) - max(a, s)
                    waited[who] += part
                    if who == "iolat" or who.startswith("lunar:"):
                        mine = max(mine, part)
                behind_wait += mine >= (l - p50) / 2
                for a, b, who in overlapping(runs, run_starts, s, s + l):
                    held[who] += min(b, s + l) - max(a, s)
            print(f"  {behind_wait} of them spent at least half their excess over p50 in one run-queue wait "
                  f"of iolat or a Lunar thread")
            print("  run-queue waits inside them, ms: "
                  + ", ".join(f"{k} {v / 1e6:.1f}" for k, v in waited.most_common(6)))
            print("  CPU held inside them (both cores), ms: "
                  + ", ".join(f"{k} {v / 1e6:.1f}" for k, v in held.most_common(10)))
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
