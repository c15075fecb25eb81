#!/usr/bin/env python3
"""t_overrides - the libc overrides change no verdict, and their
start-up self-checks turn them off when they fail.

mxscand defines mkdir/rmdir (scratch.c: libclamav's per-scan directories
recycled, scand_scratch_recycle) and fopen64/fdopen (dbfile.c: signature
files read without stdio's stream locks, scand_db_unlocked_reads).  The
same corpus (clean data, EICAR, archives with and without EICAR, a file
with a signature from the .hdb and one from an extra .ndb, ClamAV's test
files, and MIME messages through MIMESCAN) is scanned, before and after a
RELOAD, by three daemons:

  on      the defaults: both self-checks pass (logged), spares are kept;
  off     both settings "no": no self-check, no warning, no spare;
  failed  both settings on, but MXSCAND_TEST_SELFCHECK_FAIL (a test hook
          read only at start-up) makes both self-checks see nothing: each
          logs a warning saying what it expected and what it saw, and
          turns its override off (no spare is kept).

Every reply must be the same in the three, and the expected one.  The
verdict cache is off, so every request reaches libclamav."""
import io
import os
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
from mxtest import EICAR, EICAR_SIG, instream_bytes  # noqa: E402

tap = mxtest.Tap()
MARKER = b"MXSCAN-OVERRIDES-TEST-MARKER-" + b"Q" * 24
MARKER_SIG = "Mxscan-Overrides-Marker.UNOFFICIAL"


def tar_gz(name, data):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


HARMLESS = b"This is a harmless text file; nothing in here is a virus.\r\n" * 40
# INSTREAM requests by name, and the reply each must get.
STREAMS = {
    "clean": os.urandom(4096),
    "eicar": EICAR,
    "eicar.zip": mimegen.zip_of("eicar.com", EICAR + b"\n" * 3000),
    "clean.zip": mimegen.zip_of("notes.txt", HARMLESS),
    "marker.tar.gz": tar_gz("deep/marker.txt", b"x" * 5000 + MARKER + b"y" * 5000),
}
WANT = {
    "clean": b"stream: OK\0",
    "eicar": b"stream: %s FOUND\0" % EICAR_SIG.encode(),
    "eicar.zip": b"stream: %s FOUND\0" % EICAR_SIG.encode(),
    "clean.zip": b"stream: OK\0",
    "marker.tar.gz": b"stream: %s FOUND\0" % MARKER_SIG.encode(),
}
# MIMESCAN requests by name, and the final line of each reply.
MESSAGES = {
    "mime eicar.zip": mimegen.plain(mimegen.zip_of("eicar.com", EICAR), "eicar.zip"),
    "mime clean.zip": mimegen.plain(mimegen.zip_of("notes.txt", HARMLESS), "notes.zip"),
    "mime nested eicar": mimegen.nested_rfc822(EICAR, "deep.com"),
    "mime uuencoded marker": mimegen.uuencode_in_text(MARKER, "uu.txt"),
}
MIME_FINAL = {
    "mime eicar.zip": "stream: %s FOUND" % EICAR_SIG,
    "mime clean.zip": "stream: OK",
    "mime nested eicar": "stream: %s FOUND" % EICAR_SIG,
    "mime uuencoded marker": "stream: %s FOUND" % MARKER_SIG,
}
# Files scanned by descriptor (FILDES): ClamAV's test files, where installed.
FILES = {}


@mxtest.setup
def start(tap):
    """The database (with the marker's signature) and the files."""
    global work, db
    work = mxtest.tmpdir("toverrides")
    db = mxtest.make_test_db(os.path.join(work, "db"),
                             extra_ndb=[("Mxscan-Overrides-Marker", MARKER.hex())])
    for name in ("eicar.zip", "clean.zip", "marker.tar.gz"):
        FILES["file " + name] = os.path.join(work, name)
        with open(FILES["file " + name], "wb") as f:
            f.write(STREAMS[name])
    if os.path.isdir(mxtest.TESTFILES):
        for name in sorted(os.listdir(mxtest.TESTFILES)):
            path = os.path.join(mxtest.TESTFILES, name)
            if os.path.isfile(path):
                FILES["testfile " + name] = path
    else:
        tap.diag("%s not installed: ClamAV's test files skipped" % mxtest.TESTFILES)


def spool_of(mx):
    found = [e for e in os.listdir(mx.dir)
             if e.startswith("mxscand.") and os.path.isdir(os.path.join(mx.dir, e))]
    return os.path.join(mx.dir, found[0]) if len(found) == 1 else None


def corpus(mx):
    """Every reply, by corpus name."""
    out = {}
    for name, data in STREAMS.items():
        out[name] = mx.request(b"zINSTREAM\0" + instream_bytes(data))
    for name, msg in MESSAGES.items():
        out[name] = mx.request(b"zMIMESCAN\0" + instream_bytes(msg))
    for name, path in FILES.items():
        # The reply names the descriptor, not the path: compare the verdict.
        out[name] = mxtest.fildes(mx.socket, path)
    return out


def reload(mx):
    gen = mx.health().get("engine_generation")
    ok = mx.request(b"zRELOAD\0") == b"RELOADING\0"
    h = mx.wait_health(lambda h: h.get("engine_generation") not in (None, gen)
                       and h.get("reload_state") == "idle")
    return ok and h is not None


RUNS = [
    ("on", {}, None),
    ("off", {"scand_scratch_recycle": "no", "scand_db_unlocked_reads": "no"}, None),
    ("failed", {}, dict(os.environ, MXSCAND_TEST_SELFCHECK_FAIL="scratch,dbfile")),
]
results = {}


def run_one(tap, label, options, env):
    opts = {"scand_cache_size": "0", "scand_threads": "4"}
    opts.update(options)
    mx = mxtest.Daemon(db, workdir=mxtest.tmpdir("toverrides-" + label), options=opts, env=env)
    spool = spool_of(mx)
    first = corpus(mx)
    spares = sorted(e for e in os.listdir(spool) if e.startswith(".spare-")) if spool else None
    tap.ok(reload(mx), "%s: RELOAD loads a second engine generation" % label)
    second = corpus(mx)
    tap.ok(first == second, "%s: the same replies after the reload" % label,
           {k: (first[k], second[k]) for k in first if first[k] != second[k]})
    results[label] = first
    log = mx.logtext()
    passed = ("scratch: libclamav's per-scan directories are recycled" in log,
              "dbfile: signature files are read without stdio's stream locks" in log)
    warned = ("warning: scratch: self-check: expected each of two scans" in log
              and "saw 0 mkdir (0 of mode 0700, 0 reused), 0 rmdir (0 kept)" in log,
              "warning: dbfile: self-check: expected libclamav to read" in log
              and "saw 0 streams opened while loading" in log)
    if label == "on":
        tap.eq(passed + warned, (True, True, False, False),
               "on: both self-checks pass and say so; no warning")
        tap.ok(spares is not None and len(spares) >= 1,
               "on: libclamav's directories are kept as spares in the spool", spares)
    elif label == "off":
        tap.eq(passed + warned, (False, False, False, False),
               "off: no self-check runs, no warning")
        tap.eq(spares, [], "off: no spare is kept")
        tap.ok("self-check" not in log, "off: the log never mentions a self-check", log[-2000:])
    else:
        tap.eq(passed + warned, (False, False, True, True),
               "failed: both self-checks warn with what they expected and saw; neither passes")
        tap.eq(spares, [], "failed: recycling is off, no spare is kept")
    tap.ok(mx.stop() == 0, "%s: mxscand stops cleanly" % label)


def test_on(tap):
    run_one(tap, *RUNS[0])


def test_off(tap):
    run_one(tap, *RUNS[1])


def test_failed(tap):
    run_one(tap, *RUNS[2])


def test_same_verdicts(tap):
    """The expected verdicts with the overrides on, and the same
    replies from the other two daemons."""
    if set(results) != {"on", "off", "failed"}:
        raise mxtest.Stop("a daemon's corpus is missing: %s" % sorted(results))
    on = results["on"]
    tap.ok(all(on[n] == WANT[n] for n in WANT), "on: the streams get the expected verdicts",
           {n: on[n] for n in WANT if on[n] != WANT[n]})
    tap.ok(all(on[n].rstrip(b"\0").decode().split("\n")[-1] == MIME_FINAL[n] for n in MIME_FINAL),
           "on: the MIME messages get the expected final lines",
           {n: on[n] for n in MIME_FINAL})
    tap.ok(all(on["file " + n].endswith(WANT[n][len(b"stream"):]) for n in ("eicar.zip", "clean.zip",
                                                                             "marker.tar.gz")),
           "on: the files get the expected verdicts by FILDES",
           {n: on[n] for n in on if n.startswith("file ")})
    testfiles = [n for n in on if n.startswith("testfile ")]
    found = [n for n in testfiles if on[n].endswith(b" FOUND\0")]
    if testfiles:
        tap.ok(len(found) >= len(testfiles) // 2,
               "on: ClamAV's test files are found (%d of %d)" % (len(found), len(testfiles)),
               {n: on[n] for n in testfiles if n not in found})
    for label in ("off", "failed"):
        diff = {n: (on[n], results[label][n]) for n in on if on[n] != results[label][n]}
        tap.ok(not diff, "%s: every reply (%d requests) is the same as with the overrides on"
               % (label, len(on)), diff)


mxtest.run(globals())
