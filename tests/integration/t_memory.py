#!/usr/bin/env python3
"""t_memory - no growth over 10,000 scans.

After a warm-up, 10,000 requests of every kind (INSTREAM from memory and
spooled to disk, FILDES, IDSESSION, errors) must leave mxscand's resident
memory within a small bound and its descriptor count unchanged, and 20
reloads must not leave old engines behind.  Skipped in the sanitizer
build, whose allocator makes RSS meaningless (ASan checks leaks there)."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

if os.environ.get("MX_ASAN"):
    mxtest.Tap.skip_all("RSS is not meaningful under AddressSanitizer")
tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global mx, sample, work
    work = mxtest.tmpdir("tmemory")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    mx = mxtest.Daemon(db, options={"scand_threads": "4", "scand_stream_memory_max": "64k"})
    sample = os.path.join(work, "sample")
    with open(sample, "wb") as f:
        f.write(b"x" * 5000 + EICAR)


FOUND = mxtest.EICAR_SIG.encode() + b" FOUND\0"
small = b"zINSTREAM\0" + instream_bytes(b"hello " * 200)
spooled = b"zINSTREAM\0" + instream_bytes(b"q" * 100000 + EICAR)
session = b"zIDSESSION\0" + b"zPING\0" + b"zINSTREAM\0" + instream_bytes(EICAR) + b"zEND\0"
errors = []


def one(i):
    k = i % 5
    if k == 0:
        r = mx.request(small)
        ok = r == b"stream: OK\0"
    elif k == 1:
        r = mx.request(spooled)
        ok = r.endswith(FOUND)
    elif k == 2:
        r = mxtest.fildes(mx.socket, sample)
        ok = r.endswith(FOUND)
    elif k == 3:
        r = mx.request(session)
        ok = b"1: PONG\0" in r and r.endswith(FOUND)
    else:
        r = mx.request(b"zNOSUCH\0")
        ok = r == b"UNKNOWN COMMAND\0"
    if not ok:
        errors.append(r)


def batch(n):
    def worker(start):
        for i in range(start, n, 4):
            one(i)
    ts = [threading.Thread(target=worker, args=(j,)) for j in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def nfds():
    return len(os.listdir("/proc/%d/fd" % mx.proc.pid))


def settled_fds(want=None):
    """The descriptor count once the last clients' connections are closed
    on the daemon's side too: HEALTH counts none but its own, then the
    least of a few samples (a closing connection lasts milliseconds; a
    leaked descriptor stays).  With WANT, the count is read again until it
    is down to WANT, for at most 10 s (a leak never gets there)."""
    mxtest.wait_for(lambda: int(mx.health().get("connections", 99)) <= 1, 10)
    seen = [nfds()]
    for _ in range(4):
        time.sleep(0.01)  # sampling interval, a few samples
        seen.append(nfds())
    if want is not None:
        mxtest.wait_for(lambda: seen.append(nfds()) or seen[-1] <= want, 10)
    return min(seen)


def test_growth(tap):
    """10,000 mixed requests: RSS, descriptors and the spool stay put."""
    global rss1
    batch(2000)
    rss0, fds0 = mx.rss_kb(), settled_fds()
    batch(10000)
    rss1, fds1 = mx.rss_kb(), settled_fds(fds0)
    tap.ok(not errors, "10,000 mixed requests answered correctly", errors[:3])
    tap.diag("RSS after warm-up %d kB, after 10,000 more %d kB" % (rss0, rss1))
    tap.ok(rss1 - rss0 < 4096, "RSS growth over 10,000 requests under 4 MB (%+d kB)" % (rss1 - rss0))
    tap.eq(fds1, fds0, "no descriptor leaked")
    spool = [d for d in os.listdir(mx.dir) if d.startswith("mxscand.") and os.path.isdir(os.path.join(mx.dir, d))]
    left = os.listdir(os.path.join(mx.dir, spool[0])) if len(spool) == 1 else None
    # Nothing but the recycled scan directories (scand_scratch_recycle), empty.
    tap.ok(left is not None and len(left) <= int(mx.options["scand_threads"]) + 2
           and all(e.startswith(".spare-") and os.listdir(os.path.join(mx.dir, spool[0], e)) == []
                   for e in left),
           "spool directory left with at most scand_threads + 2 empty spares", left)


def test_reloads(tap):
    """20 reloads leave no old engine behind."""
    for i in range(20):
        g = int(mx.health()["engine_generation"])
        mx.request(b"zRELOAD\0")
        mxtest.wait_for(lambda: int(mx.health()["engine_generation"]) > g, 30)
        batch(50)
    rss2 = mx.rss_kb()
    tap.diag("RSS after 20 reloads %d kB" % rss2)
    tap.ok(rss2 - rss1 < 8192, "20 reloads leave no old engine behind (%+d kB)" % (rss2 - rss1))
    tap.ok("engine generation 20 released" in mx.logtext(), "old generations are released")
    mx.stop()
    mxtest.rmtree(work)


if __name__ == "__main__":
    mxtest.run(globals())
