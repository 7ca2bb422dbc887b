#!/usr/bin/env python3
"""End-to-end benchmarks over loopback: Lunar against tgt and istgt, same machine, same run.

`./lunar bench` runs this file (issue 7, "Benchmarks"). For every round, every target is started
in turn (the order rotates from round to round so slow drift of the machine does not favour one
target), its 1 GiB RAM-backed LUN is filled once with a non-zero pattern, then every workload runs
against it, each right after an unmeasured warm-up of its own shape, and the target is stopped
again. Each workload records the client's throughput and latency, the target process's CPU time
(utime+stime of all its threads, from /proc/PID/stat) before and after, and /proc/loadavg.
The single-stream loopback TCP limit is measured with iperf3 once per round. After the last
workload of a slice, bench/idle_sessions.py logs --idle-sessions sessions in to the target and
holds them idle: Lunar's live heap per session (class histograms, each after a full GC, the
zero-session baseline subtracted) decides the idle-session goal; every target's resident memory
per session is reported beside it for context. The report keeps the median of the rounds for
every number and prints ratios Lunar/peer.

Clients:
  iscsi-perf (libiscsi)   random and sequential READ at a queue depth (it only reads)
  qemu-img bench          scattered and sequential WRITE at a queue depth (QEMU's iSCSI driver)
  bench/iolat.c           4K READ at QD1 with per-command latency percentiles (neither of the
                          two above reports percentiles), compiled at run time against libiscsi

Nothing stays behind: daemons run only for their slice, in the foreground, as children of this
script; their configuration, LUN files (/dev/shm) and tgtd's control socket are removed after.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import idle_sessions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "bench")
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
ASSEMBLY = os.path.join(ROOT, "karaf-assembly", "target", "assembly")

LUN_BYTES = 1 << 30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# A prime number of 4 KiB blocks: stepping by it modulo the 1 GiB LUN (2^18 blocks) visits every
# block once, in an order with no locality, which is how qemu-img bench (no random mode) scatters.
SCATTER_STEP = 4096 * 104729
FILL_PATTERN = 0xA5
ALL_TARGETS = ("lunar", "tgt", "istgt")
PEERS = ("tgt", "istgt")

# One line per workload: name -> (description, client, operation, bytes per I/O, queue depth,
# access pattern). The names are what --workloads takes.
WORKLOADS = {
    "randread-4k-qd32": ("4K random read, QD32", "iscsi-perf", "read", 4096, 32, "random"),
    "randwrite-4k-qd32": ("4K scattered write, QD32", "qemu-img", "write", 4096, 32, "scattered"),
    "read-4k-qd1": ("4K random read, QD1 (latency)", "iolat", "read", 4096, 1, "random"),
    "seqread-128k-qd32": ("128K sequential read, QD32", "iscsi-perf", "read", 131072, 32, "sequential"),
    "seqwrite-128k-qd32": ("128K sequential write, QD32", "qemu-img", "write", 131072, 32, "sequential"),
    "seqread-256k-qd32": ("256K sequential read, QD32", "iscsi-perf", "read", 262144, 32, "sequential"),
    "seqwrite-256k-qd32": ("256K sequential write, QD32", "qemu-img", "write", 262144, 32, "sequential"),
}

# The idle-session measurement's default and largest count (istgt's MaxSessions is sized by it).
IDLE_SESSIONS_DEFAULT = 1000
IDLE_SESSIONS_MAX = 2000

# Every target negotiates the same data-path parameters, the ones Lunar defaults to (issue 7):
# 256 KiB data segments both ways, 256 KiB first burst, 1 MiB bursts, immediate data, no initial R2T.
SEGMENT = 262144
FIRST_BURST = 262144
MAX_BURST = 1048576


def log(message):
    print("bench: " + message, file=sys.stderr, flush=True)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(predicate, seconds, what, process=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with status {process.returncode}")
        time.sleep(0.2)
    raise RuntimeError(f"{what}: not ready after {seconds}s")


def cpu_seconds(pid):
    """utime+stime of a process, all its threads (live and exited) included, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        # the command name (field 2) may contain spaces; the fields after its ')' are fixed
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_cpu_seconds(pid):
    """utime+stime per thread name (/proc/PID/task/*/comm) of the live threads, in seconds."""
    totals = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        totals[name] = totals.get(name, 0) + (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return totals


def loadavg():
    with open("/proc/loadavg") as f:
        one, five, fifteen = f.read().split()[:3]
    return [float(one), float(five), float(fifteen)]


def run(command, timeout, check=True, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{command[0]} exited with {result.returncode}: {result.stderr.strip()[-400:]}")
    return result


def stop_process(process, seconds, polite=signal.SIGTERM, group=False):
    """Sends `polite`, waits, then SIGKILL; `group`: signal the whole process group."""
    if process is None or process.poll() is not None:
        return
    try:
        (os.killpg if group else os.kill)(process.pid, polite)
        process.wait(timeout=seconds)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        log(f"pid {process.pid} did not stop within {seconds}s; killing it")
        try:
            (os.killpg if group else os.kill)(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


# --- targets ---------------------------------------------------------------------------------

class Target:
    """One target daemon for one slice: start() makes its LUN reachable at self.url, cpu_pid is
    the process whose CPU time is the target's cost, stop() removes every trace."""

    name = None
    # why the idle-session measurement skips this target, or None
    idle_sessions_skipped = None

    def __init__(self, workdir):
        self.workdir = tempfile.mkdtemp(prefix=f"{self.name}.", dir=workdir)
        self.port = free_port()
        self.process = None
        self.cpu_pid = None
        self.url = None
        self.settings = {}

    def lun_file(self):
        # a RAM-backed file, the peers' equivalent of Lunar's RAM disk; created sparse, filled
        # through iSCSI by the slice's first step like Lunar's
        path = f"/dev/shm/lunar-bench-{self.name}-{os.getpid()}.img"
        with open(path, "wb") as f:
            f.truncate(LUN_BYTES)
        self.shm_file = path
        return path

    def remove_lun_file(self):
        path = getattr(self, "shm_file", None)
        if path and os.path.exists(path):
            os.unlink(path)

    def cleanup(self):
        self.remove_lun_file()
        shutil.rmtree(self.workdir, ignore_errors=True)


class LunarTarget(Target):
    name = "lunar"
    IQN = "iqn.2026-11.dev.lunar:default"

    def __init__(self, workdir, java_home, extra_java_opts):
        super().__init__(workdir)
        self.java_home = java_home
        self.extra_java_opts = extra_java_opts

    def start(self):
        # A private copy of the distribution on free ports: a Lunar from ./lunar start (run/,
        # port 3260) and the integration tests of other people keep running undisturbed.
        home = os.path.join(self.workdir, "lunar")
        # others may rebuild the distribution during a long run: each slice names what it copied
        self.build = lunar_meta()
        shutil.copytree(ASSEMBLY, home, symlinks=True)
        for path, key, value in (
            ("etc/dev.lunar.portal-default.cfg", "port", self.port),
            ("etc/org.apache.karaf.shell.cfg", "sshPort", free_port()),
            ("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", free_port()),
            ("etc/org.apache.karaf.management.cfg", "rmiServerPort", free_port()),
        ):
            set_cfg(os.path.join(home, path), key, value)
        env = dict(os.environ)
        if self.java_home:
            env["JAVA_HOME"] = self.java_home
        if self.extra_java_opts:
            env["EXTRA_JAVA_OPTS"] = self.extra_java_opts
        self.home = home
        self.console = open(os.path.join(self.workdir, "console.out"), "w")
        self.process = subprocess.Popen([os.path.join(home, "bin/karaf"), "server"], cwd=home, env=env,
                                        stdin=subprocess.DEVNULL, stdout=self.console,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: port_open(self.port), 240, "Lunar's iSCSI portal", self.process)
        self.cpu_pid = self.karaf_pid()
        self.url = f"iscsi://127.0.0.1:{self.port}/{self.IQN}/0"
        self.settings = {"home": home, "jvm": jvm_flags(self.cpu_pid), "commit": self.build[0], "built": self.build[1],
                         "extra_java_opts": self.extra_java_opts or ""}

    def karaf_pid(self):
        # bin/karaf is a shell script that runs the JVM as its child; Karaf writes the JVM's pid
        with open(os.path.join(self.home, "karaf.pid")) as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if self.home.encode() not in f.read():
                raise RuntimeError(f"karaf.pid names pid {pid}, which is not this Lunar")
        return pid

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            # SIGTERM to the JVM runs Karaf's shutdown hook (a clean stop); the wrapper script
            # exits after it; anything left in the session is killed
            try:
                os.kill(self.cpu_pid or self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=60)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                log("Lunar did not stop within 60s of SIGTERM; killing it")
            stop_process(self.process, 5, signal.SIGKILL, group=True)
        if getattr(self, "console", None):
            self.console.close()
        self.cleanup()


def set_cfg(path, key, value):
    with open(path) as f:
        lines = f.read().splitlines()
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*[=:]")
    replaced = [f"{key} = {value}" if pattern.match(line) else line for line in lines]
    if replaced == lines:
        replaced.append(f"{key} = {value}")
    with open(path, "w") as f:
        f.write("\n".join(replaced) + "\n")


def jvm_flags(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        args = f.read().decode(errors="replace").split("\0")
    return [a for a in args if a.startswith("-X") and not a.startswith("-Xbootclasspath")]


class TgtTarget(Target):
    name = "tgt"
    IQN = "iqn.2026-11.dev.lunar.bench:tgt"
    SOCKET_DIR = "/var/run/tgtd"

    def start(self):
        self.socket_dir_existed = os.path.isdir(self.SOCKET_DIR)
        # tgtd's management socket is /var/run/tgtd/socket.<control port>: a number of our own
        # keeps a system tgtd (Debian starts one on 3260 when the package is installed) apart
        # (tgtd refuses control ports above a small limit: 40653 is "out of range")
        self.control = 1000 + os.getpid() % 8000
        while os.path.exists(f"{self.SOCKET_DIR}/socket.{self.control}"):
            self.control += 1
        lun_file = self.lun_file()
        self.log = open(os.path.join(self.workdir, "tgtd.log"), "w")
        self.process = subprocess.Popen(["tgtd", "-f", "-C", str(self.control), "--iscsi",
                                         f"portal=127.0.0.1:{self.port}"],
                                        stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.cpu_pid = self.process.pid
        wait_until(lambda: os.path.exists(f"{self.SOCKET_DIR}/socket.{self.control}") and port_open(self.port),
                   20, "tgtd", self.process)
        self.adm("--op", "new", "--mode", "target", "--tid", "1", "-T", self.IQN)
        # LUN 0 of a tgt target is its controller; the disk is LUN 1. bs type rdwr: pread/pwrite
        # on the /dev/shm file, i.e. memory.
        self.adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "-b", lun_file,
                 "--bstype", "rdwr")
        self.adm("--op", "bind", "--mode", "target", "--tid", "1", "-I", "127.0.0.1")
        # tgt's defaults are 8 KiB segments; "tuned to 256 KiB segments" (issue 7) means both
        # directions: MaxXmitDataSegmentLength bounds its Data-In PDUs
        for key, value in (("MaxRecvDataSegmentLength", SEGMENT), ("MaxXmitDataSegmentLength", SEGMENT),
                           ("FirstBurstLength", FIRST_BURST), ("MaxBurstLength", MAX_BURST),
                           ("InitialR2T", "No"), ("ImmediateData", "Yes")):
            self.adm("--op", "update", "--mode", "target", "--tid", "1", "-n", key, "-v", str(value))
        shown = self.adm("--op", "show", "--mode", "target", "--tid", "1").stdout
        self.settings = dict(re.findall(r"^(\w+)=(\S+)$", shown, re.M))
        self.settings["backing_store"] = f"{lun_file} (rdwr)"
        self.url = f"iscsi://127.0.0.1:{self.port}/{self.IQN}/1"

    def adm(self, *args):
        return run(["tgtadm", "-C", str(self.control), "--lld", "iscsi", *args], timeout=20)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            # tgtd ignores SIGTERM; it exits on "delete system" once no target is left
            try:
                self.adm("--op", "delete", "--mode", "logicalunit", "--tid", "1", "--lun", "1")
                self.adm("--op", "delete", "--mode", "target", "--tid", "1")
                run(["tgtadm", "-C", str(self.control), "--op", "delete", "--mode", "system"], timeout=20)
                self.process.wait(timeout=20)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                log(f"tgtd did not shut down cleanly ({e}); killing it")
            stop_process(self.process, 5, signal.SIGKILL)
        if getattr(self, "log", None):
            self.log.close()
        for leftover in (f"socket.{getattr(self, 'control', 0)}", f"socket.{getattr(self, 'control', 0)}.lock"):
            path = os.path.join(self.SOCKET_DIR, leftover)
            if os.path.exists(path):
                os.unlink(path)
        if not getattr(self, "socket_dir_existed", True):
            try:
                os.rmdir(self.SOCKET_DIR)
            except OSError:
                pass
        self.cleanup()


class IstgtTarget(Target):
    name = "istgt"
    IQN = "iqn.2026-11.dev.lunar.bench:istgt"
    # measured once by hand (2026-11-23): 249 sessions held, 342 KiB RSS per session
    idle_sessions_skipped = ("istgt 0.4 answers one login at a time, about a second each, and holds at most "
                             "255 sessions (by hand: 249 held, about 340 KiB RSS per session)")

    def start(self):
        lun_file = self.lun_file()
        control_port = free_port()
        conf = os.path.join(self.workdir, "istgt.conf")
        auth = os.path.join(self.workdir, "auth.conf")
        with open(auth, "w") as f:
            # istgt insists on an AuthFile; the bench logs in without CHAP (loopback)
            f.write('[AuthGroup1]\n  Comment "unit control only"\n'
                    f'  Auth "bench" "{os.urandom(8).hex()}"\n')
        # istgt 0.4 refuses "InitialR2T No" ("not supported value No"), so it is the one target
        # that negotiates InitialR2T=Yes; QueueDepth enables its command queuing (off by default)
        with open(conf, "w") as f:
            f.write(f"""[Global]
  NodeBase "iqn.2026-11.dev.lunar.bench"
  PidFile {self.workdir}/istgt.pid
  AuthFile {auth}
  MediaDirectory {self.workdir}
  LogFacility "local7"
  Timeout 30
  NopInInterval 20
  DiscoveryAuthMethod Auto
  MaxSessions {IDLE_SESSIONS_MAX + 16}
  MaxConnections 4
  MaxR2T 32
  MaxOutstandingR2T 16
  DefaultTime2Wait 2
  DefaultTime2Retain 60
  FirstBurstLength {FIRST_BURST}
  MaxBurstLength {MAX_BURST}
  MaxRecvDataSegmentLength {SEGMENT}
  InitialR2T Yes
  ImmediateData Yes
  DataPDUInOrder Yes
  DataSequenceInOrder Yes
  ErrorRecoveryLevel 0
[UnitControl]
  AuthMethod CHAP Mutual
  AuthGroup AuthGroup1
  Portal UC1 127.0.0.1:{control_port}
  Netmask 127.0.0.1
[PortalGroup1]
  Portal DA1 127.0.0.1:{self.port}
[InitiatorGroup1]
  InitiatorName "ALL"
  Netmask 127.0.0.1
[LogicalUnit1]
  TargetName istgt
  Mapping PortalGroup1 InitiatorGroup1
  AuthMethod None
  UseDigest Auto
  UnitType Disk
  QueueDepth 64
  LUN0 Storage {lun_file} 1GB
""")
        self.log = open(os.path.join(self.workdir, "istgt.log"), "w")
        self.process = subprocess.Popen(["istgt", "-D", "-c", conf], stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.cpu_pid = self.process.pid
        wait_until(lambda: port_open(self.port), 20, "istgt", self.process)
        self.settings = {"MaxRecvDataSegmentLength": SEGMENT, "FirstBurstLength": FIRST_BURST,
                         "MaxBurstLength": MAX_BURST, "InitialR2T": "Yes (No is not supported)",
                         "ImmediateData": "Yes", "QueueDepth": 64, "backing_store": lun_file}
        self.url = f"iscsi://127.0.0.1:{self.port}/{self.IQN}/0"

    def stop(self):
        stop_process(self.process, 20)
        if getattr(self, "log", None):
            self.log.close()
        self.cleanup()


# --- clients ---------------------------------------------------------------------------------

class Clients:
    def __init__(self, workdir, duration, warmup):
        self.duration = duration
        self.warmup = warmup
        self.iolat = os.path.join(workdir, "iolat")
        run(["gcc", "-O2", "-o", self.iolat, os.path.join(BENCH_DIR, "iolat.c"), "-liscsi"], timeout=120)
        # qemu-img bench runs a count, not a time: the warm-up run before each measurement is a
        # pilot whose rate sizes the measured count (keyed by URL: each slice has its own port)
        self.rates = {}

    def block_length(self, url):
        return json.loads(run([self.iolat, "-C", url], timeout=30).stdout)["block_length"]

    def fill(self, url):
        """Writes the whole LUN once with a non-zero pattern: every target then serves reads from
        written memory (a sparse RAM disk or a file hole would answer reads of zeros for free)."""
        self.qemu_img(url, "write", SEGMENT, 32, "sequential", LUN_BYTES // SEGMENT)

    def warm_up_for(self, url, workload, block_length):
        """An unmeasured run of the workload's own shape right before it is measured: every target
        is restarted for each slice, and a JVM's JIT would otherwise compile inside the first
        measurements. For qemu-img it is also the pilot whose rate sizes the measured count."""
        _, client, op, size, depth, pattern = WORKLOADS[workload]
        if client == "iscsi-perf":
            self.iscsi_perf(url, size, depth, pattern, self.warmup, block_length)
        elif client == "qemu-img":
            guess = self.rates.get((url, workload))
            count = int(guess * self.warmup) if guess else min(20000, max(200, int(2e8 // size)))
            self.rates[(url, workload)] = self.qemu_img(url, op, size, depth, pattern, max(100, count))["iops"]
        elif client == "iolat":
            run([self.iolat, "-s", str(size), "-t", str(self.warmup), "-W", "0", url], timeout=self.warmup + 60)

    def measure(self, target_key, url, workload, block_length):
        _, client, op, size, depth, pattern = WORKLOADS[workload]
        if client == "iscsi-perf":
            return self.iscsi_perf(url, size, depth, pattern, self.duration, block_length)
        if client == "iolat":
            return self.run_iolat(url, size, op == "write")
        count = max(100, int(self.rates[(url, workload)] * self.duration))
        return self.qemu_img(url, op, size, depth, pattern, count)

    def iscsi_perf(self, url, size, depth, pattern, seconds, block_length):
        seconds = max(1, round(seconds))  # whole seconds; 0 would mean "run forever"
        command = ["iscsi-perf", "-m", str(depth), "-b", str(size // block_length), "-t", str(seconds)]
        if pattern == "random":
            command.append("-r")
        command.append(url)
        # iscsi-perf checks its run time in whole seconds once a second and can step over the
        # end (it then runs forever); SIGINT makes it drain and exit, the last average stands
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started = time.monotonic()
        try:
            out, err = process.communicate(timeout=seconds + 10)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:  # interrupted: no client outlives the bench
                process.kill()
                process.wait()
        elapsed = time.monotonic() - started
        averages = re.findall(r"iops average (\d+)", out)
        if process.returncode not in (0, None) and not averages:
            raise RuntimeError(f"iscsi-perf failed: {(out + err).strip()[-400:]}")
        if not averages:
            raise RuntimeError(f"iscsi-perf printed no average: {(out + err).strip()[-400:]}")
        iops = float(averages[-1])
        return {"iops": iops, "ios": iops * seconds, "seconds": float(seconds), "bytes_per_io": size,
                "wall_seconds": elapsed}

    def qemu_img(self, url, op, size, depth, pattern, count):
        command = ["qemu-img", "bench", "-f", "raw", "-c", str(count), "-d", str(depth), "-s", str(size)]
        if op == "write":
            command += ["-w", f"--pattern={FILL_PATTERN}"]
        if pattern == "scattered":
            command += ["-S", str(SCATTER_STEP)]
        command.append(url)
        result = run(command, timeout=600)
        match = re.search(r"Run completed in ([0-9.]+) seconds", result.stdout)
        if not match:
            raise RuntimeError(f"qemu-img bench printed no run time: {result.stdout.strip()[-400:]}")
        seconds = float(match.group(1))
        return {"iops": count / seconds, "ios": count, "seconds": seconds, "bytes_per_io": size}

    def run_iolat(self, url, size, write):
        command = [self.iolat, "-s", str(size), "-t", str(self.duration), "-W", str(self.warmup)]
        if write:
            command.append("-w")
        command.append(url)
        result = json.loads(run(command, timeout=self.duration + 60).stdout)
        return result


def client_cpu_seconds():
    usage = os.times()
    return usage.children_user + usage.children_system


def measure_workload(clients, target, workload, block_length):
    clients.warm_up_for(target.url, workload, block_length)
    load = loadavg()
    threads_before = thread_cpu_seconds(target.cpu_pid)
    before = cpu_seconds(target.cpu_pid)
    client_before = client_cpu_seconds()
    result = clients.measure(target.name, target.url, workload, block_length)
    target_cpu = cpu_seconds(target.cpu_pid) - before
    client_cpu = client_cpu_seconds() - client_before
    # where the target's CPU went, by thread name: shows a JIT compiler or GC eating into a run
    threads_after = thread_cpu_seconds(target.cpu_pid)
    by_thread = sorted(((name, cpu - threads_before.get(name, 0)) for name, cpu in threads_after.items()),
                       key=lambda item: -item[1])
    result["target_cpu_by_thread"] = {name: round(cpu, 2) for name, cpu in by_thread[:6] if cpu > 0}
    ios = result["ios"]
    gigabytes = ios * result["bytes_per_io"] / 1e9
    result.update({
        "mb_per_s": result["iops"] * result["bytes_per_io"] / 1e6,
        "target_cpu_s": target_cpu,
        "cpu_us_per_io": target_cpu / ios * 1e6 if ios else None,
        "cpu_s_per_gb": target_cpu / gigabytes if gigabytes else None,
        "client_cpu_us_per_io": client_cpu / ios * 1e6 if ios else None,
        "loadavg": load,
    })
    if result.get("p50_us") and result.get("p999_us") is not None:
        result["p999_over_p50"] = result["p999_us"] / result["p50_us"]
    return result


# --- the loopback limit ----------------------------------------------------------------------

def iperf3_limit(seconds):
    port = free_port()
    server = subprocess.Popen(["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: port_open_quietly(server, port), 10, "iperf3 server", server)
        result = run(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(seconds), "-P", "1", "-J"],
                     timeout=seconds + 30)
        report = json.loads(result.stdout)
        return report["end"]["sum_received"]["bits_per_second"] / 8 / 1e6
    finally:
        stop_process(server, 5)


def port_open_quietly(server, port):
    # iperf3 -s -1 serves exactly one client; a probe connection would be that client, so wait
    # for the listening socket in /proc/net/tcp instead of connecting
    with open("/proc/net/tcp") as f:
        listening = [line.split() for line in f.readlines()[1:]]
    return any(fields[1].endswith(f":{port:04X}") and fields[3] == "0A" for fields in listening)


# --- the report ------------------------------------------------------------------------------

# (key in a run's result, label, unit, higher is better)
METRICS = (
    ("iops", "IOPS", "", True),
    ("mb_per_s", "MB/s", "", True),
    ("cpu_us_per_io", "target CPU µs/IO", "", False),
    ("cpu_s_per_gb", "target CPU s/GB", "", False),
    ("p50_us", "latency p50 µs", "", False),
    ("p999_us", "latency p99.9 µs", "", False),
    # the ratio of each run, then the median over the rounds: within one run both percentiles
    # saw the same machine, which the ratio of two medians from different rounds does not
    ("p999_over_p50", "latency p99.9/p50", "", False),
)


def median_of(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(raw, targets, workloads):
    summary = {}
    for workload in workloads:
        summary[workload] = {}
        for target in targets:
            runs = [r for r in raw if r["target"] == target and r["workload"] == workload and "error" not in r]
            summary[workload][target] = {key: median_of(runs, key) for key, *_ in METRICS}
            summary[workload][target]["runs"] = len(runs)
    return summary


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def ratios(summary, workload, key, higher_better, targets):
    row = summary[workload]
    lunar = row.get("lunar", {}).get(key)
    peers = {p: row[p][key] for p in PEERS if p in targets and row.get(p, {}).get(key) is not None}
    best = (max if higher_better else min)(peers.values()) if peers else None
    return ratio(lunar, best), {p: ratio(lunar, v) for p, v in peers.items()}


def goals(summary, loopback_mb_s, targets):
    """The goals of issue 7 that one run can decide, each with the numbers it was decided on."""
    def get(workload, target, key):
        return summary.get(workload, {}).get(target, {}).get(key)

    out = []

    def goal(text, met, evidence):
        out.append({"goal": text, "met": met, "evidence": evidence})

    rr = "randread-4k-qd32"
    lunar_iops = get(rr, "lunar", "iops")
    peer_iops = [get(rr, p, "iops") for p in PEERS if p in targets and get(rr, p, "iops")]
    if lunar_iops and peer_iops:
        goal("4K random read QD32: IOPS ≥ 1.5× the better peer", lunar_iops >= 1.5 * max(peer_iops),
             f"Lunar {lunar_iops:.0f} vs better peer {max(peer_iops):.0f} ({lunar_iops / max(peer_iops):.2f}×)")
    cpu = get(rr, "lunar", "cpu_us_per_io")
    if cpu is not None:
        goal("4K random read QD32: target CPU ≤ 12 µs per I/O", cpu <= 12, f"Lunar {cpu:.1f} µs")
    sr = "seqread-256k-qd32"
    mb = get(sr, "lunar", "mb_per_s")
    if mb is not None and loopback_mb_s:
        goal("256K sequential read ≥ 0.8 of the loopback TCP limit", mb >= 0.8 * loopback_mb_s,
             f"Lunar {mb:.0f} MB/s vs iperf3 {loopback_mb_s:.0f} MB/s ({mb / loopback_mb_s:.2f})")
    per_gb = get(sr, "lunar", "cpu_s_per_gb")
    if per_gb is not None:
        goal("256K sequential read: ≤ 0.25 target CPU-s per GB", per_gb <= 0.25, f"Lunar {per_gb:.3f} CPU-s/GB")
    sw = "seqwrite-128k-qd32"
    lunar_w, istgt_w = get(sw, "lunar", "mb_per_s"), get(sw, "istgt", "mb_per_s")
    if lunar_w and istgt_w:
        goal("128K sequential write ≥ 1.2× istgt", lunar_w >= 1.2 * istgt_w,
             f"Lunar {lunar_w:.0f} MB/s vs istgt {istgt_w:.0f} MB/s ({lunar_w / istgt_w:.2f}×)")
    qd1 = "read-4k-qd1"
    p50, p999 = get(qd1, "lunar", "p50_us"), get(qd1, "lunar", "p999_us")
    peer_p50 = [get(qd1, p, "p50_us") for p in PEERS if p in targets and get(qd1, p, "p50_us")]
    if p50 and peer_p50:
        goal("4K read QD1: p50 ≤ the peers'", p50 <= min(peer_p50),
             f"Lunar {p50:.1f} µs vs best peer {min(peer_p50):.1f} µs")
    tail = get(qd1, "lunar", "p999_over_p50")
    if tail is not None:
        # the peers' ratios on the same run say how much of the tail the machine itself makes
        peers_tail = [f"{p} {get(qd1, p, 'p999_over_p50'):.2f}× (p50 {get(qd1, p, 'p50_us'):.1f} µs)"
                      for p in PEERS if p in targets and get(qd1, p, "p999_over_p50") is not None]
        goal("4K read QD1: p99.9 ≤ 3× p50", tail <= 3,
             f"Lunar p99.9 = {tail:.2f}× p50 (p50 {p50:.1f} µs, p99.9 {p999:.1f} µs; median of per-run ratios)"
             + (f"; peers on the same run: {', '.join(peers_tail)}" if peers_tail else ""))
    idle = summary.get("idle-sessions", {}).get("lunar")
    if idle:
        per = idle.get("heap_bytes_per_session")
        asked = idle.get("sessions_asked")
        if per is None:
            goal(f"{IDLE_SESSIONS_DEFAULT} idle sessions held with ≤ 64 KiB heap each", False,
                 f"not measured: {idle.get('error', 'no result')}")
        else:
            held = idle["sessions"]
            goal(f"{IDLE_SESSIONS_DEFAULT} idle sessions held with ≤ 64 KiB heap each",
                 held >= IDLE_SESSIONS_DEFAULT and per <= idle_sessions.GOAL_BYTES,
                 f"Lunar {per / 1024:.1f} KiB live heap per session with {held} sessions held"
                 + (f" (only {asked} asked: --idle-sessions)" if asked < IDLE_SESSIONS_DEFAULT else ""))
    return out


def fmt(value, key):
    if value is None:
        return "–"
    if key in ("cpu_s_per_gb",):
        return f"{value:.3f}"
    if key == "p999_over_p50":
        return f"{value:.2f}"
    if key in ("cpu_us_per_io", "p50_us", "p999_us"):
        return f"{value:.1f}"
    return f"{value:,.0f}"


def fmt_ratio(value):
    return "–" if value is None else f"{value:.2f}"


def table_rows(summary, targets, workloads):
    peers = [p for p in PEERS if p in targets]
    header = ["workload", "metric", *targets]
    if "lunar" in targets and peers:
        header += ["Lunar/best peer", *[f"Lunar/{p}" for p in peers]]
    rows = []
    for workload in workloads:
        for key, label, _, higher in METRICS:
            values = [summary[workload][t][key] for t in targets]
            if all(v is None for v in values):
                continue
            row = [workload, label, *[fmt(v, key) for v in values]]
            if "lunar" in targets and peers:
                best, each = ratios(summary, workload, key, higher, targets)
                row += [fmt_ratio(best), *[fmt_ratio(each.get(p)) for p in peers]]
            rows.append(row)
    return header, rows


def text_table(header, rows):
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def markdown_table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---", "---"] + ["---:"] * (len(header) - 2)) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def markdown(report, header, rows):
    meta = report["meta"]
    load = report["load_summary"]
    lines = [
        f"# Lunar benchmarks, {meta['started']}",
        "",
        f"`./lunar bench {' '.join(meta['arguments'])}`: {meta['rounds']} round(s), targets run one at a time "
        f"in rotating order, {meta['duration_s']} s per workload, medians over the rounds. Machine: "
        f"{meta['cpus']} CPUs ({meta['cpu_model']}), Linux {meta['kernel']}. Load average (1 min) at the "
        f"start of the measured runs: min {load['min']:.2f}, median {load['median']:.2f}, max {load['max']:.2f} "
        "(other work shared the machine; prefer the ratios).",
        "",
        f"Lunar: {'; '.join(meta['lunar_builds'])} (HEAD commit when each slice copied the distribution); "
        f"JVM flags {' '.join(meta.get('lunar_jvm') or []) or '(Karaf defaults)'}. "
        f"Peers: tgt {meta['versions'].get('tgt', '?')}, istgt {meta['versions'].get('istgt', '?')}; "
        f"clients: libiscsi {meta['versions'].get('libiscsi-bin', '?')}, qemu-img {meta['versions'].get('qemu-utils', '?')}.",
        "",
    ]
    if report["loopback_mb_s"]:
        lines += [f"Single-stream loopback TCP limit (iperf3, median): **{report['loopback_mb_s']:,.0f} MB/s**. "
                  + "; ".join(f"{t} 256K sequential read = {v:.2f} of it" for t, v in report["loopback_fraction"].items()),
                  ""]
    lines += [markdown_table(header, rows), ""]
    lines += ["MB = 10^6 bytes, GB = 10^9 bytes. Target CPU = utime+stime of the target process (all threads; "
              "for Lunar the Karaf JVM, JIT and GC included) over the workload, divided by its I/Os or gigabytes. "
              "Latency from bench/iolat.c (one synchronous READ(16) at a time).", ""]
    if report["goals"]:
        lines += ["## Goals of issue 7", ""]
        lines += [f"- {'met' if g['met'] else '**missed**'}: {g['goal']} — {g['evidence']}" for g in report["goals"]]
        if not report["meta"].get("idle_sessions"):
            lines += [f"- not measured in this run (--idle-sessions 0): {IDLE_SESSIONS_DEFAULT} idle sessions "
                      "with ≤ 64 KiB heap each"]
        lines += [""]
    idle = report["summary"].get("idle-sessions")
    if idle:
        lines += idle_markdown(idle, meta)
    errors = [r for r in report["runs"] if "error" in r]
    if errors:
        lines += ["## Failures", ""] + [f"- round {r['round']} {r['target']} {r['workload']}: {r['error']}" for r in errors] + [""]
    lines += ["## Setup", "",
              f"- After a target starts, {meta.get('slice_warmup_s', 0):g} s of unmeasured 4K reads and writes; "
              f"then each workload runs {meta['warmup_s']:g} s unmeasured right before its measurement (every "
              "target restarts for each slice; a JVM would otherwise JIT-compile inside the measurement).",
              "- Workloads: " + "; ".join(f"`{w}` {WORKLOADS[w][0]} ({WORKLOADS[w][1]})" for w in meta["workloads"]) + ".",
              "- Every target negotiates MaxRecvDataSegmentLength 256 KiB (tgt also MaxXmitDataSegmentLength), "
              "FirstBurstLength 256 KiB, MaxBurstLength 1 MiB, ImmediateData=Yes, InitialR2T=No "
              "(istgt: Yes, it refuses No); no digests.",
              "- LUNs: Lunar's default 1 GiB RAM disk; tgt and istgt a 1 GiB file in /dev/shm (tgt bs type rdwr). "
              "Each LUN is written in full with a non-zero pattern before a slice's first measurement.",
              "- 4K scattered writes: qemu-img bench has no random mode; a step of 104729 blocks of 4 KiB "
              "modulo the LUN visits every block in an order without locality.", ""]
    return "\n".join(lines)


def idle_markdown(idle, meta):
    def kib(value):
        return "–" if value is None else f"{value / 1024:.1f}"

    lines = ["## Idle sessions", "",
             "| target | sessions held | live heap KiB/session | baseline noise KiB/session | "
             "KiB/session left after logout | RSS KiB/session |",
             "|---|---:|---:|---:|---:|---:|"]
    for target, row in idle.items():
        if "error" in row or "skipped" in row:
            lines.append(f"| {target} | {'failed: ' + row['error'] if 'error' in row else 'not measured: ' + row['skipped']} | | | | |")
            continue
        n = row["sessions"]
        noise = row.get("baseline_noise_bytes")
        held = f"{n} of {row['sessions_asked']} (then: {row['refused']})" if row.get("refused") else str(n)
        lines.append(f"| {target} | {held} | {kib(row.get('heap_bytes_per_session'))} | "
                     f"{kib(noise / n if noise is not None else None)} | "
                     f"{kib(row.get('heap_after_logout_per_session'))} | {kib(row['rss_bytes_per_session'])} |")
    lines += ["",
              f"How: after a target's last workload, bench/idle_sessions.py opens {meta['idle_sessions']} TCP "
              "connections and logs each one in (operational stage to full feature phase, no authentication, "
              "answering any keys the target offers), sends each a TEST UNIT READY that must come back as a "
              f"SCSI Response (proof of full feature phase), then holds them idle for {meta['idle_hold_s']:g} s, "
              "answering NOP-In pings. Live heap (Lunar only; the goal's measure) = `jcmd PID "
              "GC.class_histogram` total, each histogram after a full GC: one histogram to settle, a baseline "
              "with none of our sessions, one with all of them held; the difference divided by the sessions "
              "held. Baseline noise = the difference between two zero-session histograms in a row, spread over "
              "the sessions. Left after logout = one more histogram 2 s after every session logged out "
              "(Logout Request, reason close the session) and closed, minus the baseline, per session (near "
              "0: nothing kept). RSS = VmRSS of the target process before and after the logins (for context: "
              "the JVM's heap is pre-touched, so its RSS shows off-heap cost only; the C targets' RSS is all "
              "of theirs). Medians over the rounds.",
              ""]
    top = (idle.get("lunar") or {}).get("top_classes_per_session")
    if top:
        lines += ["Lunar's live heap per session, largest growth by class (last round): "
                  + ", ".join(f"`{c['class']}` {c['bytes']} B" for c in top[:6]) + ".", ""]
    return lines


def package_versions():
    versions = {}
    for package in ("tgt", "istgt", "libiscsi-bin", "qemu-utils", "iperf3"):
        result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        if result.returncode == 0:
            versions[package] = result.stdout.strip()
    return versions


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def lunar_meta():
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True).stdout.strip() or "?"
    stamp = os.path.join(ASSEMBLY, "bin", "karaf")
    built = datetime.datetime.fromtimestamp(os.path.getmtime(stamp), datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC") if os.path.exists(stamp) else "?"
    return commit, built


# --- main ------------------------------------------------------------------------------------

def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="./lunar bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 1 round, 3 s per workload (unless --rounds/--duration say otherwise)")
    parser.add_argument("--rounds", type=int, help="rounds of every target × every workload (default 3)")
    parser.add_argument("--duration", type=float, help="seconds per measured workload (default 10)")
    parser.add_argument("--warmup", type=float,
                        help="seconds of unmeasured warm-up before each workload (default 3, --quick 1)")
    parser.add_argument("--slice-warmup", type=float,
                        help="seconds of 4K warm-up after a target starts, before its first workload "
                             "(default 30, --quick 5): lets a JVM finish compiling its hot paths")
    parser.add_argument("--targets", default=",".join(ALL_TARGETS), help="comma-separated subset of lunar,tgt,istgt")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated subset of " + ",".join(WORKLOADS))
    parser.add_argument("--lunar-java-opts", default=os.environ.get("LUNAR_BENCH_JAVA_OPTS", ""),
                        help="extra JVM options for Lunar (Karaf's EXTRA_JAVA_OPTS), e.g. GC settings")
    parser.add_argument("--no-iperf", action="store_true", help="skip the iperf3 loopback measurement")
    parser.add_argument("--idle-sessions", type=int, default=IDLE_SESSIONS_DEFAULT,
                        help=f"idle sessions logged in to each target after its workloads (default "
                             f"{IDLE_SESSIONS_DEFAULT}, the goal's count; 0 skips the measurement)")
    parser.add_argument("--idle-hold", type=float,
                        help="seconds the idle sessions are held before measuring (default 15, --quick 5)")
    parser.add_argument("--results", default=RESULTS_DIR, help="where the JSON and Markdown go")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    args.idle_hold = args.idle_hold if args.idle_hold is not None else (5.0 if args.quick else 15.0)
    args.slice_warmup = args.slice_warmup if args.slice_warmup is not None else (5.0 if args.quick else 30.0)
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    for t in args.targets:
        if t not in ALL_TARGETS:
            parser.error(f"unknown target '{t}' (known: {', '.join(ALL_TARGETS)})")
    for w in args.workloads:
        if w not in WORKLOADS:
            parser.error(f"unknown workload '{w}' (known: {', '.join(WORKLOADS)})")
    if args.rounds < 1 or args.duration < 1:
        parser.error("--rounds and --duration must be at least 1")
    if not 0 <= args.idle_sessions <= IDLE_SESSIONS_MAX:
        parser.error(f"--idle-sessions must be between 0 and {IDLE_SESSIONS_MAX}")
    return args


def check_tools(targets):
    needed = {"iscsi-perf": "libiscsi-bin", "qemu-img": "qemu-utils", "gcc": "gcc", "iperf3": "iperf3"}
    if "tgt" in targets:
        needed.update({"tgtd": "tgt", "tgtadm": "tgt"})
    if "istgt" in targets:
        needed["istgt"] = "istgt"
    missing = sorted({package for tool, package in needed.items() if shutil.which(tool) is None})
    if not os.path.exists("/usr/include/iscsi/iscsi.h"):
        missing.append("libiscsi-dev")
    if missing:
        sys.exit(f"bench: missing {', '.join(missing)} (apt-get install {' '.join(missing)}; ./lunar bench installs them as root)")
    if "lunar" in targets and not os.access(os.path.join(ASSEMBLY, "bin", "karaf"), os.X_OK):
        sys.exit(f"bench: no Lunar distribution in {ASSEMBLY} (./lunar bench builds it)")


def make_target(name, workdir, args):
    if name == "lunar":
        return LunarTarget(workdir, os.environ.get("JAVA_HOME", ""), args.lunar_java_opts)
    return {"tgt": TgtTarget, "istgt": IstgtTarget}[name](workdir)


def run_slice(clients, target, round_number, args, raw):
    log(f"round {round_number}: starting {target.name}")
    started = time.monotonic()
    target.start()
    log(f"{target.name} serving {target.url} (pid {target.cpu_pid}, up in {time.monotonic() - started:.0f}s)")
    block_length = clients.block_length(target.url)
    clients.fill(target.url)
    # Small-I/O paths warm up for a while first: in a first full run the 4K QD32 workloads, first
    # in each slice, found the JVM's C2 compiler thread using as much CPU as the event loop
    # serving the session. C targets are unaffected; every target gets the same treatment.
    deadline = time.monotonic() + args.slice_warmup
    while time.monotonic() < deadline:
        for workload in ("randread-4k-qd32", "randwrite-4k-qd32", "read-4k-qd1"):
            clients.warm_up_for(target.url, workload, block_length)
    for workload in args.workloads:
        entry = {"round": round_number, "target": target.name, "workload": workload}
        try:
            entry.update(measure_workload(clients, target, workload, block_length))
            log(f"  {target.name:5} {workload:20} {entry['iops']:9,.0f} IOPS {entry['mb_per_s']:8,.0f} MB/s "
                f"{entry['cpu_us_per_io']:7.1f} µs CPU/IO  load {entry['loadavg'][0]:.2f}"
                + (f"  p50 {entry['p50_us']:.1f} p99.9 {entry['p999_us']:.1f} µs" if "p50_us" in entry else ""))
        except Exception as e:  # one failed workload must not lose the rest of the run
            entry["error"] = str(e)
            log(f"  {target.name} {workload} FAILED: {e}")
            if target.process is not None and target.process.poll() is not None:
                raw.append(entry)
                raise RuntimeError(f"{target.name} exited during {workload}")
        raw.append(entry)
    if args.idle_sessions and not target.idle_sessions_skipped:
        raw.append(measure_idle_sessions(target, round_number, args))
    return target.settings


def measure_idle_sessions(target, round_number, args):
    """Logs args.idle_sessions sessions in to the target after its workloads (nothing else runs
    against it then), holds them idle, and records what they cost it."""
    entry = {"round": round_number, "target": target.name, "workload": "idle-sessions", "loadavg": loadavg()}
    try:
        entry.update(idle_sessions.measure(target.cpu_pid, "127.0.0.1", target.port, target.IQN,
                                           args.idle_sessions, args.idle_hold, java=target.name == "lunar"))
        log(f"  {target.name:5} idle-sessions        {entry['sessions']} held {args.idle_hold:g} s: "
            + (f"{entry['heap_bytes_per_session'] / 1024:.1f} KiB live heap, " if "heap_bytes_per_session" in entry else "")
            + f"{entry['rss_bytes_per_session'] / 1024:.1f} KiB RSS per session  load {entry['loadavg'][0]:.2f}")
    except Exception as e:  # the data-path numbers of the slice stand without it
        entry["error"] = f"{type(e).__name__}: {e}"
        log(f"  {target.name} idle-sessions FAILED: {entry['error']}")
    return entry


def summarize_idle(raw, targets):
    """Median per target over the rounds of the idle-session numbers (fewest sessions held)."""
    out = {}
    for target in targets:
        skipped = {"istgt": IstgtTarget, "tgt": TgtTarget, "lunar": LunarTarget}[target].idle_sessions_skipped
        if skipped:
            out[target] = {"runs": 0, "skipped": skipped}
            continue
        runs = [r for r in raw if r["target"] == target and r["workload"] == "idle-sessions"]
        good = [r for r in runs if "error" not in r]
        if not runs:
            continue
        if not good:
            out[target] = {"runs": 0, "error": runs[-1]["error"]}
            continue
        out[target] = {
            "runs": len(good),
            "sessions": min(r["sessions"] for r in good),
            "sessions_asked": good[0]["sessions_asked"],
            "heap_bytes_per_session": median_of(good, "heap_bytes_per_session"),
            "baseline_noise_bytes": median_of(good, "baseline_noise_bytes"),
            "rss_bytes_per_session": median_of(good, "rss_bytes_per_session"),
            "heap_after_logout_per_session": median_of(
                [{"d": (r["heap_after_close"] - r["heap_before"]) / r["sessions"]} for r in good
                 if "heap_after_close" in r], "d"),
            "top_classes_per_session": good[-1].get("top_classes_per_session"),
            "refused": next((r["refused"] for r in good if "refused" in r), None),
        }
    return out


def main(argv):
    args = parse_arguments(argv)
    check_tools(args.targets)
    started = datetime.datetime.now(datetime.timezone.utc)
    workdir = tempfile.mkdtemp(prefix="lunar-bench.")
    current = {"target": None}

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    raw, loopback, settings, lunar_jvm, lunar_builds = [], [], {}, None, []
    try:
        clients = Clients(workdir, args.duration, args.warmup)
        for round_number in range(1, args.rounds + 1):
            if not args.no_iperf:
                loopback.append(iperf3_limit(3 if args.quick else 5))
                log(f"round {round_number}: loopback TCP, one stream: {loopback[-1]:,.0f} MB/s")
            shift = (round_number - 1) % len(args.targets)
            for name in args.targets[shift:] + args.targets[:shift]:
                target = make_target(name, workdir, args)
                current["target"] = target
                try:
                    settings[name] = run_slice(clients, target, round_number, args, raw)
                    if name == "lunar":
                        lunar_jvm = target.settings.get("jvm")
                        lunar_builds.append(f"{target.build[0]} built {target.build[1]}")
                except (RuntimeError, OSError, subprocess.SubprocessError, json.JSONDecodeError) as e:
                    log(f"round {round_number}: {name} failed: {e}")
                    raw.append({"round": round_number, "target": name, "workload": "(slice)", "error": str(e)})
                finally:
                    target.stop()
                    current["target"] = None
                    log(f"{name} stopped")
    except KeyboardInterrupt:
        log("interrupted; stopping the running target")
        if current["target"] is not None:
            current["target"].stop()
        shutil.rmtree(workdir, ignore_errors=True)
        return 130
    shutil.rmtree(workdir, ignore_errors=True)

    summary = summarize(raw, args.targets, args.workloads)
    if args.idle_sessions:
        summary["idle-sessions"] = summarize_idle(raw, args.targets)
    loopback_mb_s = statistics.median(loopback) if loopback else None
    fractions = {}
    for t in args.targets:
        mb = summary.get("seqread-256k-qd32", {}).get(t, {}).get("mb_per_s")
        if mb and loopback_mb_s:
            fractions[t] = mb / loopback_mb_s
    measured_loads = [r["loadavg"][0] for r in raw if "loadavg" in r] or [loadavg()[0]]
    builds = sorted(set(lunar_builds)) or ["%s built %s" % lunar_meta()]
    report = {
        "meta": {
            "started": started.strftime("%Y-%m-%d %H:%M UTC"),
            "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "arguments": argv, "rounds": args.rounds, "duration_s": args.duration, "warmup_s": args.warmup,
            "slice_warmup_s": args.slice_warmup, "idle_sessions": args.idle_sessions, "idle_hold_s": args.idle_hold,
            "targets": args.targets, "workloads": args.workloads,
            "cpus": os.cpu_count(), "cpu_model": cpu_model(), "kernel": platform.release(),
            "versions": package_versions(), "lunar_builds": builds,
            "lunar_jvm": lunar_jvm, "target_settings": settings,
        },
        "load_summary": {"min": min(measured_loads), "median": statistics.median(measured_loads),
                         "max": max(measured_loads)},
        "loopback_mb_s": loopback_mb_s, "loopback_runs_mb_s": loopback, "loopback_fraction": fractions,
        "summary": summary,
        "goals": goals(summary, loopback_mb_s, args.targets) if "lunar" in args.targets else [],
        "runs": raw,
    }
    header, rows = table_rows(summary, args.targets, args.workloads)
    print()
    print(f"Lunar bench {report['meta']['started']}: {args.rounds} round(s) × {args.duration:g} s, medians; "
          f"load avg (1 min) min {report['load_summary']['min']:.2f} median {report['load_summary']['median']:.2f} "
          f"max {report['load_summary']['max']:.2f}")
    if loopback_mb_s:
        print(f"loopback TCP (iperf3, one stream): {loopback_mb_s:,.0f} MB/s; 256K seq read fraction: "
              + ", ".join(f"{t} {v:.2f}" for t, v in fractions.items()))
    print()
    print(text_table(header, rows))
    if report["goals"]:
        print()
        for g in report["goals"]:
            print(f"{'MET   ' if g['met'] else 'MISSED'}  {g['goal']}: {g['evidence']}")
    for target, row in summary.get("idle-sessions", {}).items():
        if "error" in row or "skipped" in row:
            print(f"idle sessions, {target}: " + (f"failed: {row['error']}" if "error" in row
                                                   else f"not measured: {row['skipped']}"))
        else:
            heap = row.get("heap_bytes_per_session")
            print(f"idle sessions, {target}: {row['sessions']} of {row['sessions_asked']} held, "
                  + (f"{heap / 1024:.1f} KiB live heap and " if heap is not None else "")
                  + f"{row['rss_bytes_per_session'] / 1024:.1f} KiB RSS per session")
    os.makedirs(args.results, exist_ok=True)
    stem = os.path.join(args.results, started.strftime("%Y%m%d-%H%M%S"))
    with open(stem + ".json", "w") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)
    with open(stem + ".md", "w") as f:
        f.write(markdown(report, header, rows))
    print()
    print(f"written: {stem}.json and {stem}.md")
    failed = [r for r in raw if "error" in r]
    return 1 if failed and len(failed) == len(raw) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
