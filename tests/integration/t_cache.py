#!/usr/bin/env python3
"""t_cache - the verdict cache (SHA-256 of the scanned bytes -> verdict).

A repeated object is answered from the cache (HEALTH counts the hit);
INSTREAM and FILDES share entries; the cache is bounded (least recently
used out); a swap to a database that adds a signature makes bytes that
were cached clean detect at once; a storm of one infected attachment is
scanned once; concurrent hits and inserts from many clients stay
consistent (the suite runs again under ASan); scand_cache_size = 0
turns it off.  MIMESCAN's flat pass over a message (libclamav's mail
parser off) leaves nothing in libclamav's own clean cache: a later
INSTREAM, FILDES or SCAN of the same bytes still runs the mail parser
and finds what only it finds."""
import base64
import os
import re
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

tap = mxtest.Tap()
MARK = b"MXSCAN-CACHE-TEST-MARKER-" + b"Q" * 30
FOUND = b"stream: %s FOUND\0" % mxtest.EICAR_SIG.encode()
doc = b"a clean document " * 100 + MARK


@mxtest.setup
def start(tap):
    global work, root, mx
    work = mxtest.tmpdir("tcache")
    root = os.path.join(work, "db")
    os.makedirs(os.path.join(root, "versions"))
    mxtest.make_test_db(os.path.join(root, "versions", "v1"))
    mxtest.make_test_db(os.path.join(root, "versions", "v2"),
                        extra_ndb=[("Mx-Cache-Marker", MARK.hex())])
    os.symlink("versions/v1", os.path.join(root, "current"))
    mx = mxtest.Daemon(root, options={"scand_cache_size": "100", "scand_db_check_interval": "0"})


def counts():
    h = mx.health()
    return int(h["cache_entries"]), int(h["cache_hits"]), int(h["cache_misses"])


def scan(data):
    return mx.request(b"zINSTREAM\0" + instream_bytes(data))


def test_hits(tap):
    tap.eq(counts(), (0, 0, 0), "empty at start")
    tap.eq(scan(doc), b"stream: OK\0", "clean under v1")
    tap.eq(counts(), (1, 0, 1), "first scan: a miss, one entry")
    tap.eq(scan(doc), b"stream: OK\0", "same bytes again: clean")
    tap.eq(counts(), (1, 1, 1), "second scan: answered from the cache")
    st = mx.request(b"zSTATS\0")
    tap.ok(b"\nCACHE: entries 1 hits 1 misses 1\nEND\0" in st, "STATS has a CACHE line before END", st)
    tap.ok("cache=hit" in mx.logtext(), "the log line says cache=hit")
    tap.eq(scan(EICAR), FOUND, "EICAR found")
    tap.eq(scan(EICAR), FOUND, "EICAR found again (cached infected verdict)")
    tap.eq(counts()[1], 2, "infected verdicts are cached too")


def test_fildes_shares(tap):
    """INSTREAM and FILDES share entries."""
    path = os.path.join(work, "doc.bin")
    with open(path, "wb") as f:
        f.write(doc)
    hits = counts()[1]
    tap.ok(mxtest.fildes(mx.socket, path).endswith(b": OK\0"), "FILDES of the same bytes: OK")
    tap.eq(counts()[1], hits + 1, "FILDES hit the entry INSTREAM made")


def test_swap(tap):
    """An engine swap: the cached clean verdict must not survive."""
    path = os.path.join(work, "doc.bin")
    os.symlink("versions/v2", os.path.join(root, "current.tmp"))
    os.rename(os.path.join(root, "current.tmp"), os.path.join(root, "current"))
    gen = int(mx.health()["engine_generation"])
    mx.request(b"zRELOAD\0")
    tap.ok(mxtest.wait_for(lambda: int(mx.health()["engine_generation"]) > gen, 30), "v2 loaded")
    tap.eq(counts()[0], 0, "the swap empties the cache")
    tap.eq(scan(doc), b"stream: Mx-Cache-Marker.UNOFFICIAL FOUND\0",
           "bytes cached clean under v1 are detected under v2")
    tap.ok(mxtest.fildes(mx.socket, path).endswith(b"Mx-Cache-Marker.UNOFFICIAL FOUND\0"),
           "also by FILDES (now a cache hit)")


def test_bounded(tap):
    """300 distinct objects leave at most 100 entries, newest kept."""
    for i in range(300):
        scan(b"distinct object %d\n" % i * 20)
    e, h, m = counts()
    tap.eq(e, 100, "bounded at scand_cache_size entries")
    h0 = counts()[1]
    scan(b"distinct object %d\n" % 299 * 20)
    scan(b"distinct object %d\n" % 0 * 20)
    tap.eq(counts()[1], h0 + 1, "the newest entry is kept, the oldest evicted")


def test_storm(tap):
    """1,000 copies of one infected attachment are scanned once."""
    storm = b"PK\3\4 storm attachment " + EICAR + b" " * 5000
    m0 = counts()[2]
    bad = []
    lock = threading.Lock()

    def storm_client(n):
        for i in range(n):
            r = scan(storm)
            if r != FOUND:
                with lock:
                    bad.append(r)

    ts = [threading.Thread(target=storm_client, args=(125,)) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    tap.ok(not bad, "1,000 storm copies all found", bad[:3])
    tap.ok(counts()[2] - m0 <= 8, "scanned at most once per concurrent first arrival (%d misses)"
           % (counts()[2] - m0))


def test_concurrent(tap):
    """Concurrent hits and inserts on an evicting cache stay consistent."""
    payloads = [(b"mix %d " % i * 50) + (EICAR if i % 2 else b"") for i in range(250)]
    bad = []
    lock = threading.Lock()

    def mixer(seed):
        for i in range(600):
            k = (i * 7 + seed * 13) % len(payloads)
            r = scan(payloads[k])
            want = FOUND if k % 2 else b"stream: OK\0"
            if r != want:
                with lock:
                    bad.append((k, r))

    ts = [threading.Thread(target=mixer, args=(j,)) for j in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    e, h, m = counts()
    tap.ok(not bad, "4,800 concurrent requests over 250 objects, cache of 100: every verdict right",
           bad[:3])
    tap.ok(e <= 100, "still bounded under concurrency (%d entries)" % e)
    tap.eq(int(mx.health()["requests"]), h + m + 0, "every request counted once as a hit or a miss")
    mx.stop()


# A message libclamav's mail parser finds, and nothing else: a logical
# signature restricted to files the mail parser extracted
# (Container:CL_TYPE_MAIL) on a base64 attachment.  MIMESCAN decodes the
# attachment itself and scans it as a file of its own, the lenient
# reading agrees, and the message is well formed, so its raw reading is
# the flat pass (mail parser off), which extracts nothing: MIMESCAN reads
# it clean (the limit of scand_mime_raw_reading = auto, mxscand(8)).
FLAT_MARK = b"flatcache-container-marker-xyz"
FLAT_SIG = "Mx-Flat-Container"


def flat_message(n):
    payload = base64.encodebytes(b"attachment %d " % n + FLAT_MARK + b" body")
    return (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: note %d\r\n"
            b"Message-ID: <flat%d@example.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\n"
            b"Content-Type: text/plain\r\n\r\nhello\r\n--BB\r\n"
            b"Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n%s--BB--\r\n"
            % (n, n, payload.replace(b"\n", b"\r\n")))


def test_engine_cache_flat(tap):
    """libclamav's clean cache keys on bytes, not on scan options: the flat
    pass must not leave a message in it for a full reading to meet."""
    dbdir = mxtest.make_test_db(os.path.join(work, "flatdb"))
    with open(os.path.join(dbdir, "flat.ldb"), "w") as f:
        f.write("%s;Engine:51-255,Container:CL_TYPE_MAIL,Target:0;0;%s\n" % (FLAT_SIG, FLAT_MARK.hex()))
    fl = mxtest.Daemon(dbdir, options={"scand_engine_cache": "yes"})
    found = b"%s.UNOFFICIAL FOUND\0" % FLAT_SIG.encode()

    def mimescan(msg):
        return fl.request(b"zMIMESCAN\0" + instream_bytes(msg), timeout=60.0)

    def by_path(msg, n):
        path = os.path.join(fl.dir, "flat%d.eml" % n)
        with open(path, "wb") as f:
            f.write(msg)
        return path

    clients = [
        ("INSTREAM", lambda m, n: fl.request(b"zINSTREAM\0" + instream_bytes(m), 60.0)),
        ("FILDES", lambda m, n: mxtest.fildes(fl.socket, by_path(m, n))),
        ("SCAN", lambda m, n: fl.request(b"zSCAN %s\0" % by_path(m, n).encode(), 60.0)),
    ]
    for n, (name, client) in enumerate(clients):
        msg = flat_message(n)    # distinct bytes: no verdict cache entry is shared
        r = mimescan(msg)
        # (the premise: if MIMESCAN ever finds this message itself, the
        # flat pass no longer decides it, and this needs a new message)
        tap.ok(r.endswith(b"\nstream: OK\0") and b"\nraw message/rfc822 - OK\n" in r,
               "MIMESCAN reads message %d clean, its raw reading clean" % n, r)
        r = client(msg, n)
        tap.ok(r.endswith(found), "%s of the same bytes after MIMESCAN: %s FOUND"
               % (name, FLAT_SIG), r)
    fl.stop()


def test_facts_log(tap):
    """PARTFACTS and MIMEFACTS answer bytes read before from the cache's
    facts entries, and their log lines say so (cache=miss, then
    cache=hit), as INSTREAM's and MIMESCAN's do."""
    fd = mxtest.Daemon(os.path.join(root, "versions", "v1"), options={"scand_cache_size": "100"})
    part = b"facts log part %d" % os.getpid()
    msg = (b"From: a@example.org\r\nSubject: facts log\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain\r\n\r\n" + part + b"\r\n")
    for cmd, data in ((b"PARTFACTS", part), (b"MIMEFACTS", msg)):
        name = cmd.decode()
        hits = int(fd.health()["cache_hits"])
        first = fd.request(b"z" + cmd + b"\0" + instream_bytes(data))
        second = fd.request(b"z" + cmd + b"\0" + instream_bytes(data))
        tap.ok(first == second and first.endswith(b"stream: OK\0"), "%s twice: the same reply" % name,
               (first, second))
        tap.ok(int(fd.health()["cache_hits"]) > hits, "%s: the second is answered from the cache" % name)
        logged = re.findall(r"cmd=%s .* cache=(\S+)" % name, fd.logtext())[-2:]
        tap.eq(logged, ["miss", "hit"], "%s: the log lines say cache=miss, then cache=hit" % name)
    fd.stop()


def test_off(tap):
    off = mxtest.Daemon(os.path.join(root, "versions", "v1"), options={"scand_cache_size": "0"})
    off.request(b"zINSTREAM\0" + instream_bytes(doc))
    off.request(b"zINSTREAM\0" + instream_bytes(doc))
    h = off.health()
    tap.eq((h["cache_entries"], h["cache_hits"], h["cache_misses"]), ("0", "0", "0"),
           "scand_cache_size = 0 disables the cache")
    off.stop()


if __name__ == "__main__":
    mxtest.run(globals())
