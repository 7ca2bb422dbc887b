#!/usr/bin/env python3
"""Memory held per idle iSCSI session (issue 7 goal: 1000 idle sessions, at most 64 KiB heap each).

Logs N sessions in to a running target with raw sockets (a minimal RFC 7143 login: operational
stage straight to full feature phase, no authentication, so the target must allow that, as the
default loopback target does), proves each one is in full feature phase with a TEST UNIT READY
answered by a SCSI Response, keeps them idle (answering the target's NOP-In pings so none is
closed for silence), and compares the target's memory before and after:

- a JVM (Lunar): `jcmd PID GC.class_histogram` runs a full GC and lists the live objects; the
  baseline is taken with zero sessions of ours after a histogram that settles what earlier
  activity left (the difference between two baselines in a row is reported as its noise), the difference
  after/before divided by N is the live heap one idle session keeps, with the classes that grew
  most. A third histogram after the sessions are closed shows whether their heap comes back.
- any process (tgtd, istgt, and the JVM too, for context): VmRSS from /proc/PID/status, whose
  difference divided by N is resident memory per session (malloc arenas, thread stacks, socket
  buffers the process touched; it is not comparable to live heap and not what the goal counts).

    bench/idle_sessions.py --pid $(cat run/karaf.pid) --port 3260 --sessions 1000

bench/run.py imports measure() for every target of a `./lunar bench` run. Needs only python3 and,
for a JVM, the jcmd of the JDK the JVM runs on; prints a short report and, with --json, one JSON
object.
"""
import argparse
import concurrent.futures
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import time

BHS = 48
GOAL_BYTES = 64 * 1024
NO_TASK_TAG = 0xFFFFFFFF
LOGIN_PARALLELISM = 32


# Keys a target declares or answers; any other key in a Login Response is the target's own offer,
# which the initiator must answer (RFC 7143 §6.2) before the target makes the transition.
NOT_OFFERS = {"TargetPortalGroupTag", "TargetAlias", "TargetAddress", "MaxRecvDataSegmentLength",
              "HeaderDigest", "DataDigest"}


def login_pdu(isid, itt, keys, exp_stat_sn=0):
    # Login Request (opcode 0x03 with the I bit), T=1, CSG=1 (operational), NSG=3 (full feature):
    # RFC 7143 §11.12; the security stage may be skipped when the target asks for no authentication.
    data = b"".join(f"{k}={v}".encode() + b"\0" for k, v in keys.items())
    header = bytearray(BHS)
    header[0] = 0x43
    header[1] = 0x80 | (1 << 2) | 3
    header[2] = header[3] = 0  # VersionMax, VersionMin
    header[5:8] = len(data).to_bytes(3, "big")
    header[8:14] = isid
    struct.pack_into(">HIHHII", header, 14, 0, itt, 0, 0, 1, exp_stat_sn)  # TSIH, ITT, CID, rsvd, CmdSN, ExpStatSN
    return bytes(header) + data + b"\0" * (-len(data) & 3)


def test_unit_ready_pdu(itt, cmd_sn, exp_stat_sn):
    # SCSI Command (RFC 7143 §11.3), F bit, no data, simple task attribute, LUN 0, CDB all zero
    # (TEST UNIT READY, SPC-4 §6.47): only a session in full feature phase may carry it.
    header = bytearray(BHS)
    header[0] = 0x01
    header[1] = 0x80 | 0x01
    struct.pack_into(">IIII", header, 16, itt, 0, cmd_sn, exp_stat_sn)
    return bytes(header)


def read_pdu(sock):
    header = recv_exactly(sock, BHS)
    ahs = header[4] * 4
    length = int.from_bytes(header[5:8], "big")
    rest = recv_exactly(sock, ahs + length + (-length & 3))
    return header, rest[ahs:ahs + length]


def recv_exactly(sock, n):
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("target closed the connection")
        out += chunk
    return bytes(out)


class Session:
    """One logged-in, idle session on its own TCP connection."""

    def __init__(self, host, port, target, index):
        self.index = index
        self.sock = socket.create_connection((host, port), timeout=30)
        isid = bytes([0x80, 0, 0]) + index.to_bytes(3, "big")  # type "random", a number per session
        keys = {"InitiatorName": f"iqn.2026-11.dev.lunar.bench:idle-{index}", "TargetName": target,
                "SessionType": "Normal", "HeaderDigest": "None", "DataDigest": "None"}
        exp_stat_sn = 0
        for _ in range(4):
            self.sock.sendall(login_pdu(isid, index, keys, exp_stat_sn))
            try:
                header, data = read_pdu(self.sock)
            except ConnectionError as e:
                raise ConnectionError(f"session {index}: the target closed the connection during login") from e
            if header[0] & 0x3f != 0x23:
                raise RuntimeError(f"session {index}: expected a Login Response, got opcode {header[0] & 0x3f:#x}")
            status = header[36:38]
            if status != b"\0\0":
                raise RuntimeError(f"session {index}: login refused (status class/detail {status.hex()}, keys {data!r})")
            exp_stat_sn = struct.unpack_from(">I", header, 24)[0] + 1
            if header[1] & 0x83 == 0x83:  # T=1, NSG=3: full feature phase
                break
            # the target offered keys of its own and stays in the stage until they are answered:
            # accept its values (all within what the bench negotiates anyway) and ask again
            offered = dict(kv.split("=", 1) for kv in data.decode(errors="replace").split("\0") if "=" in kv)
            keys = {k: v for k, v in offered.items() if k not in NOT_OFFERS}
        else:
            raise RuntimeError(f"session {index}: no full feature phase after 4 login exchanges")
        self.stat_sn = struct.unpack_from(">I", header, 24)[0]
        self.cmd_sn = struct.unpack_from(">I", header, 28)[0]  # ExpCmdSN
        self.sock.sendall(test_unit_ready_pdu(index, self.cmd_sn, self.stat_sn + 1))
        self.cmd_sn += 1
        while True:  # a NOP-In may come first
            header, _ = read_pdu(self.sock)
            if not self.handle(header):
                break
        if header[0] & 0x3f != 0x21 or header[2] != 0:
            raise RuntimeError(f"session {index}: TEST UNIT READY after login got opcode {header[0] & 0x3f:#x}, "
                               f"response {header[2]:#x}: not in full feature phase")
        self.sock.setblocking(False)
        self.buffer = bytearray()

    pings = 0

    def handle(self, header):
        """Answers a NOP-In ping; True when `header` was one (or another PDU to skip)."""
        self.stat_sn = struct.unpack_from(">I", header, 24)[0]
        ttt = struct.unpack_from(">I", header, 20)[0]
        if header[0] & 0x3f != 0x20:
            return False
        if ttt != NO_TASK_TAG:
            # NOP-In ping (RFC 7143 §11.19): answer with a NOP-Out carrying its TTT and LUN, ITT
            # 0xffffffff, immediate, so the target keeps the idle connection.
            out = bytearray(BHS)
            out[0] = 0x40
            out[1] = 0x80
            out[8:16] = header[8:16]
            struct.pack_into(">IIII", out, 16, NO_TASK_TAG, ttt, self.cmd_sn, self.stat_sn + 1)
            self.sock.sendall(bytes(out))
            self.pings += 1
        return True

    def logout(self):
        """Logout Request, reason "close the session" (RFC 7143 §11.14), then waits for the Logout
        Response: without it a target may keep the session for DefaultTime2Retain (§6.3)."""
        out = bytearray(BHS)
        out[0] = 0x46  # immediate
        out[1] = 0x80
        struct.pack_into(">IIII", out, 16, 0x7FFF0000 + self.index, 0, self.cmd_sn, self.stat_sn + 1)
        self.sock.setblocking(True)
        self.sock.settimeout(10)
        self.sock.sendall(bytes(out))
        header = b""
        if self.buffer:  # a PDU already read in part: drop it, the response follows
            self.buffer = bytearray()
        while True:
            header, _ = read_pdu(self.sock)
            if header[0] & 0x3f == 0x26:
                return header[2] == 0
            self.handle(header)

    def on_readable(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"target closed idle session {self.index}")
        self.buffer += chunk
        while len(self.buffer) >= BHS:
            length = int.from_bytes(self.buffer[5:8], "big")
            total = BHS + self.buffer[4] * 4 + length + (-length & 3)
            if len(self.buffer) < total:
                return
            header = bytes(self.buffer[:BHS])
            del self.buffer[:total]
            self.handle(header)


def jcmd_for(pid):
    """The jcmd of the JDK that runs `pid` (another JDK's jcmd may not attach)."""
    try:
        candidate = os.path.join(os.path.dirname(os.readlink(f"/proc/{pid}/exe")), "jcmd")
        if os.access(candidate, os.X_OK):
            return candidate
    except OSError:
        pass
    return "jcmd"


def live_heap(pid):
    """Live objects after a full GC (jcmd's class histogram runs one first): (total bytes, {class: bytes})."""
    out = subprocess.run([jcmd_for(pid), str(pid), "GC.class_histogram"], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    classes, total = {}, None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].endswith(":"):
            classes[parts[3]] = int(parts[2])
        elif len(parts) == 3 and parts[0] == "Total":
            total = int(parts[2])
    if total is None:
        raise RuntimeError(f"jcmd {pid} GC.class_histogram printed no total")
    return total, classes


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def hold(sessions, seconds):
    """Keeps the sessions idle for `seconds`; returns the selector and the sessions still open."""
    selector = selectors.DefaultSelector()
    for s in sessions:
        selector.register(s.sock, selectors.EVENT_READ, s)
    closed = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        for key, _ in selector.select(timeout=left):
            try:
                key.data.on_readable()
            except OSError:  # closed by the target: not held, not counted
                selector.unregister(key.fileobj)
                key.data.sock.close()
                closed.append(key.data)
    return selector, [s for s in sessions if s not in closed]


def measure(pid, host, port, target, sessions=1000, hold_seconds=15.0, java=True, settle_seconds=2.0):
    """Logs `sessions` sessions in, holds them idle, returns what they cost the target (a dict).

    `java`: also live heap from class histograms (each one a full GC of the target). When the
    target refuses a session after accepting some (istgt 0.4 stops at 255), the ones it accepted
    are measured and "refused" says what happened to the next. Blocks for about hold_seconds plus
    the logins and histograms; closes every session before it returns.
    """
    report = {"sessions_asked": sessions, "hold_s": hold_seconds}
    if java:
        live_heap(pid)  # settles what earlier activity left behind (soft references, finalizers)
        first, _ = live_heap(pid)
        before_total, before = live_heap(pid)
        report["baseline_noise_bytes"] = abs(before_total - first)
    rss_before = rss_bytes(pid)
    opened, selector = [], None
    started = time.monotonic()
    try:
        # logins in parallel: istgt 0.4 takes about a second to answer each one
        with concurrent.futures.ThreadPoolExecutor(max_workers=LOGIN_PARALLELISM) as pool:
            futures = [pool.submit(Session, host, port, target, i + 1) for i in range(sessions)]
            refusals = []
            for future in futures:
                try:
                    opened.append(future.result())
                except (OSError, RuntimeError) as e:  # ConnectionError is an OSError
                    refusals.append(e)
        if refusals:
            if not opened:
                raise refusals[0]
            report["refused"] = f"{len(refusals)} refused, e.g. {refusals[0]}"
        # a refusal may have cost the target sessions it had accepted: count only live ones
        time.sleep(0.5)
        report["login_s"] = round(time.monotonic() - started, 2)
        selector, opened = hold(opened, hold_seconds)
        rss_after = rss_bytes(pid)
        if java:
            after_total, after = live_heap(pid)
        for key, _ in selector.select(timeout=0):  # anything that came during the histogram
            try:
                key.data.on_readable()
            except OSError:
                pass
    finally:
        report["sessions"] = len(opened)
        report["pings_answered"] = sum(s.pings for s in opened)
        if selector is not None:
            selector.close()
        logged_out = 0
        for s in opened:
            try:
                logged_out += s.logout()
            except (OSError, RuntimeError):
                pass
            s.sock.close()
        report["logged_out"] = logged_out
    n = len(opened)
    if n == 0:
        raise RuntimeError("the target closed every session while they were held")
    report.update({"rss_before": rss_before, "rss_after": rss_after,
                   "rss_bytes_per_session": round((rss_after - rss_before) / n)})
    if java:
        time.sleep(settle_seconds)  # let the target finish closing the connections
        closed_total, _ = live_heap(pid)
        grown = sorted(((after.get(c, 0) - before.get(c, 0), c) for c in after), reverse=True)[:12]
        report.update({
            "heap_before": before_total, "heap_after": after_total, "heap_after_close": closed_total,
            "heap_bytes_per_session": round((after_total - before_total) / n),
            "top_classes_per_session": [{"class": c, "bytes": round(d / n)} for d, c in grown],
        })
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid", type=int, required=True, help="the target process (for Lunar: run/karaf.pid)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3260)
    parser.add_argument("--target", default="iqn.2026-11.dev.lunar:default")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=15.0,
                        help="seconds to hold the sessions idle before measuring (pings keep them alive)")
    parser.add_argument("--no-java", action="store_true", help="not a JVM: resident memory only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = measure(args.pid, args.host, args.port, args.target, args.sessions, args.hold, not args.no_java)
    if args.json:
        print(json.dumps(report))
        return 0
    n = report["sessions"]
    if "heap_bytes_per_session" in report:
        print(f"{n} idle sessions: live heap {report['heap_before']} -> {report['heap_after']} bytes "
              f"({report['heap_after_close']} after closing them; baseline noise {report['baseline_noise_bytes']} "
              f"bytes), {report['heap_bytes_per_session'] / 1024:.1f} KiB per session (goal <= 64 KiB)")
        for row in report["top_classes_per_session"]:
            print(f"  {row['bytes']:8d} B/session  {row['class']}")
    print(f"resident memory {report['rss_before']} -> {report['rss_after']} bytes, "
          f"{report['rss_bytes_per_session'] / 1024:.1f} KiB per session")
    return 0 if report.get("heap_bytes_per_session", 0) <= GOAL_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
