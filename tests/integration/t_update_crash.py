#!/usr/bin/env python3
"""t_update_crash - kill -9 of mxscan-update at every stage.

A running mxscand serves a set installed by mxscan-update (a minisign-signed
site bundle over HTTPS with EICAR and test-string signatures).  For each
stage of mxscan-update(8) (lock check fetch verify unpack selftest install
swap notify prune) a new bundle version (one more test string) is
published, a run is started with MXSCAN_UPDATE_PAUSE_AT=<stage>, and once
it has stopped itself at the start of that stage it is killed with
SIGKILL.  Then:
  - current names a complete version directory (not a .tmp): either the
    previous set, byte for byte, or the whole new one;
  - the daemon still answers correctly for the set it reports in HEALTH;
  - the set current names loads: the daemon, sent RELOAD, serves it
    (except after a kill at notify, where that is the next run's job);
  - the next run succeeds (exit 0): current is the new set, the daemon
    serves it and detects the new test string, no versions/*.tmp and no
    lock are left.
Then a run is killed in the middle of a download (a bundle served at
64 KB/s): current is untouched and the next run resumes the download
with a range request and installs the set.  Last, a run is killed while
its self-test child loads a set of 200,000 signatures, the child frozen
first: the child must die with the updater (no orphan left), current is
untouched and the next run succeeds.
"""
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
import updtest  # noqa: E402
from mxtest import EICAR  # noqa: E402

updtest.need_updater()
updtest.need_tools("nginx", "openssl", "minisign")
tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global bundle, doc, key, markers, mx, ng, publish, root, site_ndb, up
    work = mxtest.tmpdir("tupdcrash")
    updtest.cleanup_dir(work)
    ca = updtest.CA(work)
    doc = os.path.join(work, "doc")
    os.makedirs(doc)
    ng = updtest.Nginx(work, doc, ca, extra_locations="location /slow/ { alias %s/; limit_rate 64k; }" % doc)
    key = updtest.Key(os.path.join(work, "keys"))
    root = os.path.join(work, "root")
    bundle = os.path.join(doc, "site.tar.gz")

    def markers(k):
        return [updtest.marker("crash-%d" % i) for i in range(k + 1)]

    def site_ndb(k):
        return ("".join(updtest.ndb_line("Mx-Crash-%d" % i, m) for i, m in enumerate(markers(k)))
                + updtest.EICAR_NDB).encode()

    def publish(k):
        updtest.make_bundle(bundle, {"site.ndb": site_ndb(k)})
        key.sign(bundle)

    publish(0)
    mx = updtest.start_daemon(work, root)
    up = updtest.Updater(work, root, {
        "update_databases": "", "update_bundles": ng.url("/m/site.tar.gz"),
        "update_trusted_keys": key.pub, "update_ca_file": ca.ca_cert, "update_retry_delay": "0",
        "update_keep_versions": "4", "update_reload_timeout": "60s",
        "scanner_endpoints": "unix:" + mx.socket})
    r = up.run()
    if not tap.eq(r.rc, 0, "first set installed and loaded"):
        tap.diag(r)
        raise mxtest.Stop("the later parts need it")


def set_of(path):
    """k of the site.ndb in directory PATH, or None if it is not one of ours, whole."""
    try:
        with open(os.path.join(path, "site.ndb"), "rb") as f:
            data = f.read()
    except OSError:
        return None
    for k in range(len(updtest.STAGES) + 5):
        if data == site_ndb(k):
            return k
    return None


def serves(k, why):
    """The daemon's verdicts are those of set K."""
    want = ["stream: Eicar-Test-Signature.UNOFFICIAL FOUND"]
    want += ["stream: Mx-Crash-%d.UNOFFICIAL FOUND" % i for i in range(k + 1)]
    want += ["stream: OK", "stream: OK"]
    probes = [EICAR] + markers(k) + [updtest.marker("crash-%d" % (k + 1)), b"clean part\n" * 30]
    got = [updtest.scan(mx, p) for p in probes]
    return tap.eq(got, want, why)


def reload_and_wait(want_dir):
    """RELOAD; true once the daemon has loaded a new generation from
    WANT_DIR and is idle (a load still running from before may finish
    first: that is waited out too)."""
    gen = int(mx.health().get("engine_generation") or 0)
    mx.request(b"zRELOAD\0")

    def loaded():
        h = mx.health()
        return (int(h.get("engine_generation") or 0) > gen and h.get("reload_state") == "idle"
                and os.path.realpath(h.get("database_path") or "/") == want_dir)
    return mxtest.wait_for(loaded, 60)


def test_stages(tap):
    """kill -9 at the start of every stage."""
    global k
    for k, stage in enumerate(updtest.STAGES, start=1):
        before = up.snapshot()
        old_dir = up.current_dir()
        publish(k)
        p = updtest.paused(tap, up, stage, "%s: the run stops itself at the pause point" % stage)
        if p is None:
            continue
        p.send_signal(signal.SIGKILL)
        r = updtest.finish(p, 30)
        tap.eq(r.rc, -signal.SIGKILL, "%s: run killed with SIGKILL at the start of the stage" % stage)

        cur = up.current()
        cdir = up.current_dir()
        kc = set_of(cdir)
        tap.ok(cur is not None and cur.startswith("versions/") and not cur.endswith(".tmp")
               and os.path.isdir(cdir) and (up.snapshot() == before or kc == k),
               "%s: current names a complete set (the previous one unchanged, or the whole new one)"
               % stage, "current=%r k=%r versions=%r" % (cur, kc, up.versions()))
        hp = os.path.realpath(mx.health().get("database_path") or "/")
        ks = set_of(hp)
        tap.ok(hp in (old_dir, cdir) and ks is not None,
               "%s: the daemon serves the previous or the current set" % stage, "HEALTH %s" % hp)
        if ks is not None:
            serves(ks, "%s: the daemon's answers are right for the set it serves" % stage)
        if stage != "notify":
            ok = reload_and_wait(cdir)
            tap.ok(ok, "%s: the set current names loads (RELOAD)" % stage, mx.health())

        r = up.run()
        tap.eq(r.rc, 0, "%s: the next run succeeds" % stage) or tap.diag(r)
        tap.eq(set_of(up.current_dir()), k, "%s: after it current is the new set" % stage)
        tap.eq(os.path.realpath(mx.health().get("database_path") or "/"), up.current_dir(),
               "%s: after it the daemon serves current" % stage)
        serves(k, "%s: the daemon detects the new test string" % stage)
        tap.eq([v for v in up.versions() if v.endswith(".tmp")], [], "%s: no versions/*.tmp left" % stage)


def test_mid_download(tap):
    global k
    # kill -9 in the middle of a download: the next run resumes it
    big = os.path.join(doc, "big.tar.gz")
    k = len(updtest.STAGES) + 1
    filler = b"".join(b"# %s\n" % os.urandom(48).hex().encode() for _ in range(3500))
    updtest.make_bundle(big, {"site.ndb": site_ndb(k) + filler})
    key.sign(big)
    size = os.path.getsize(big)
    tap.ok(size > 150000, "a bundle of %d bytes, served at 64 KB/s" % size)
    slow = {"update_bundles": ng.url("/slow/big.tar.gz")}
    before = up.snapshot()
    p = up.popen(overrides=slow)
    dl = os.path.join(root, ".download")

    def partial():
        try:
            return max(os.path.getsize(os.path.join(dl, n)) for n in os.listdir(dl)) > 32768
        except (OSError, ValueError):
            return False

    got = mxtest.wait_for(partial, 30)
    p.send_signal(signal.SIGKILL)
    r = updtest.finish(p, 30)
    tap.ok(got and r.rc == -signal.SIGKILL, "run killed with SIGKILL mid-download", r)
    tap.eq(up.snapshot(), before, "mid-download: current untouched")
    mark = ng.mark()
    r = up.run(overrides=slow)
    tap.eq(r.rc, 0, "mid-download: the next run succeeds") or tap.diag(r)
    reqs = [q for q in ng.requests_since(mark) if " /slow/big.tar.gz " in q]
    tap.ok(any('"bytes=' in q and " 206 " in q for q in reqs),
           "mid-download: the next run resumes the partial download (range request, 206)", "\n".join(reqs))
    serves(k, "mid-download: the daemon detects the new test string")


def test_selftest_child(tap):
    global k
    # kill -9 while the self-test child runs: the child must die with it.  The
    # child is frozen (SIGSTOP) once it reads the new set (so it is past its
    # own start-up), so only a SIGKILL sent on the parent's death can end it:
    # an orphan would stay behind, stopped.
    k += 1
    rnd = random.Random(k)
    many = "".join("%032x:%d:Mx-Hash-%d\n" % (rnd.getrandbits(128), 1000 + i, i) for i in range(200000))
    updtest.make_bundle(bundle, {"site.ndb": site_ndb(k), "many.hdb": many.encode()})
    key.sign(bundle)
    before = up.snapshot()
    child = None
    p = updtest.paused(tap, up, "selftest", "a run paused at selftest")
    if p is not None:
        p.send_signal(signal.SIGCONT)
        kids = "/proc/%d/task/%d/children" % (p.pid, p.pid)

        def reading_set(pid):
            """PID has a file of the new set open."""
            try:
                fds = os.listdir("/proc/%d/fd" % pid)
            except OSError:
                return False
            for fd in fds:
                try:
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)).endswith("many.hdb"):
                        return True
                except OSError:
                    pass
            return False

        end = time.time() + 30
        while child is None and time.time() < end and p.poll() is None:
            try:
                with open(kids) as f:
                    pids = [int(x) for x in f.read().split()]
                for c in pids:
                    if reading_set(c):
                        os.kill(c, signal.SIGSTOP)
                        child = c
            except (OSError, ValueError):
                pass
            time.sleep(0.001)  # probe interval while the child is loading
        p.send_signal(signal.SIGKILL)
        r = updtest.finish(p, 30)
        if child is None:
            tap.ok(True, "the self-test child dies with the killed updater # SKIP the self-test "
                   "ended before its child could be seen reading the set")
        else:
            gone = mxtest.wait_for(lambda: updtest.proc_state(child) in (None, "Z"), 10)
            tap.ok(gone, "the self-test child (frozen while loading) dies with the killed updater")
            if not gone:
                os.kill(child, signal.SIGKILL)
        tap.eq(up.snapshot(), before, "killed during the self-test: current untouched")
        r = up.run()
        tap.eq(r.rc, 0, "killed during the self-test: the next run succeeds") or tap.diag(r)
        serves(k, "killed during the self-test: the daemon detects the new test string")

    r = up.run(["--status"])
    tap.ok(r.rc == 0 and "locked: no" in r.out, "no lock left behind (--status)", r)
    mx.stop()


if __name__ == "__main__":
    mxtest.run(globals())
