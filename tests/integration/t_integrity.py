#!/usr/bin/env python3
"""t_integrity - a scan that is stopped early never becomes a verdict.

A request whose deadline passes, or whose client hangs up, is stopped;
its answer is an ERROR (or nothing, to a client that is gone), and no
cache, libclamav's own (scand_engine_cache = yes) or mxscand's verdict
cache, may remember anything of it: the same bytes asked again, by any
command, must be found.  Checked with the stop before the scan starts
(the deadline passes while the request waits for its data), in the
middle of a scan (the client leaves while an archive's members are
scanned), at random points (clients that send and hang up at once), and
end to end through mxscan-filter, whose time-out made a retry deliver
malware to the next hop on the previous build.

Also: FILDES takes only a regular file open for reading (a device, pipe,
socket, directory or write-only descriptor is an ERROR, never OK, and
never holds a scan thread), and a descriptor's verdict is cached from a
private copy, so a client rewriting its file during the scan cannot
attach a verdict to bytes that were not scanned.
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
import smtptest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global db, work
    work = mxtest.tmpdir("tintegrity")
    db = mxtest.make_test_db(os.path.join(work, "db"))


SIG = mxtest.EICAR_SIG.encode()
serial = [0]


def unique(tag):
    """Bytes no scan has seen before: EICAR plus a unique suffix."""
    serial[0] += 1
    return EICAR + b" %s-%d-%d" % (tag.encode(), os.getpid(), serial[0])


def found(reply, subject=b"stream"):
    return reply == subject + b": " + SIG + b" FOUND\0"


def ask_all(mx, data, what):
    """The same bytes by INSTREAM, FILDES and SCAN: all must be FOUND."""
    r = mx.request(b"zINSTREAM\0" + instream_bytes(data))
    tap.ok(found(r), "%s: the same bytes again by INSTREAM are FOUND" % what, r)
    path = os.path.join(work, "again-%d" % serial[0])
    with open(path, "wb") as f:
        f.write(data)
    r = mxtest.fildes(mx.socket, path)
    tap.ok(r.endswith(SIG + b" FOUND\0"), "%s: by FILDES, FOUND" % what, r)
    r = mx.request(b"zSCAN " + path.encode() + b"\0")
    tap.ok(found(r, path.encode()), "%s: by SCAN, FOUND" % what, r)


def late_request(mx, cmd, data):
    """CMD, then DATA only once the 2 s request deadline has passed."""
    s = mxtest.connect(mx.socket, 30)
    s.sendall(cmd)
    time.sleep(2.5)  # the stimulus: outlive the 2 s request deadline
    s.sendall(instream_bytes(data))
    r = mxtest.recv_all(s)
    s.close()
    return r


def cancelled_count(mx):
    return mx.logtext().count("verdict=CANCELLED")


def test_stopped_early(tap):
    """1-3: past the deadline, a client gone mid-scan, clients that hang up
    at once; with and without libclamav's engine cache."""
    for ecache in ("no", "yes"):
        # A 2 s request deadline for part 1; parts 2 and 3 run on a daemon whose
        # deadline cannot cut the retries short on a slow (sanitizer) build.
        mx = mxtest.Daemon(db, options={"scand_request_timeout": "2s", "scand_threads": "2",
                                        "scand_engine_cache": ecache})
        what = "engine cache %s" % ecache

        # -- 1. the deadline passes while the request waits for its data ------
        data = unique("late")
        r = late_request(mx, b"zINSTREAM\0", data)
        tap.eq(r, b"stream: Request deadline exceeded. ERROR\0",
               "%s: INSTREAM past its deadline is an ERROR" % what)
        ask_all(mx, data, "%s, late INSTREAM" % what)

        msg = mimegen.plain(unique("late-mime"), "late.com")
        r = late_request(mx, b"zMIMESCAN\0", msg)
        tap.ok(r.endswith(b"stream: Request deadline exceeded. ERROR\0") and b" OK\n" not in r,
               "%s: MIMESCAN past its deadline is an ERROR with no part OK" % what, r)
        r = mx.request(b"zMIMESCAN\0" + instream_bytes(msg))
        tap.ok(r.endswith(b"stream: " + SIG + b" FOUND\0"),
               "%s: the same message again: FOUND" % what, r)

        tap.eq(mx.stop(), 0, "%s: mxscand with the 2 s deadline stops cleanly" % what)
        mx = mxtest.Daemon(db, options={"scand_request_timeout": "300s", "scand_threads": "2",
                                        "scand_max_files": "100000",
                                        "scand_engine_cache": ecache})

        # -- 2. the client leaves in the middle of an archive -----------------
        tail = unique("midscan")
        z = mimegen.member_zip(8000, tail)
        before = cancelled_count(mx)
        s = mxtest.connect(mx.socket, 30)
        s.sendall(b"zINSTREAM\0" + instream_bytes(z))
        busy = mx.wait_health(lambda h: h.get("threads_busy") == "1", 30)
        s.close()
        tap.ok(busy is not None and mxtest.wait_for(lambda: cancelled_count(mx) > before,
                                                    60 * smtptest.SLOW),
               "%s: a client that left mid-scan stopped the scan (verdict=CANCELLED)" % what)
        r = mx.request(b"zINSTREAM\0" + instream_bytes(z))
        tap.ok(found(r), "%s: the same archive again is FOUND" % what, r)
        ask_all(mx, tail, "%s, member of the stopped archive" % what)

        # -- 3. clients that send and hang up at once, at random points -------
        bad = []
        for i in range(60):
            data = os.urandom(2048 * (i % 7 + 1)) + unique("hangup")
            s = mxtest.connect(mx.socket, 30)
            s.sendall(b"zINSTREAM\0" + instream_bytes(data))
            s.close()
            r = mx.request(b"zINSTREAM\0" + instream_bytes(data))
            if not found(r):
                bad.append(r)
        tap.ok(not bad, "%s: 60 requests abandoned at once, each found when asked again"
               % what, bad[:3])
        tap.eq(mx.stop(), 0, "%s: mxscand stops cleanly" % what)


def test_fildes(tap):
    """4. FILDES takes only what it can read in full."""
    mx = mxtest.Daemon(db, options={"scand_threads": "1", "scand_request_timeout": "20s"})
    epath = os.path.join(work, "eicar.com")
    with open(epath, "wb") as f:
        f.write(EICAR)

    def fildes_fd(fd, timeout=20):
        s = mxtest.connect(mx.socket, timeout)
        try:
            s.sendall(b"zFILDES\0")
            socket.send_fds(s, [b"\0"], [fd])
            return mxtest.recv_all(s)
        finally:
            s.close()

    def is_error(r):
        return r.endswith(b" ERROR\0") and b"OK" not in r

    kinds = []
    fd = os.open(epath, os.O_WRONLY)
    kinds.append(("EICAR opened write-only", fd))
    kinds.append(("a directory", os.open(work, os.O_RDONLY | os.O_DIRECTORY)))
    kinds.append(("EICAR through O_PATH", os.open(epath, os.O_PATH)))
    pr, pw = os.pipe()
    os.write(pw, EICAR)
    kinds.append(("a pipe holding EICAR", pr))
    sa, sb = socket.socketpair()
    sb.sendall(EICAR)
    kinds.append(("a socket holding EICAR", sa.fileno()))
    for dev in ("/dev/zero", "/dev/urandom"):
        kinds.append((dev, os.open(dev, os.O_RDONLY)))
    for name, fd in kinds:
        t = time.time()
        r = fildes_fd(fd)
        tap.ok(is_error(r) and time.time() - t < 10 * smtptest.SLOW,
               "FILDES of %s: ERROR at once" % name, r)
    for name, fd in kinds:
        if name.startswith("a socket"):
            continue
        os.close(fd)
    os.close(pw)
    sa.close()
    sb.close()

    # Endless descriptors from more clients than there are scan threads.
    results = []

    def endless():
        fd = os.open("/dev/zero", os.O_RDONLY)
        try:
            results.append(fildes_fd(fd, 30))
        finally:
            os.close(fd)

    ths = [threading.Thread(target=endless) for _ in range(4)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(60)
    tap.ok(len(results) == 4 and all(is_error(r) for r in results),
           "4 FILDES of /dev/zero on 1 scan thread: each an ERROR", results)
    t = time.time()
    tap.ok(mxtest.ping(mx.socket) and time.time() - t < 2, "PING answers after them")
    r = mxtest.fildes(mx.socket, epath)
    tap.ok(r.endswith(SIG + b" FOUND\0"), "FILDES of EICAR: FOUND", r)

    # A file larger than scand_stream_memory_max is scanned in place: found,
    # never cached (HEALTH's cache counters do not move).
    mx.stop()
    mx = mxtest.Daemon(db, options={"scand_threads": "1", "scand_stream_memory_max": "4k"})
    big = os.path.join(work, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(64 * 1024) + unique("big"))
    h0 = mx.health()
    r1 = mxtest.fildes(mx.socket, big)
    r2 = mxtest.fildes(mx.socket, big)
    h1 = mx.health()
    tap.ok(r1.endswith(SIG + b" FOUND\0") and r2 == r1, "a large FILDES in place: FOUND", (r1, r2))
    tap.ok(h1["cache_entries"] == h0["cache_entries"] and h1["cache_hits"] == h0["cache_hits"],
           "a FILDES scanned in place is never cached", (h0, h1))

    # A small FILDES is a private copy: the verdict cached is the verdict of the
    # bytes hashed.  The client rewrites its file while the scan runs; whatever
    # the scan saw, the bytes that were EICAR stay FOUND.
    flip = os.path.join(work, "flip.bin")
    stop_flip = threading.Event()

    def flipper(payload):
        clean = os.urandom(len(payload))  # same length: the file is one or the other
        fd = os.open(flip, os.O_WRONLY)
        while not stop_flip.is_set():
            os.pwrite(fd, clean, 0)
            os.pwrite(fd, payload, 0)
        os.close(fd)

    bad = []
    for i in range(20):
        payload = unique("flip")
        with open(flip, "wb") as f:
            f.write(payload)
        stop_flip.clear()
        th = threading.Thread(target=flipper, args=(payload,))
        th.start()
        for _ in range(5):
            mxtest.fildes(mx.socket, flip)
        stop_flip.set()
        th.join()
        r = mx.request(b"zINSTREAM\0" + instream_bytes(payload))
        if not found(r):
            bad.append(r)
    tap.ok(not bad, "a file rewritten during FILDES scans never makes its EICAR bytes clean",
           bad[:3])
    tap.eq(mx.stop(), 0, "mxscand stops cleanly after the descriptor tests")


def test_filter_retry(tap):
    """5. end to end: the filter's time-out, then Postfix's retry."""
    global cap
    mx = mxtest.Daemon(db, options={"scand_threads": "1", "scand_max_files": "200000",
                                    "scand_stream_max_length": "200m"})
    cap = smtptest.Capture()
    flt = smtptest.Filter(mx.socket, cap.addr, work, {"filter_message_timeout": "3s"})
    hog_reply = []

    def hog(z):
        hog_reply.append(mx.request(b"zINSTREAM\0" + instream_bytes(z), timeout=300))

    # Hold the only scan thread for longer than the filter's 3 s.
    n = 20000
    while True:
        z = mimegen.member_zip(n, b"nothing to see " + unique("hog")[len(EICAR):])
        hog_reply.clear()
        t0 = time.time()
        th = threading.Thread(target=hog, args=(z,))
        th.start()
        held = mx.wait_health(lambda h: h.get("threads_busy") == "1", 30)
        virus = unique("e2e")
        mail = mimegen.plain(virus, "worm.com")
        r = flt.client().mail("a@example.test", ["b@example.test"], mail)
        th.join(300)
        if r[0] == 451 or n >= 160000:
            break
        n *= 2  # the hog ended before the filter gave up: a longer one
    tap.ok(held is not None and r[0] == 451, "the filter's time-out answers 451 4.3.0", r)
    tap.diag("hog of %d members held the thread %.1fs" % (n, time.time() - t0))
    r = flt.client().mail("a@example.test", ["b@example.test"], mail)
    tap.ok(r[0] == 250 and "quarantined as" in r[1][0] and mxtest.EICAR_SIG in r[1][0],
           "the retry is scanned: quarantined, naming the signature", r)
    marker = smtptest.simple_message(b"marker\r\n")
    r = flt.client().mail("a@example.test", ["b@example.test"], marker)
    cap.wait(1)
    got = cap.take()
    tap.ok(r[0] == 250 and len(got) == 1 and got[0].data == marker,
           "the infected mail never reached the next hop (only the marker after it did)",
           [g.data[:80] for g in got])
    tap.eq(flt.stop(), 0, "mxscan-filter stops cleanly")
    tap.eq(mx.stop(), 0, "mxscand stops cleanly")


def test_cut_replies(tap):
    """6. the filter takes only a whole reply, and only its "stream: " line."""
    # A scanner that stops (or crashes) in the middle of a MIMESCAN reply: the
    # part lines before the cut carry file names from the message, and one such
    # line (name "a: b") reads like a clean verdict.
    class CutScanner:
        def __init__(self, reply):
            self.path = os.path.join(work, "cut%d.sock" % serial[0])
            serial[0] += 1
            self.reply = reply
            self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.srv.bind(self.path)
            self.srv.listen(8)
            threading.Thread(target=self.serve, daemon=True).start()
            mxtest.on_cleanup(self.srv.close)

        def serve(self):
            while True:
                try:
                    c, _ = self.srv.accept()
                except OSError:
                    return
                data = b""
                while not data.endswith(b"\0\0\0\0"):  # up to the zero-length chunk
                    b = c.recv(65536)
                    if not b:
                        break
                    data += b
                c.sendall(self.reply)
                c.close()

    for what, reply in (
            ("cut after a part line", b'1 text/plain "a: b" OK\n'),
            ("cut inside a later line", b'1 text/plain "a: b" OK\n2 application/octet-stream'),
            ("whole, but the last line a part line", b'1 text/plain "a: b" OK\0'),
            ("cut before its terminator", b"stream: OK")):
        fake = CutScanner(reply)
        flt = smtptest.Filter(fake.path, cap.addr, work)
        r = flt.client().mail("a@example.test", ["b@example.test"], mimegen.plain(EICAR, "e.com"))
        tap.ok(r[0] == 451, "scanner reply %s: 451 4.3.0" % what, r)
        # The filter answers only after the next hop has answered its relay.
        got = cap.take()
        tap.ok(not got, "scanner reply %s: nothing relayed before that answer" % what,
               [g.data[:80] for g in got])
        flt.stop()
    cap.stop()


if __name__ == "__main__":
    mxtest.run(globals())
