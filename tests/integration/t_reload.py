#!/usr/bin/env python3
"""t_reload - database swaps under load lose no scan.

mxscand runs on database_root/current while three clients scan without
pause.  Twenty swaps of `current` alternate between a valid new version
(one more signature, detected right after the swap) and a broken one
(malformed signature file, or a set that fails the EICAR self-test); the
swaps are announced by RELOAD, by SIGHUP, or not at all (the daemon sees
the change itself).  Every scan issued during the whole run must get its
correct verdict; HEALTH must show the generation advance on each valid
swap only, and a failed load as reload_state/reload_last_error while the
previous engine keeps serving."""
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global root, work
    work = mxtest.tmpdir("treload")
    root = os.path.join(work, "db")
    os.makedirs(os.path.join(root, "versions"))


def marker(i):
    return b"MXSCAN-RELOAD-TEST-MARKER-%04d-" % i + b"Z" * 24


def make_version(i, kind):
    d = os.path.join(root, "versions", "v%02d" % i)
    if kind == "valid":
        mxtest.make_test_db(d, extra_ndb=[("Mx-Reload-Marker-%d" % i, marker(i).hex())])
    elif kind == "malformed":
        mxtest.make_test_db(d)
        with open(os.path.join(d, "broken.ndb"), "w") as f:
            f.write("this line is not a signature\n")
    elif kind == "no-eicar":
        os.makedirs(d)
        with open(os.path.join(d, "only.hdb"), "w") as f:
            f.write("%s:544:ClamAV-Test-File\n" % mxtest.CLAM_EXE_MD5)
    return d


def swap(i):
    tmp = os.path.join(root, "current.tmp")
    os.symlink(os.path.join("versions", "v%02d" % i), tmp)
    os.rename(tmp, os.path.join(root, "current"))


@mxtest.setup
def start_daemon(tap):
    global mx
    make_version(0, "valid")
    swap(0)
    mx = mxtest.Daemon(root, options={"scand_db_check_interval": "300ms", "scand_reload_retry_min": "200ms",
                                      "scand_reload_retry_max": "1s", "scand_threads": "4"})
    h = mx.health()
    tap.eq((h.get("engine_generation"), h.get("reload_state")), ("1", "idle"), "first generation loaded")


stop = threading.Event()
results = {"scans": 0, "bad": []}
lock = threading.Lock()


def load(n):
    clean = b"clean content %d\n" % n * 500
    while not stop.is_set():
        for data, want in ((EICAR + b"tail", b"stream: %s FOUND\0" % mxtest.EICAR_SIG.encode()),
                           (clean, b"stream: OK\0")):
            try:
                got = mx.request(b"zINSTREAM\0" + instream_bytes(data), timeout=30)
            except OSError as e:
                got = repr(e).encode()
            with lock:
                results["scans"] += 1
                if got != want:
                    results["bad"].append(got)


def test_swaps(tap):
    """Twenty swaps under load, each seen in HEALTH and in the verdicts."""
    global threads
    threads = [threading.Thread(target=load, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()

    def wait_health(pred, timeout=60):
        return mx.wait_health(pred, timeout) or mx.health()

    triggers = ["RELOAD", "SIGHUP", "auto"]
    gen = 1
    prev_failures_seen = 0
    for i in range(1, 21):
        kind = "valid" if i % 2 else ("malformed" if i % 4 == 2 else "no-eicar")
        trig = triggers[i % 3]
        make_version(i, kind)
        swap(i)
        if trig == "RELOAD":
            tap.eq(mx.request(b"zRELOAD\0"), b"RELOADING\0", "swap %d: RELOAD answers RELOADING" % i)
        elif trig == "SIGHUP":
            mx.proc.send_signal(signal.SIGHUP)
        if kind == "valid":
            # A retry of the previous failed load may take up the new set just
            # before the RELOAD, which then loads it once more: the generation
            # advances by one or two, and HEALTH says "loading" until both ran.
            h = wait_health(lambda h: int(h.get("engine_generation", 0)) > gen
                            and h.get("reload_state") == "idle")
            new = int(h.get("engine_generation", 0))
            tap.ok(gen < new <= gen + 2 and h.get("reload_state") == "idle"
                   and h.get("reload_last_error") == "",
                   "swap %d (valid, %s): generation %d -> %d, state idle, no error" % (i, trig, gen, new), h)
            gen = new
            r = mx.request(b"zINSTREAM\0" + instream_bytes(marker(i)))
            tap.eq(r, b"stream: Mx-Reload-Marker-%d.UNOFFICIAL FOUND\0" % i,
                   "swap %d: the new signature is live" % i)
        else:
            vdir = "v%02d" % i
            h = wait_health(lambda h: h.get("reload_state") == "failed" and vdir in h.get("reload_last_error", ""))
            tap.ok(h.get("reload_state") == "failed" and vdir in h.get("reload_last_error", "")
                   and h.get("engine_generation") == str(gen),
                   "swap %d (%s, %s): load fails, generation stays %d, error reported" % (i, kind, trig, gen), h)
            if kind == "no-eicar":
                tap.ok("EICAR" in h.get("reload_last_error", "") or "self" in h.get("reload_last_error", ""),
                       "swap %d: the self-test failure is named" % i, h)
            r = mx.request(b"zINSTREAM\0" + instream_bytes(marker(i - 1)))
            tap.eq(r, b"stream: Mx-Reload-Marker-%d.UNOFFICIAL FOUND\0" % (i - 1),
                   "swap %d: the previous engine keeps serving" % i)


def test_no_scan_lost(tap):
    """Every scan issued during the swaps got its verdict."""
    stop.set()
    for t in threads:
        t.join()
    tap.ok(results["scans"] > 100, "load ran during every swap (%d scans)" % results["scans"])
    tap.ok(not results["bad"], "no scan failed or got a wrong verdict during 20 swaps",
           results["bad"][:5])
    log = mx.logtext()
    tap.ok("database load failed, keeping the previous engine" in log, "failed loads are logged")
    tap.ok("next load attempt in" in log, "a failed load is retried with backoff")

    # Retries back off: after a failure with nobody asking, attempts are spaced
    # by at least the doubling delay (200ms, 400ms, 800ms, 1s...).
    mx.stop()
    if tap.failed:
        tap.diag("\n".join(l for l in log.splitlines() if "verdict=" not in l and "load" not in l)[-4000:])
    mxtest.rmtree(work)


if __name__ == "__main__":
    mxtest.run(globals())
