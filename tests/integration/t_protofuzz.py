#!/usr/bin/env python3
"""t_protofuzz - a protocol fuzzer against a running mxscand, with an oracle.

Workers open connections and send random conversations built from the
protocol's own pieces: z/n/bare framing, every command, IDSESSION with
pipelined requests, INSTREAM and MIMESCAN with random chunk lengths (zero,
short, declared longer than sent, over the stream limit), FILDES with 0 to
20 descriptors of every kind (regular files readable or not, directories,
pipes, sockets, /dev/zero, O_PATH, memfd), garbage, over-long lines; the
bytes go out in random splits, with stalls past the daemon's time-outs,
half-closes and hang-ups at random points.  Under `make check` in the
ASan+UBSan build every sanitizer report is fatal.

The oracle:
- on a connection whose every scanned object carries EICAR, no verdict
  line is OK (stream, fd[N] or path: OK);
- PING answers within a bound after every round (no scan thread stuck);
- the daemon's RSS and open descriptors stay bounded, and go back down
  when the clients are gone; no scan thread is left busy;
- the daemon stops cleanly at the end.

MX_PROTOFUZZ_SECONDS sets the duration (default 30), MX_PROTOFUZZ_SEED
replays a run (the seed is printed).
"""
import os
import random
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
from mxtest import EICAR  # noqa: E402

SECONDS = float(os.environ.get("MX_PROTOFUZZ_SECONDS", "30"))
SEED = int(os.environ.get("MX_PROTOFUZZ_SEED", str(int(time.time() * 1000) % 1000000007)))
WORKERS = 4
SLOW = 4 if os.environ.get("MX_ASAN") else 1

tap = mxtest.Tap()
tap.diag("seed %d, %.0f s, %d workers (MX_PROTOFUZZ_SEED=%d replays)" %
         (SEED, SECONDS, WORKERS, SEED))


@mxtest.setup
def start(tap):
    global CFILE, COMMANDS, EFILE, VERDICT_OK, files, mx
    work = mxtest.tmpdir("tprotofuzz")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    mx = mxtest.Daemon(db, options={
        "scand_threads": "2", "scand_queue_max": "4", "scand_max_connections": "64",
        "scand_command_timeout": "1s", "scand_idle_timeout": "1s", "scand_request_timeout": "3s",
        "scand_send_timeout": "1s", "scand_drain_timeout": "200ms",
        "scand_stream_max_length": "1m", "scand_stream_memory_max": "64k",
        "scand_max_pending_reply": "4k", "scand_engine_cache": "yes",
        "scand_scan_roots": work})

    files = os.path.join(work, "files")
    os.makedirs(files)
    EFILE = os.path.join(files, "eicar.com")
    CFILE = os.path.join(files, "clean.txt")
    with open(EFILE, "wb") as f:
        f.write(EICAR)
    with open(CFILE, "wb") as f:
        f.write(b"harmless text\n" * 50)
    VERDICT_OK = re.compile(rb"^(?:\d+: )?(?:stream|fd\[\d+\]|/\S*): OK$")
    COMMANDS = [b"PING", b"VERSION", b"VERSIONCOMMANDS", b"STATS", b"HEALTH", b"END",
                b"INSTREAM", b"MIMESCAN", b"FILDES", b"IDSESSION", b"SCAN " + EFILE.encode(),
                b"CONTSCAN " + files.encode(), b"MULTISCAN " + EFILE.encode(),
                b"ALLMATCHSCAN " + EFILE.encode(), b"DETSTATS", b"SELFCHECK",
                b"NOSUCHCOMMAND", b"SCAN /etc/passwd"]


lock = threading.Lock()
stats = {"connections": 0, "requests": 0, "bytes": 0, "violations": [], "hangups": 0,
         "stalls": 0, "fds": 0}


def frame(rng, cmd, session):
    kind = rng.choice("zzzn" if session else "zznb")
    if kind == "z":
        return b"z" + cmd + b"\0"
    if kind == "n":
        return b"n" + cmd + b"\n"
    return cmd + b"\n"


def chunks(rng, data):
    """INSTREAM chunks of random sizes, now and then a malformed one."""
    out = b""
    i = 0
    while i < len(data):
        n = rng.choice([1, 7, 512, 4096, 65536, len(data)])
        piece = data[i:i + n]
        out += struct.pack(">I", len(piece)) + piece
        i += n
    r = rng.random()
    if r < 0.05:
        return out + struct.pack(">I", 0xFFFFFFFF)           # over any limit
    if r < 0.10:
        return out + struct.pack(">I", 1000) + b"short"      # declared longer than sent
    if r < 0.13:
        return out[:max(0, len(out) - rng.randint(1, 8))]    # cut in the middle
    return out + struct.pack(">I", 0)


def payload(rng, infected):
    size = rng.choice([0, 10, 300, 5000, 70000, 200000]) if not infected else \
        rng.choice([0, 10, 300, 5000, 70000])
    body = rng.randbytes(size)
    if not infected:
        return body
    at = rng.randint(0, len(body))
    return body[:at] + EICAR + body[at:]


def descriptors(rng, infected):
    """0 to 20 descriptors of every kind; the ones to close afterwards."""
    fds = []
    n = rng.choice([0, 1, 1, 1, 2, 3, rng.randint(0, 20)])
    for _ in range(n):
        k = rng.randrange(9)
        try:
            if k == 0 or infected:
                fds.append(os.open(EFILE, os.O_RDONLY))
            elif k == 1:
                fds.append(os.open(CFILE, os.O_RDONLY))
            elif k == 2:
                fds.append(os.open(EFILE, os.O_WRONLY))
            elif k == 3:
                fds.append(os.open(files, os.O_RDONLY | os.O_DIRECTORY))
            elif k == 4:
                r, w = os.pipe()
                os.write(w, EICAR)
                os.close(w)
                fds.append(r)
            elif k == 5:
                a, b = socket.socketpair()
                b.sendall(EICAR)
                fds.append(a.detach())
                b.close()
            elif k == 6:
                fds.append(os.open("/dev/zero", os.O_RDONLY))
            elif k == 7:
                fds.append(os.open(EFILE, os.O_PATH))
            else:
                m = os.memfd_create("fz")
                os.write(m, EICAR)
                fds.append(m)
        except OSError:
            pass
    return fds


def conversation(rng, infected):
    """A list of steps: ("send", bytes) or ("fds", [fd...], bytes) or
    ("stall", seconds) or ("hangup",) or ("shutdown",)."""
    steps = []
    session = rng.random() < 0.5
    if session:
        steps.append(("send", b"zIDSESSION\0" if rng.random() < 0.7 else b"nIDSESSION\n"))
    nreq = rng.randint(1, 12) if session else 1
    for _ in range(nreq):
        r = rng.random()
        if r < 0.35:
            cmd = rng.choice([b"INSTREAM", b"MIMESCAN"])
            data = payload(rng, infected)
            if cmd == b"MIMESCAN" and rng.random() < 0.7:
                name = rng.choice(["a.com", "b.txt", "c.zip"])
                data = mimegen.plain(data, name)
            steps.append(("send", frame(rng, cmd, session) + chunks(rng, data)))
        elif r < 0.55:
            steps.append(("fds", descriptors(rng, infected), frame(rng, b"FILDES", session)))
        elif r < 0.85:
            cmd = rng.choice(COMMANDS)
            if infected and cmd.startswith((b"CONTSCAN", b"SCAN /etc")):
                cmd = b"PING"
            steps.append(("send", frame(rng, cmd, session)))
        elif r < 0.92:
            steps.append(("send", rng.randbytes(rng.randint(1, 300))))
        else:
            steps.append(("send", b"z" + b"A" * rng.choice([1000, 5000, 70000]) + b"\0"))
        x = rng.random()
        if x < 0.06:
            steps.append(("stall", rng.choice([0.2, 0.6, 1.3])))
        elif x < 0.10:
            steps.append(("hangup",))
            return steps
        elif x < 0.13:
            steps.append(("shutdown",))
            return steps
    if session and rng.random() < 0.8:
        steps.append(("send", b"zEND\0"))
    return steps


def run_conversation(rng, infected):
    steps = conversation(rng, infected)
    try:
        s = mxtest.connect(mx.socket, 20 * SLOW)
    except OSError:
        return
    s.settimeout(10 * SLOW)
    got = b""
    reader_done = threading.Event()

    def reader():
        nonlocal got
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        except OSError:
            pass
        reader_done.set()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    hung_up = False
    try:
        for st in steps:
            if st[0] == "send":
                data = st[1]
                i = 0
                while i < len(data):  # random splits
                    n = rng.choice([1, 3, 64, 4096, len(data)])
                    s.sendall(data[i:i + n])
                    i += n
                with lock:
                    stats["bytes"] += len(data)
                    stats["requests"] += 1
            elif st[0] == "fds":
                fds, cmd = st[1], st[2]
                s.sendall(cmd)
                if fds:
                    socket.send_fds(s, [b"\0"], fds)
                else:
                    s.sendall(b"\0")
                for fd in fds:
                    os.close(fd)
                with lock:
                    stats["fds"] += len(fds)
                    stats["requests"] += 1
            elif st[0] == "stall":
                with lock:
                    stats["stalls"] += 1
                time.sleep(st[1])  # the stimulus: a client that goes quiet
            elif st[0] == "hangup":
                hung_up = True
                with lock:
                    stats["hangups"] += 1
                break
            elif st[0] == "shutdown":
                s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    if hung_up:
        s.close()
        return
    reader_done.wait(15 * SLOW)
    s.close()
    if infected:
        for line in re.split(rb"[\0\n]", got):
            if VERDICT_OK.match(line):
                with lock:
                    stats["violations"].append((line, steps[:3]))


def test_fuzz(tap):
    """WORKERS clients with random conversations for SECONDS, a monitor pinging."""
    global fds0, harness, peak, rss0, stuck
    deadline = time.time() + SECONDS
    rss0 = mx.rss_kb()
    fds0 = len(os.listdir("/proc/%d/fd" % mx.proc.pid))
    peak = {"rss": rss0, "fds": fds0}
    stuck = []
    harness = []

    def worker(n):
        rng = random.Random(SEED * 100 + n)
        while time.time() < deadline:
            try:
                run_conversation(rng, rng.random() < 0.6)
            except Exception as e:  # a fault of the harness, reported below
                harness.append(repr(e))
                return
            with lock:
                stats["connections"] += 1

    def monitor():
        next_report = time.time() + 60
        while time.time() < deadline:
            if time.time() >= next_report:  # progress of a long run
                next_report += 60
                with lock:
                    tap.diag("%.0f s: %d conversations, %d requests, %d violations, RSS peak %d kB"
                             % (time.time() - deadline + SECONDS, stats["connections"],
                                stats["requests"], len(stats["violations"]), peak["rss"]))
            t = time.time()
            ok = mxtest.ping(mx.socket)
            if not ok or time.time() - t > 5 * SLOW:
                stuck.append(time.time() - t)
            try:
                peak["rss"] = max(peak["rss"], mx.rss_kb())
                peak["fds"] = max(peak["fds"], len(os.listdir("/proc/%d/fd" % mx.proc.pid)))
            except OSError:
                break
            time.sleep(0.5)  # sampling interval of the oracle

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    threads.append(threading.Thread(target=monitor))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_oracle(tap):
    """The oracle, once the clients are gone."""
    tap.diag("connections %d, requests %d, bytes %d, descriptors passed %d, stalls %d, hang-ups %d"
             % (stats["connections"], stats["requests"], stats["bytes"], stats["fds"],
                stats["stalls"], stats["hangups"]))
    tap.diag("RSS %d kB at start, %d kB peak; descriptors %d at start, %d peak"
             % (rss0, peak["rss"], fds0, peak["fds"]))
    tap.ok(stats["connections"] > 0 and not harness,
           "the fuzzer ran %d conversations" % stats["connections"], harness[:3])
    tap.ok(not stats["violations"], "no EICAR-bearing object was answered OK",
           "\n".join(repr(v) for v in stats["violations"][:5]))
    tap.ok(not stuck, "PING answered within %d s every time while fuzzed" % (5 * SLOW), stuck[:5])
    tap.ok(mx.proc.poll() is None, "mxscand is still running")
    idle = mx.wait_health(lambda h: h.get("threads_busy") == "0" and h.get("queue_depth") == "0"
                          and int(h.get("connections", "99")) <= 1, 60 * SLOW)
    tap.ok(idle is not None, "afterwards no scan thread is busy, nothing queued, no client left")
    tap.ok(peak["rss"] - rss0 < 512 * 1024, "RSS stayed bounded (%d kB over start)"
           % (peak["rss"] - rss0))
    fds1 = len(os.listdir("/proc/%d/fd" % mx.proc.pid))
    tap.ok(peak["fds"] < fds0 + 64 + 64 * 20 and fds1 <= fds0 + 2,
           "descriptors bounded while fuzzed (peak %d) and released after (%d, %d at start)"
           % (peak["fds"], fds1, fds0))
    r = mx.request(b"zINSTREAM\0" + mxtest.instream_bytes(EICAR))
    tap.eq(r, b"stream: " + mxtest.EICAR_SIG.encode() + b" FOUND\0", "EICAR is still found")
    tap.eq(mx.stop(), 0, "mxscand stops cleanly")


if __name__ == "__main__":
    mxtest.run(globals())
