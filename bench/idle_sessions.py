#!/usr/bin/env python3
"""Heap held per idle iSCSI session (issue 7 goal: 1000 idle sessions, at most 64 KiB heap each).

Logs N sessions in to a running Lunar with raw sockets (a minimal RFC 7143 login: operational
stage straight to full feature phase, no authentication, so the target must allow that, as the
default loopback target does), keeps them idle (answering the target's NOP-In pings so none is
closed for silence), and compares the JVM's live heap before and after: `jcmd PID
GC.class_histogram` forces a full GC and lists the live objects, so the difference divided by N
is what one idle session keeps, with the classes that grew most.

    bench/idle_sessions.py --pid $(cat run/karaf.pid) --port 3260 --sessions 1000

Needs only python3 and the JDK's jcmd; prints a short report and, with --json, one JSON object.
"""
import argparse
import json
import selectors
import socket
import struct
import subprocess
import sys
import time

BHS = 48


def login_pdu(initiator, target, isid, itt):
    # Login Request (opcode 0x03 with the I bit), T=1, CSG=1 (operational), NSG=3 (full feature):
    # RFC 7143 §11.12; the security stage may be skipped when the target asks for no authentication.
    keys = {
        "InitiatorName": initiator,
        "TargetName": target,
        "SessionType": "Normal",
        "HeaderDigest": "None",
        "DataDigest": "None",
    }
    data = b"".join(f"{k}={v}".encode() + b"\0" for k, v in keys.items())
    header = bytearray(BHS)
    header[0] = 0x43
    header[1] = 0x80 | (1 << 2) | 3
    header[2] = header[3] = 0  # VersionMax, VersionMin
    header[5:8] = len(data).to_bytes(3, "big")
    header[8:14] = isid
    struct.pack_into(">HIHHII", header, 14, 0, itt, 0, 0, 1, 0)  # TSIH, ITT, CID, rsvd, CmdSN, ExpStatSN
    return bytes(header) + data + b"\0" * (-len(data) & 3)


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
    def __init__(self, host, port, target, index):
        self.sock = socket.create_connection((host, port), timeout=30)
        isid = bytes([0x80, 0, 0]) + index.to_bytes(3, "big")  # type "random", a number per session
        self.sock.sendall(login_pdu(f"iqn.2026-11.dev.lunar.bench:idle-{index}", target, isid, index))
        header, data = read_pdu(self.sock)
        if header[0] & 0x3f != 0x23:
            raise RuntimeError(f"session {index}: expected a Login Response, got opcode {header[0] & 0x3f:#x}")
        status = header[36:38]
        if status != b"\0\0" or header[1] & 0x83 != 0x83:
            raise RuntimeError(f"session {index}: login refused (status class/detail {status.hex()}, "
                               f"flags {header[1]:#x}, keys {data!r})")
        self.stat_sn = struct.unpack_from(">I", header, 24)[0]
        self.cmd_sn = struct.unpack_from(">I", header, 28)[0]  # ExpCmdSN
        self.sock.setblocking(False)
        self.buffer = bytearray()
        self.pings = 0

    def on_readable(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("target closed an idle session")
        self.buffer += chunk
        while len(self.buffer) >= BHS:
            length = int.from_bytes(self.buffer[5:8], "big")
            total = BHS + self.buffer[4] * 4 + length + (-length & 3)
            if len(self.buffer) < total:
                return
            header = bytes(self.buffer[:BHS])
            del self.buffer[:total]
            self.stat_sn = struct.unpack_from(">I", header, 24)[0]
            ttt = struct.unpack_from(">I", header, 20)[0]
            if header[0] & 0x3f == 0x20 and ttt != 0xffffffff:
                # NOP-In ping (RFC 7143 §11.19): answer with a NOP-Out carrying its TTT and LUN, ITT
                # 0xffffffff, immediate, so the target keeps the idle connection.
                out = bytearray(BHS)
                out[0] = 0x40
                out[1] = 0x80
                out[8:16] = header[8:16]
                struct.pack_into(">IIII", out, 16, 0xffffffff, ttt, self.cmd_sn, self.stat_sn + 1)
                self.sock.sendall(bytes(out))
                self.pings += 1


def histogram(pid):
    """Live objects after a full GC (jcmd's class histogram runs one first): (total bytes, {class: bytes})."""
    out = subprocess.run(["jcmd", str(pid), "GC.class_histogram"], capture_output=True, text=True,
                         check=True).stdout
    classes, total = {}, None
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].endswith(":"):
            classes[parts[3]] = int(parts[2])
        elif len(parts) == 3 and parts[0] == "Total":
            total = int(parts[2])
    return total, classes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid", type=int, required=True, help="the Lunar JVM (run/karaf.pid)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3260)
    parser.add_argument("--target", default="iqn.2026-11.dev.lunar:default")
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=15.0,
                        help="seconds to hold the sessions idle before measuring (pings keep them alive)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    histogram(args.pid)  # settle what earlier activity left behind
    before_total, before = histogram(args.pid)
    sessions = []
    selector = selectors.DefaultSelector()
    try:
        for i in range(args.sessions):
            s = Session(args.host, args.port, args.target, i + 1)
            selector.register(s.sock, selectors.EVENT_READ, s)
            sessions.append(s)
        deadline = time.monotonic() + args.hold
        while (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(timeout=left):
                key.data.on_readable()
        after_total, after = histogram(args.pid)
        for key, _ in selector.select(timeout=0):  # anything that came during the histogram
            key.data.on_readable()
    finally:
        for s in sessions:
            s.sock.close()
    per_session = (after_total - before_total) / args.sessions
    grown = sorted(((after.get(c, 0) - before.get(c, 0), c) for c in after), reverse=True)[:12]
    report = {
        "sessions": args.sessions,
        "heap_before": before_total,
        "heap_after": after_total,
        "bytes_per_session": round(per_session),
        "pings_answered": sum(s.pings for s in sessions),
        "top_classes_per_session": [{"class": c, "bytes": round(d / args.sessions)} for d, c in grown],
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{args.sessions} idle sessions: live heap {before_total} -> {after_total} bytes, "
              f"{per_session / 1024:.1f} KiB per session (goal <= 64 KiB)")
        for row in report["top_classes_per_session"]:
            print(f"  {row['bytes']:8d} B/session  {row['class']}")
    return 0 if per_session <= 64 * 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
