#!/usr/bin/env python3
"""t_protocol - mxscand speaks clamd's protocol byte for byte.

Every probe is sent, as the same bytes, to mxscand and to Debian's stock
clamd on the same database, and the replies are compared (file-descriptor
numbers and version strings normalised).  Probes cover every command in
z, n and bare framing, IDSESSION, INSTREAM at, below and above the size
limit, the 0xFFFFFFFF chunk, a request delivered one byte per write,
FILDES with and without data, path scans, unknown commands, the TCP
restrictions and the not-ready answer of a daemon without a database."""
import os
import re
import shutil
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

mxtest.need_root_tools(["clamd"])
tap = mxtest.Tap()


LIMIT = 65536


@mxtest.setup
def start(tap):
    global CVD, cd, db, files, mx, port, work
    work = mxtest.tmpdir("tproto")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    # With a signed CVD in the set, VERSION carries its version and build time.
    CVD = os.path.join(mxtest.SHARED_CVD, "test-6.cvd")
    if os.path.exists(CVD):
        shutil.copy(CVD, os.path.join(db, "daily.cvd"))
    port = mxtest.free_port()
    mx = mxtest.Daemon(db, options={"scand_stream_max_length": str(LIMIT),
                                    "scand_tcp_listen": "127.0.0.1:%d" % port})
    cd = mxtest.Clamd(db, extra=["StreamMaxLength %d" % LIMIT, "MaxThreads 4"])

    # Files under a directory both daemons may scan.
    files = os.path.join(mx.dir, "files")
    os.makedirs(os.path.join(files, "sub"))
    with open(os.path.join(files, "clean.txt"), "wb") as f:
        f.write(b"just some text\n" * 100)
    with open(os.path.join(files, "eicar.com"), "wb") as f:
        f.write(EICAR)
    with open(os.path.join(files, "sub", "eicar2.txt"), "wb") as f:
        f.write(b"prefix " + EICAR + b" suffix")
    os.chmod(mx.dir, 0o755)


def norm(b):
    b = re.sub(rb"fd\[\d+\]", b"fd[N]", b)
    b = re.sub(rb"ClamAV [0-9.]+(/[^\0\n]*)?", b"ClamAV VERSION", b)
    return b


def half_closed(path, payload, timeout=10.0):
    """PAYLOAD, then EOF (the client has nothing more to send): what the
    daemon answers before it closes."""
    s = mxtest.connect(path, timeout)
    try:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        return mxtest.recv_all(s)
    finally:
        s.close()


def both(payload, name, timeout=10.0, eof=False):
    """The same PAYLOAD to mxscand and clamd: the same reply.  EOF sends
    the end of the client's side after it, so a daemon that has nothing
    to say closes at once (instead of the client waiting out TIMEOUT to
    see that nothing comes)."""
    if eof:
        a, b = half_closed(mx.socket, payload, timeout), half_closed(cd.socket, payload, timeout)
    else:
        a = mx.request(payload, timeout)
        b = cd.request(payload, timeout)
    tap.ok(norm(a) == norm(b), "same reply as clamd: " + name,
           "mxscand: %r\nclamd:   %r" % (a[:300], b[:300]))
    return a


def both_sorted(payload, name, timeout=10.0):
    """As both(), for sessions: replies carry ids and may come in any order."""
    a = mx.request(payload, timeout)
    b = cd.request(payload, timeout)
    tap.ok(sorted(norm(a).split(a[-1:] or b"\0")) == sorted(norm(b).split(b[-1:] or b"\0")),
           "same replies as clamd (any order): " + name, "mxscand: %r\nclamd:   %r" % (a[:300], b[:300]))
    return a


clean = b"hello world\n" * 50
FOUND = b"stream: " + mxtest.EICAR_SIG.encode() + b" FOUND\0"


def test_framing(tap):
    """Framing and simple commands."""
    tap.eq(mx.request(b"zPING\0"), b"PONG\0", "zPING")
    both(b"zPING\0", "zPING")
    both(b"nPING\n", "nPING")
    both(b"PING\n", "bare PING")
    both(b"PING", "bare PING without newline (EOF ends it)")
    both(b"PING\0", "bare PING ended by a NUL (freshclam's NotifyClamd sends RELOAD so)")
    both(b"zVERSION\0", "zVERSION")
    v = mx.request(b"nVERSION\n")
    tap.ok(not os.path.exists(CVD) or re.fullmatch(rb"ClamAV \d+\.\d+\.\d+/\d+/\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n", v) is not None,
           "VERSION is ClamAV <engine>/<db version>/<db time>", v)
    vc_mx = mx.request(b"zVERSIONCOMMANDS\0").rstrip(b"\0").split(b"| COMMANDS: ")
    vc_cd = cd.request(b"zVERSIONCOMMANDS\0").rstrip(b"\0").split(b"| COMMANDS: ")
    tap.ok(len(vc_mx) == 2 and set(vc_cd[1].split()) <= set(vc_mx[1].split())
           and {b"HEALTH", b"SELFCHECK"} <= set(vc_mx[1].split()),
           "VERSIONCOMMANDS lists clamd's commands plus HEALTH and SELFCHECK", (vc_mx, vc_cd))
    both(b"zNOSUCHCOMMAND\0", "unknown command (z)")
    both(b"nNOSUCHCOMMAND\n", "unknown command (n)")
    both(b"NOSUCHCOMMAND\n", "unknown command (bare)")
    both(b"zINSTREAMX\0", "command with trailing junk")
    both(b"INSTREAM\n" + instream_bytes(clean), "INSTREAM is not a bare (old-style) command")
    both(b"zEND\0", "END outside a session")


def test_instream(tap):
    """INSTREAM."""
    global i
    both(b"zINSTREAM\0" + instream_bytes(clean), "INSTREAM clean (z)")
    both(b"nINSTREAM\n" + instream_bytes(clean), "INSTREAM clean (n)")
    r = both(b"zINSTREAM\0" + instream_bytes(b"xx" + EICAR + b"yy"), "INSTREAM EICAR (z)")
    tap.eq(r, FOUND, "INSTREAM EICAR verdict")
    both(b"nINSTREAM\n" + instream_bytes(EICAR, chunk=7), "INSTREAM EICAR in 7-byte chunks (n)")
    both(b"zINSTREAM\0" + struct.pack(">I", 0), "INSTREAM empty stream")
    exact = EICAR + b"A" * (LIMIT - len(EICAR))
    r = both(b"zINSTREAM\0" + instream_bytes(exact, chunk=4096), "INSTREAM exactly at the limit")
    tap.eq(r, FOUND, "a stream of exactly the limit is scanned")
    r = both(b"zINSTREAM\0" + instream_bytes(exact + b"B", chunk=4096), "INSTREAM one byte over the limit")
    tap.eq(r, b"INSTREAM size limit exceeded. ERROR\0", "one byte over the limit is refused")
    r = both(b"zINSTREAM\0" + struct.pack(">I", 0xFFFFFFFF) + b"x" * 100, "INSTREAM chunk length 0xFFFFFFFF")
    tap.eq(r, b"INSTREAM size limit exceeded. ERROR\0", "0xFFFFFFFF chunk refused")

    def over_limit_while_sending(path):
        """The client keeps sending a 1 MB stream after the limit: the error
        reply must still arrive (the daemon drains before it closes)."""
        s = mxtest.connect(path, 10)
        data = b"zINSTREAM\0" + instream_bytes(b"C" * (1 << 20), chunk=8192)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = mxtest.recv_all(s)
        s.close()
        return out

    tap.eq(over_limit_while_sending(mx.socket), b"INSTREAM size limit exceeded. ERROR\0",
           "size-limit error reaches a client that keeps sending")

    # One byte per write, with the daemon seeing each byte separately.
    s = mxtest.connect(mx.socket, 30)
    req = b"zINSTREAM\0" + instream_bytes(b"zz" + EICAR, chunk=10)
    for i in range(len(req)):
        s.send(req[i:i + 1])
        if i % 16 == 0:
            time.sleep(0.001)  # spread the bytes over many reads; not a synchronisation
    tap.eq(mxtest.recv_all(s), FOUND, "request sent one byte per write")
    s.close()


def test_idsession(tap):
    """IDSESSION."""
    sess = (b"zIDSESSION\0zPING\0zINSTREAM\0" + instream_bytes(clean) + b"zINSTREAM\0"
            + instream_bytes(EICAR) + b"zVERSION\0zEND\0")
    r = both_sorted(sess, "IDSESSION with PING, two INSTREAMs, VERSION, END")
    tap.eq(sorted(norm(r).split(b"\0")[:-1]), [b"1: PONG", b"2: stream: OK", b"3: " + FOUND[:-1],
                                          b"4: " + norm(b"ClamAV 1")], "IDSESSION replies carry their request ids")
    both_sorted(b"nIDSESSION\nnPING\nnPING\nnEND\n", "IDSESSION (n)")
    both(b"zIDSESSION\0zCONTSCAN /nonexistent\0zEND\0", "command not allowed inside IDSESSION")
    both(b"zIDSESSION\0zIDSESSION\0", "nested IDSESSION")
    both(b"zIDSESSION\0zNOSUCH\0zPING\0zEND\0", "unknown command inside IDSESSION")
    sess = (b"zIDSESSION\0zINSTREAM\0" + instream_bytes(clean) + b"zINSTREAM\0"
            + instream_bytes(b"D" * (LIMIT + 10), chunk=8192))
    a, b = mx.request(sess), cd.request(sess)
    # clamd drops reply 1 here; mxscand sends it (a superset of clamd's bytes).
    tap.ok(set(b.split(b"\0")) <= set(a.split(b"\0")),
           "a session ended by an error: clamd's replies, plus the ones clamd loses", (a, b))
    tap.ok(b"1: stream: OK\0" in a, "the earlier request's reply arrives", a)
    r = mx.request(b"zIDSESSION\0PING\n")
    tap.eq(r, b"Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR\n",
           "bare command inside IDSESSION: error, then close")

    # Pipelined session: many requests written before any reply is read.
    n = 50
    s = mxtest.connect(mx.socket, 30)
    s.sendall(b"zIDSESSION\0" + b"".join(b"zINSTREAM\0" + instream_bytes(EICAR if i % 2 else clean)
                                         for i in range(n)) + b"zEND\0")
    out = mxtest.recv_all(s).split(b"\0")[:-1]
    s.close()
    want = [b"%d: %s" % (i + 1, FOUND[:-1] if i % 2 else b"stream: OK") for i in range(n)]
    tap.eq(sorted(out), sorted(want), "50 pipelined session requests each answered under its id")


def test_fildes(tap):
    """FILDES."""
    EICAR_FILE = os.path.join(files, "eicar.com")
    a = mxtest.fildes(mx.socket, EICAR_FILE, b"zFILDES\0")
    b = mxtest.fildes(cd.socket, EICAR_FILE, b"zFILDES\0")
    tap.ok(norm(a) == norm(b) and a.endswith(FOUND[8:]), "FILDES (z) matches clamd", (a, b))
    a = mxtest.fildes(mx.socket, EICAR_FILE, b"nFILDES\n")
    b = mxtest.fildes(cd.socket, EICAR_FILE, b"nFILDES\n")
    tap.ok(norm(a) == norm(b), "FILDES (n) matches clamd", (a, b))
    a = mxtest.fildes(mx.socket, EICAR_FILE, b"zIDSESSION\0zFILDES\0", b"zPING\0zEND\0")
    tap.ok(re.fullmatch(rb"(1: fd\[\d+\]: %s FOUND\x00|2: PONG\x00){2}" % mxtest.EICAR_SIG.encode(), a) is not None,
           "FILDES inside IDSESSION, followed by more commands", a)
    both(b"zFILDES\0", "FILDES without a descriptor", eof=True)


def test_path_scans(tap):
    """Path scans."""
    both(b"zSCAN %s\0" % os.path.join(files, "clean.txt").encode(), "SCAN clean file")
    both(b"nSCAN %s\n" % os.path.join(files, "eicar.com").encode(), "SCAN infected file")
    both(b"SCAN %s\n" % os.path.join(files, "eicar.com").encode(), "bare SCAN")
    both(b"zSCAN %s\0" % os.path.join(files, "missing").encode(), "SCAN missing file")
    r = both(b"zCONTSCAN %s\0" % files.encode(), "CONTSCAN directory")
    tap.ok(r.count(b"FOUND") == 2, "CONTSCAN reports both infected files", r)
    a = mx.request(b"zMULTISCAN %s\0" % files.encode())
    b = cd.request(b"zMULTISCAN %s\0" % files.encode())
    tap.eq(sorted(a.split(b"\0")), sorted(b.split(b"\0")), "MULTISCAN: same replies as clamd (any order)")
    both(b"zALLMATCHSCAN %s\0" % files.encode(), "ALLMATCHSCAN directory")
    r = mx.request(b"zSCAN /etc/passwd\0")
    tap.ok(r.endswith(b"ERROR\0") and b"scand_scan_roots" in r, "path outside scand_scan_roots refused", r)


def test_stats_health(tap):
    """STATS and HEALTH."""
    st = mx.request(b"zSTATS\0")
    tap.ok(st.startswith(b"POOLS: ") and b"\nSTATE: VALID PRIMARY\n" in st and b"\nQUEUE: " in st
           and st.endswith(b"END\0"), "STATS has clamd's layout (clamdtop can parse it)", st)
    h = mx.health()
    for key in ("engine_generation", "database_version", "database_time", "reload_state", "reload_last_error",
                "queue_depth", "threads_busy"):
        tap.ok(key in h, "HEALTH reports " + key, h)
    tap.ok(mx.request(b"zHEALTH\0").endswith(b"END\0"), "HEALTH ends with END and the terminator")


def test_tcp(tap):
    """TCP restrictions."""
    tcp = "127.0.0.1:%d" % port
    tap.eq(mxtest.request(tcp, b"zPING\0", tcp=True), b"PONG\0", "TCP listener answers PING")
    tap.eq(mxtest.request(tcp, b"zINSTREAM\0" + instream_bytes(EICAR), tcp=True),
           FOUND, "INSTREAM over TCP")
    tap.eq(mxtest.request(tcp, b"zSHUTDOWN\0", tcp=True), b"COMMAND UNAVAILABLE\0", "SHUTDOWN refused on TCP")
    tap.eq(mxtest.request(tcp, b"zRELOAD\0", tcp=True), b"COMMAND UNAVAILABLE\0", "RELOAD refused on TCP")
    r = mxtest.request(tcp, b"zSCAN %s\0" % files.encode(), tcp=True)
    tap.ok(r.endswith(b"ERROR\0") and b"disabled on TCP" in r, "path scans refused on TCP", r)
    tap.ok(mxtest.ping(mx.socket), "daemon still running after refused SHUTDOWN")


def test_not_ready(tap):
    """Not ready until a database appears."""
    late = os.path.join(work, "late")
    nr = mxtest.Daemon(late, wait=False, options={"scand_db_check_interval": "200ms",
                                                   "scand_reload_retry_min": "100ms",
                                                   "scand_reload_retry_max": "200ms"})
    end = time.time() + 30
    r = b""
    while time.time() < end:
        try:
            r = mxtest.request(nr.socket, b"zINSTREAM\0" + instream_bytes(EICAR), timeout=5)
            break
        except OSError:
            time.sleep(0.05)  # socket not bound yet: poll interval
    tap.eq(r, b"stream: Signature database not loaded yet. ERROR\0", "not ready: INSTREAM gets a clear error")
    tap.eq(mxtest.request(nr.socket, b"zPING\0"), b"Signature database not loaded yet. ERROR\0",
           "not ready: PING is not PONG")
    mxtest.make_test_db(late)
    mxtest.wait_ready(nr.socket, timeout=30, proc=nr.proc)
    tap.eq(nr.request(b"zINSTREAM\0" + instream_bytes(EICAR)), FOUND,
           "database appears: the daemon loads it and scans")
    nr.stop()


def test_engine_limits(tap):
    """Engine limits are reported, never a silent OK."""
    lim = mxtest.Daemon(db, options={"scand_max_filesize": "4k", "scand_max_scansize": "8k"})
    r = lim.request(b"zINSTREAM\0" + instream_bytes(b"L" * 20000))
    tap.ok(r.startswith(b"stream: Heuristics.Limits.Exceeded.") and r.endswith(b" FOUND\0"),
           "a stream over scand_max_filesize is reported as Heuristics.Limits.Exceeded", r)
    tap.eq(lim.request(b"zINSTREAM\0" + instream_bytes(b"L" * 1000)), b"stream: OK\0",
           "a stream under the limits is scanned")
    lim.stop()
    lim = mxtest.Daemon(db, options={"scand_max_filesize": "4k", "scand_alert_exceeds_max": "no"})
    tap.eq(lim.request(b"zINSTREAM\0" + instream_bytes(b"L" * 20000)), b"stream: OK\0",
           "scand_alert_exceeds_max = no restores clamd's default (the opt-out is explicit)")
    lim.stop()


def test_shutdown(tap):
    """SHUTDOWN."""
    tap.eq(mx.request(b"zSHUTDOWN\0"), b"", "SHUTDOWN closes without a reply (as clamd)")
    try:
        rc = mx.proc.wait(30)
    except Exception:
        rc = None
    tap.eq(rc, 0, "SHUTDOWN: daemon exits 0")
    tap.ok(not os.path.exists(mx.socket), "SHUTDOWN removes the socket")
    mx.stop()
    cd.stop()
    mxtest.rmtree(work)


if __name__ == "__main__":
    mxtest.run(globals())
