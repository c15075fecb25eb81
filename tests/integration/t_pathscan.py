#!/usr/bin/env python3
"""t_pathscan - SCAN-family path scans that cannot be led astray or stalled.

A FIFO named in a SCAN is "Not supported file type", as in clamd, and
never opened for reading: a scan thread does not wait for a writer that
never comes (before, one SCAN of a FIFO in /tmp held a thread for good;
scand_threads of them stopped every scan).  In a directory, FIFOs,
sockets and symbolic links are skipped and the files beside them
scanned.  A directory in the path swapped for a symbolic link to outside
scand_scan_roots after the command was accepted, while the request waits
in the queue, does not lead the scan there: the scan thread checks what
it opened (HEALTH shows the request still queued when the swap is made)."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global FOUND_SUFFIX, inside, mx, outside, work
    work = mxtest.tmpdir("tpathscan")
    db = os.path.join(work, "db")
    mxtest.make_test_db(db)
    inside = os.path.join(work, "inside")      # under scand_scan_roots
    outside = mxtest.tmpdir("tpathscan-out")   # not: the daemon's roots are set below
    os.makedirs(inside)
    FOUND_SUFFIX = b"%s FOUND\0" % mxtest.EICAR_SIG.encode()

    mx = mxtest.Daemon(db, workdir=mxtest.tmpdir("tpathscan-d"),
                       options={"scand_threads": "1", "scand_scan_roots": inside})


def test_fifos(tap):
    """FIFOs."""
    fifo = os.path.join(inside, "pipe")
    os.mkfifo(fifo)
    t0 = time.time()
    r = mx.request(b"zSCAN %s\0" % fifo.encode(), timeout=20)
    tap.eq(r, b"%s: Not supported file type ERROR\0" % fifo.encode(), "SCAN of a FIFO: not supported, ERROR")
    tap.ok(time.time() - t0 < 10, "SCAN of a FIFO answers at once (%.2f s)" % (time.time() - t0))
    r = mx.request(b"zINSTREAM\0" + instream_bytes(EICAR), timeout=20)
    tap.eq(r, b"stream: " + FOUND_SUFFIX, "the only scan thread is free after it (INSTREAM answered)")

    tree = os.path.join(inside, "tree")
    os.makedirs(os.path.join(tree, "sub"))
    os.mkfifo(os.path.join(tree, "a-fifo"))
    os.mkfifo(os.path.join(tree, "sub", "b-fifo"))
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(os.path.join(tree, "c-socket"))
    with open(os.path.join(tree, "sub", "eicar.com"), "wb") as f:
        f.write(EICAR)
    with open(os.path.join(tree, "clean.txt"), "wb") as f:
        f.write(b"nothing to see\n")
    with open(os.path.join(outside, "eicar.com"), "wb") as f:
        f.write(EICAR)
    os.symlink(os.path.join(outside, "eicar.com"), os.path.join(tree, "d-link"))
    r = mx.request(b"zCONTSCAN %s\0" % tree.encode(), timeout=20)
    tap.eq(r, b"%s/sub/eicar.com: " % tree.encode() + FOUND_SUFFIX,
           "CONTSCAN of a tree with FIFOs, a socket and a link out: only the file inside is reported")
    srv.close()


def test_swap(tap):
    """A directory swapped for a link to outside while the SCAN is queued."""
    victim = os.path.join(inside, "victim")

    def fresh_victim():
        if os.path.islink(victim):
            os.unlink(victim)
        if os.path.isdir(victim + ".old"):
            mxtest.rmtree(victim + ".old")
        os.makedirs(victim)
        with open(os.path.join(victim, "eicar.com"), "wb") as f:
            f.write(b"a harmless file of the same name\n")

    def wait_health(pred):
        return mx.wait_health(pred, interval=0.01)

    big = os.path.join(work, "big.bin")
    size = 64 << 20
    outcome = None
    for attempt in range(3):
        # The blocker: one large FILDES scan holding the only scan thread.
        with open(big, "wb") as f:
            f.write(os.urandom(size))
        fresh_victim()
        blocker = mxtest.connect(mx.socket, 120)
        blocker.sendall(b"zFILDES\0")
        fd = os.open(big, os.O_RDONLY)
        socket.send_fds(blocker, [b"\0"], [fd])
        os.close(fd)
        busy = wait_health(lambda h: h.get("threads_busy") == "1")
        s = mxtest.connect(mx.socket, 120)
        s.sendall(b"zSCAN %s/eicar.com\0" % victim.encode())
        queued = wait_health(lambda h: h.get("queue_depth") == "1") if busy else None
        os.rename(victim, victim + ".old")
        os.symlink(outside, victim)
        after = mx.health()
        still_queued = queued is not None and after.get("queue_depth") == "1"
        reply = mxtest.recv_all(s)
        s.close()
        mxtest.recv_all(blocker)
        blocker.close()
        if still_queued:
            outcome = reply
            break
        size *= 2   # the blocker ended before the swap: a larger one
    tap.ok(outcome is not None, "the swap was made while the SCAN waited in the queue (HEALTH queue_depth 1)")
    tap.ok(outcome is not None and FOUND_SUFFIX not in outcome and b"scand_scan_roots" in outcome
           and outcome.endswith(b"ERROR\0"),
           "the queued SCAN does not follow the swapped-in link out of scand_scan_roots", outcome)
    r = mx.request(b"zSCAN %s/eicar.com\0" % victim.encode(), timeout=20)
    tap.ok(b"scand_scan_roots" in r and r.endswith(b"ERROR\0"), "a new SCAN through the link is refused", r)
    rc = mx.stop()
    tap.eq(rc, 0, "mxscand stopped cleanly")


if __name__ == "__main__":
    mxtest.run(globals())
