#!/usr/bin/env python3
"""t_legacy_stream - old clamd's STREAM command (scand_legacy_stream).

The client below is written from old clamd's protocol description
(clamdoc and clamd(8) of 0.95/0.96): "STREAM - Scan stream: on this
command clamd will return 'PORT number' you should connect to and send
data to scan"; the data connection carries raw bytes and ends when the
client closes it; the verdict comes on the command connection as
"stream: OK", "stream: <name> FOUND" or an ERROR line, with the
command's terminator (z: NUL, n and old style: newline), after which the
daemon closes it.  Every reply is compared byte for byte.

Then the hostile cases: no data connection (the time-out reply, and the
port closed after), a data connection from another address (127.0.0.2:
reset, and the real one still works), two data connections (the second
refused), data past scand_stream_max_length (with the default
scand_alert_exceeds_max, and with it off: old clamd's own reply, the
verdict of the first bytes), a port range exhausted by idle clients (a
clear ERROR while PING and INSTREAM go on being served), the bound on
pending data ports, and STREAM off by default (UNKNOWN COMMAND)."""
import os
import random
import re
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

tap = mxtest.Tap()

LIMIT = 4096                                  # scand_stream_max_length of the daemons below
CLEAN = (b"clean text, nothing to see\n" * 200)[:3000]
PADDING = b"x" * LIMIT                        # EICAR right after it is past the limit
FOUND = b"stream: %s FOUND" % mxtest.EICAR_SIG.encode()
OVER = b"stream: Heuristics.Limits.Exceeded.StreamMaxLength FOUND"
TERMS = {"z": b"\0", "n": b"\n", "bare": b"\n"}


def free_ports(n):
    """N consecutive loopback ports nobody listens on now (outside the
    ephemeral range, where other tests take theirs)."""
    for _ in range(200):
        base = random.randrange(12000, 30000)
        socks = []
        try:
            for p in range(base, base + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no %d consecutive free ports" % n)


class OldClient:
    """One STREAM request as an old clamd client makes it."""

    def __init__(self, daemon, framing="z", tcp=False):
        self.term = TERMS[framing]
        cmd = {"z": b"zSTREAM\0", "n": b"nSTREAM\n", "bare": b"STREAM\n"}[framing]
        if tcp:
            self.cmd = mxtest.connect_tcp(daemon.tcp, 30)
        else:
            self.cmd = mxtest.connect(daemon.socket, 30)
        self.cmd.sendall(cmd)
        self.first = mxtest.recv_until(self.cmd, self.term)
        m = re.fullmatch(rb"PORT (\d+)" + re.escape(self.term), self.first)
        self.port = int(m.group(1)) if m else None

    def data_connection(self, source="127.0.0.1"):
        d = socket.socket()
        d.settimeout(30)
        d.bind((source, 0))
        d.connect(("127.0.0.1", self.port))
        return d

    def send(self, data, source="127.0.0.1"):
        """Connect to the port, send DATA, close; a reset while sending
        (the daemon stopped reading at its limit) is what old clamd gave
        too."""
        d = self.data_connection(source)
        try:
            d.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        d.close()

    def verdict(self):
        """Everything after PORT, up to the daemon's close."""
        r = mxtest.recv_all(self.cmd)
        self.cmd.close()
        return r


def refused(port):
    """Is a connection to PORT refused (nothing listens)?"""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
        return False
    except ConnectionRefusedError:
        return True


def scan(daemon, data, framing="z", tcp=False):
    c = OldClient(daemon, framing, tcp)
    if c.port is None:
        return c.first, b""
    c.send(data)
    return c.first, c.verdict()


def start_daemon(extra, tcp=False):
    d = mxtest.tmpdir("tstream")
    opts = {"scand_stream_max_length": str(LIMIT)}
    if tcp:
        d_tcp = "127.0.0.1:%d" % mxtest.free_port()
        opts["scand_tcp_listen"] = d_tcp
    opts.update(extra)
    mx = mxtest.Daemon(db, workdir=d, options=opts)
    mx.tcp = opts.get("scand_tcp_listen")
    return mx


@mxtest.setup
def start(tap):
    global db, mx, old, short, off, RANGE
    db = mxtest.make_test_db(os.path.join(mxtest.tmpdir("tstreamdb"), "db"))
    RANGE = free_ports(3)
    # The main daemon: STREAM on, scand_alert_exceeds_max at its default (yes).
    mx = start_daemon({"scand_legacy_stream": "yes",
                       "scand_stream_ports": "%d-%d" % (RANGE, RANGE + 2)}, tcp=True)
    # Old clamd's reply past the limit, and the bound on pending data ports.
    base = free_ports(3)
    old = start_daemon({"scand_legacy_stream": "yes", "scand_alert_exceeds_max": "no",
                        "scand_stream_max_pending": "2",
                        "scand_stream_ports": "%d-%d" % (base, base + 2)})
    # A short read time-out, for the client that never connects.
    base = free_ports(1)
    short = start_daemon({"scand_legacy_stream": "yes", "scand_idle_timeout": "1s",
                          "scand_stream_ports": "%d-%d" % (base, base)})
    # The defaults.
    off = start_daemon({})


def test_off_by_default(tap):
    tap.eq(off.request(b"zSTREAM\0"), b"UNKNOWN COMMAND\0", "STREAM off by default: z")
    tap.eq(off.request(b"STREAM\n"), b"UNKNOWN COMMAND\n", "STREAM off by default: old style")
    vc = off.request(b"zVERSIONCOMMANDS\0")
    tap.ok(b" STREAM " not in vc and b"INSTREAM" in vc, "VERSIONCOMMANDS does not list it", vc)
    vc = mx.request(b"zVERSIONCOMMANDS\0")
    tap.ok(b" VERSION STREAM END " in vc, "with scand_legacy_stream it is listed where clamd 0.95 had it", vc)


def test_replies(tap):
    """Byte for byte, in each framing, on the UNIX socket and TCP."""
    cases = [("z", False, EICAR, FOUND), ("n", False, CLEAN, b"stream: OK"),
             ("bare", False, EICAR, FOUND), ("z", True, CLEAN, b"stream: OK"),
             ("n", True, EICAR, FOUND), ("bare", True, CLEAN, b"stream: OK")]
    for framing, tcp, data, want in cases:
        c = OldClient(mx, framing, tcp)
        term = TERMS[framing]
        ok = c.port is not None and RANGE <= c.port <= RANGE + 2
        tap.ok(ok, "%s STREAM over %s: %r, a port of scand_stream_ports"
               % (framing, "TCP" if tcp else "UNIX", c.first), c.first)
        if not ok:
            continue
        c.send(data)
        tap.eq(c.verdict(), want + term, "%s over %s: the verdict, then the close"
               % (framing, "TCP" if tcp else "UNIX"))
        tap.ok(refused(c.port), "the data port is closed after the verdict")
    first, r = scan(mx, b"")
    tap.eq(r, b"stream: OK\0", "an empty stream (connect and close) is clean, as in clamd")
    # The same job path as INSTREAM: a verdict INSTREAM left in the cache decides it.
    data = b"cached once by INSTREAM " * 50
    tap.eq(mx.request(b"zINSTREAM\0" + instream_bytes(data)), b"stream: OK\0", "INSTREAM of some data")
    first, r = scan(mx, data)
    tap.eq(r, b"stream: OK\0", "STREAM of the same data")
    tap.ok(re.search(r"cmd=STREAM name=stream bytes=%d verdict=OK sig=- ms=\d+ cache=hit" % len(data),
                     mx.logtext()), "STREAM went through the verdict cache (a hit) and is logged as STREAM")
    # Inside IDSESSION it is refused as clamd refused it.
    r = mx.request(b"zIDSESSION\0zSTREAM\0")
    tap.eq(r, b"1: Command invalid inside IDSESSION. ERROR\0", "not inside IDSESSION")
    # Bytes after STREAM on the command connection change nothing.
    c = OldClient(mx, "z")
    c.cmd.sendall(b"zPING\0garbage")
    c.send(EICAR)
    tap.eq(c.verdict(), FOUND + b"\0", "input after STREAM is discarded; the verdict comes")


def test_foreign_address(tap):
    """A data connection from 127.0.0.2 is reset; the client's own still works."""
    for tcp in (True, False):
        where = "TCP" if tcp else "UNIX"
        c = OldClient(mx, "z", tcp)
        before = mx.logtext().count("from another address refused")
        got = b""
        try:
            f = c.data_connection("127.0.0.2")
            f.sendall(EICAR)
            got = f.recv(100)
            f.close()
        except ConnectionResetError:
            pass  # the reset came during the handshake, or after it
        tap.ok(mxtest.wait_for(lambda: mx.logtext().count("from another address refused") > before, 30),
               "%s client: a data connection from 127.0.0.2 is refused (logged)" % where)
        tap.eq(got, b"", "%s client: the foreign connection is reset, nothing sent to it" % where)
        c.send(CLEAN)
        tap.eq(c.verdict(), b"stream: OK\0",
               "%s client: its own connection is then taken (the foreign EICAR never scanned)" % where)


def test_two_connections(tap):
    """Exactly one data connection: a second one is refused."""
    c = OldClient(mx, "n", True)
    first = c.data_connection()
    second, second_refused = None, False
    try:
        second = c.data_connection()
    except (ConnectionRefusedError, ConnectionResetError):
        second_refused = True
    first.sendall(EICAR)
    first.close()
    tap.eq(c.verdict(), FOUND + b"\n", "the first connection's data is scanned")
    if second is not None:
        # It got into the listener's backlog before the first was taken:
        # closing the listener resets it (a refusal, never a clean close).
        try:
            second.sendall(CLEAN)
            second.recv(100)
        except (ConnectionResetError, BrokenPipeError):
            second_refused = True
        second.close()
    tap.ok(second_refused, "the second connection is refused (at connect, or reset from the backlog)")
    # Accepted first, the second for sure finds no listener.
    c = OldClient(mx, "z")
    first = c.data_connection()
    first.sendall(CLEAN)
    first.shutdown(socket.SHUT_WR)
    tap.eq(c.verdict(), b"stream: OK\0", "a stream sent and half-closed")
    tap.ok(refused(c.port), "then a second connection to the port is refused")
    first.close()


def test_size_limit(tap):
    """Past scand_stream_max_length: the first LIMIT bytes are scanned."""
    cases = [
        (mx, b"a" * LIMIT, b"stream: OK", "exactly the limit is a whole stream"),
        (mx, CLEAN * 40, OVER, "past the limit, clean so far: not OK (scand_alert_exceeds_max)"),
        (mx, EICAR + CLEAN * 40, FOUND, "past the limit, malware in the first bytes: FOUND"),
        (mx, PADDING + EICAR, OVER, "malware right past the limit: not OK"),
        (old, b"a" * LIMIT, b"stream: OK", "old clamd's reply: exactly the limit"),
        (old, CLEAN * 40, b"stream: OK",
         "old clamd's reply past the limit: the verdict of the first bytes (alert off)"),
        (old, EICAR + CLEAN * 40, FOUND, "old clamd's reply: malware in the first bytes"),
        (old, PADDING + EICAR, b"stream: OK", "old clamd's reply: malware past the limit is not seen"),
    ]
    for daemon, data, want, name in cases:
        first, r = scan(daemon, data)
        tap.eq(r, want + b"\0", name)
    tap.ok(re.search(r"STREAM port \d+ \(local\): size limit %d reached; the first %d bytes" % (LIMIT, LIMIT),
                     old.logtext()), "the cut is logged")


def test_exhausted(tap):
    """Idle clients take every port of the range: a clear ERROR, the daemon goes on."""
    idle = [OldClient(mx, "z") for _ in range(3)]
    ports = sorted(c.port for c in idle if c.port is not None)
    tap.eq(ports, [RANGE, RANGE + 1, RANGE + 2], "three idle STREAMs hold the three ports of the range")
    tap.eq(mx.request(b"zSTREAM\0"), b"Can't find any free port. ERROR\0",
           "the fourth: old clamd's reply, and the connection closed")
    tap.eq(mx.request(b"nSTREAM\n"), b"Can't find any free port. ERROR\n", "with n framing")
    tap.eq(mx.request(b"zPING\0"), b"PONG\0", "PING is still served")
    tap.eq(mx.request(b"zINSTREAM\0" + instream_bytes(EICAR)), FOUND + b"\0", "INSTREAM is still served")
    for c in idle:
        c.cmd.close()
    # The client that leaves takes its data port with it.
    tap.ok(mxtest.wait_for(lambda: all(refused(p) for p in ports), 30), "their ports close with them")
    first, r = scan(mx, EICAR)
    tap.eq(r, FOUND + b"\0", "a STREAM after them gets a port and its verdict")


def test_pending_bound(tap):
    """scand_stream_max_pending bounds the open data ports below the range."""
    idle = [OldClient(old, "z") for _ in range(2)]
    tap.ok(all(c.port for c in idle), "two pending STREAMs")
    tap.eq(old.request(b"zSTREAM\0"), b"Too many STREAM requests pending. ERROR\0",
           "a third is refused by scand_stream_max_pending = 2")
    for c in idle:
        c.cmd.close()
    tap.ok(mxtest.wait_for(lambda: scan(old, CLEAN)[1] == b"stream: OK\0", 30),
           "once they left, STREAM works again")


def test_no_data_connection(tap):
    """No data connection within the read time-out."""
    c = OldClient(short, "z")
    tap.ok(c.port is not None, "PORT", c.first)
    tap.eq(c.verdict(), b"Accept timeout. ERROR\0", "the time-out reply, then the close")
    tap.ok(refused(c.port), "the port is closed after it")
    c = OldClient(short, "bare")
    tap.eq(c.verdict(), b"Accept timeout. ERROR\n", "old style: newline")
    tap.eq(short.request(b"zPING\0"), b"PONG\0", "the daemon goes on")


def test_stop(tap):
    """An orderly stop with a data port still open: every daemon exits 0
    (under the sanitizers: no leak, no error at exit)."""
    pending = OldClient(mx, "z")
    tap.ok(pending.port is not None, "a STREAM left pending")
    for d in (mx, old, short, off):
        tap.eq(d.stop(), 0, "mxscand stops and exits 0")
    tap.eq(mxtest.recv_all(pending.cmd), b"", "the pending client's connection is closed")
    tap.ok(refused(pending.port), "and its data port with it")


if __name__ == "__main__":
    mxtest.run(globals())
