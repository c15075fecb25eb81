#!/usr/bin/env python3
"""t_haproxy - scale-out: two mxscand behind HAProxy, as scripts/haproxy
ships it (only the addresses are the test's own).

Requests through the one address reach both daemons; mxscan and Debian's
clamdscan work through it.  A daemon drained in HAProxy and then stopped
costs a client scanning all the while nothing; a restarted daemon is taken
in again; a daemon stopped without draining costs at most the request in
flight on it (a closed connection, never a wrong verdict), and once the
PING check has taken it out every request succeeds."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

tap = mxtest.Tap()
if shutil.which("haproxy") is None:
    tap.skip_all("haproxy is not installed")


@mxtest.setup
def start(tap):
    """Two mxscand and HAProxy with the shipped configuration."""
    global daemons, db, hap, hlog, i, ports, r, stats, work
    work = mxtest.tmpdir("thaproxy")
    db = os.path.join(work, "db")
    mxtest.make_test_db(db)
    ports = [mxtest.free_port() for _ in range(3)]
    daemons = []
    for i in range(2):
        os.makedirs(os.path.join(work, "scan%d" % i))
        daemons.append(mxtest.Daemon(db, workdir=os.path.join(work, "scan%d" % i),
                                     options={"scand_tcp_listen": "127.0.0.1:%d" % ports[i]}))

    # The shipped configuration with the test's addresses and a stats socket.
    stats = os.path.join(work, "haproxy.stats")
    src = open(os.path.join(mxtest.SRCDIR, "scripts", "haproxy", "haproxy.cfg")).read()
    cfg = src.replace("bind 127.0.0.1:3310", "bind 127.0.0.1:%d" % ports[2])
    cfg = cfg.replace("192.0.2.11:3310", "127.0.0.1:%d" % ports[0])
    cfg = cfg.replace("192.0.2.12:3310", "127.0.0.1:%d" % ports[1])
    cfg = cfg.replace("global\n", "global\n\tstats socket %s mode 600 level admin\n" % stats, 1)
    tap.ok(cfg.count("127.0.0.1:%d" % ports[0]) == 1 and cfg.count("127.0.0.1:%d" % ports[1]) == 1,
           "the shipped haproxy.cfg has one server line per scanner and one bind")
    conf = os.path.join(work, "haproxy.cfg")
    with open(conf, "w") as f:
        f.write(cfg)
    r = subprocess.run(["haproxy", "-c", "-f", conf], capture_output=True, text=True)
    tap.ok(r.returncode == 0, "haproxy -c accepts the configuration", r.stdout + r.stderr)
    hlog = open(os.path.join(work, "haproxy.log"), "wb")
    hap = mxtest.spawn(["haproxy", "-db", "-f", conf], stdout=hlog, stderr=subprocess.STDOUT)


def server_states():
    """{server: status} from HAProxy's stats socket."""
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(stats)
        s.sendall(b"show stat\n")
        out = mxtest.recv_all(s).decode()
        s.close()
    except OSError:
        return {}
    rows = [l.split(",") for l in out.splitlines() if l.startswith("mxscand,scan")]
    return {r[1]: r[17] for r in rows}


@mxtest.setup
def test_up(tap):
    """HAProxy's PING check sees both daemons."""
    global FOUND, front
    tap.ok(mxtest.wait_for(lambda: server_states() == {"scan1": "UP", "scan2": "UP"}, 30),
           "HAProxy's PING check finds both daemons up", server_states())
    front = "127.0.0.1:%d" % ports[2]
    FOUND = b"stream: %s FOUND\0" % mxtest.EICAR_SIG.encode()


def scan(data):
    return mxtest.request(front, b"zINSTREAM\0" + instream_bytes(data), tcp=True)


def test_through(tap):
    """Requests through the one address reach both daemons; mxscan and
    clamdscan work through it."""
    global r
    bad = [r for r in (scan(EICAR if i % 2 else b"clean %d" % i) for i in range(40))
           if r not in (FOUND, b"stream: OK\0")]
    tap.ok(not bad, "40 scans through HAProxy, every verdict right", bad[:3])
    counts = [int(d.health()["requests"]) for d in daemons]
    tap.ok(all(c >= 5 for c in counts), "both daemons took a share of them (%s)" % counts, counts)

    sample = os.path.join(work, "eicar.com")
    with open(sample, "wb") as f:
        f.write(EICAR)
    r = subprocess.run([mxtest.MXSCAN, "-o", "scanner_endpoints=tcp:" + front, "-o", "scanner_timeout=30s",
                        sample], capture_output=True, text=True)
    tap.ok(r.returncode == 1 and mxtest.EICAR_SIG in r.stdout, "mxscan through HAProxy: FOUND, exit 1",
           r.stdout + r.stderr)
    cdconf = os.path.join(work, "clamd.conf")
    with open(cdconf, "w") as f:
        f.write("TCPSocket %d\nTCPAddr 127.0.0.1\n" % ports[2])
    r = subprocess.run(["clamdscan", "--config-file=" + cdconf, "--stream", "--no-summary", sample],
                       capture_output=True, text=True)
    tap.ok(r.returncode == 1 and "Eicar-Test-Signature" in r.stdout,
           "clamdscan --stream through HAProxy: FOUND, exit 1", r.stdout + r.stderr)


def admin(cmd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(stats)
    s.sendall(cmd.encode() + b"\n")
    out = mxtest.recv_all(s)
    s.close()
    return out


def sessions(server):
    out = admin("show stat").decode()
    rows = [l.split(",") for l in out.splitlines() if l.startswith("mxscand,%s," % server)]
    return int(rows[0][4]) if rows else -1


class Client(threading.Thread):
    """Scans continuously until stopped; keeps every outcome."""

    def __init__(self):
        super().__init__()
        self.stop_ev = threading.Event()
        self.results = []

    def run(self):
        i = 0
        while not self.stop_ev.is_set():
            i += 1
            want = FOUND if i % 3 == 0 else b"stream: OK\0"
            try:
                got = scan(EICAR if i % 3 == 0 else b"steady %d" % i)
            except OSError as e:
                got = repr(e).encode()
            self.results.append(True if got == want else got)

    def until(self, n, timeout=60):
        mxtest.wait_for(lambda: len(self.results) >= n, timeout)

    def finish(self):
        self.stop_ev.set()
        self.join()
        return self.results


def test_drained(tap):
    global c, n
    # Planned maintenance: drain a daemon in HAProxy, then stop it.
    c = Client()
    c.start()
    c.until(20)
    admin("disable server mxscand/scan1")
    tap.ok(mxtest.wait_for(lambda: sessions("scan1") == 0, 30), "scan1 drained (no session left)")
    daemons[0].stop()
    n = len(c.results)
    c.until(n + 40)
    res = c.finish()
    failed = [r for r in res if r is not True]
    tap.ok(not failed and len(res) >= n + 40,
           "drained and stopped: %d scans, none failed" % len(res), failed[:3])


def test_restarted(tap):
    # The daemon comes back on its port and is taken in again.
    os.makedirs(os.path.join(work, "scan0b"))
    daemons[0] = mxtest.Daemon(db, workdir=os.path.join(work, "scan0b"),
                               options={"scand_tcp_listen": "127.0.0.1:%d" % ports[0]})
    admin("enable server mxscand/scan1")
    tap.ok(mxtest.wait_for(lambda: server_states().get("scan1") == "UP", 30),
           "restarted and enabled: scan1 UP again", server_states())


def test_unplanned(tap):
    global c, n
    # An unplanned stop: at most the request in flight on that daemon is
    # lost (connection closed without a reply, never a wrong verdict); the
    # check takes the daemon out and every later request succeeds.
    c = Client()
    c.start()
    c.until(20)
    daemons[1].stop()
    down = mxtest.wait_for(lambda: server_states().get("scan2", "").startswith("DOWN"), 30)
    n = len(c.results)
    c.until(n + 40)
    res = c.finish()
    tap.ok(down, "the PING check takes the stopped daemon out (scan2 %s)" % server_states().get("scan2"))
    lost = [r for r in res if r is not True]
    tap.ok(len(lost) <= 1 and all(r in (b"",) or r.startswith(b"ConnectionResetError") for r in lost),
           "unplanned stop: %d of %d scans lost, only by a closed connection" % (len(lost), len(res)),
           lost[:3])
    tap.ok(all(r is True for r in res[n:]) and len(res) >= n + 40,
           "after the check: every scan answered right (%d)" % (len(res) - n))


def test_stop(tap):
    hap.send_signal(signal.SIGTERM)
    try:
        hap.wait(10)
    except subprocess.TimeoutExpired:
        hap.kill()
        hap.wait()
    hlog.close()
    daemons[0].stop()
    text = open(os.path.join(work, "haproxy.log"), "rb").read().decode("utf-8", "replace")
    tap.ok(not re.search(r"\[ALERT\]", text), "HAProxy logged no alert", text[-1500:])
    mxtest.rmtree(work)


if __name__ == "__main__":
    mxtest.run(globals())
