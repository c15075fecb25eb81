#!/usr/bin/env python3
"""t_update - mxscan-update against real parts: the signed ClamAV test
databases and a minisign-signed site bundle over HTTPS (private nginx with
a throwaway CA), installed into a running mxscand; rollback; the lock.

1. A daemon started on an empty database_root (not ready).  The mirror
   serves test.cvd version 3: the run checks the CVD header with a range
   request, fetches the CVD, installs versions/<id>, points current at it
   and the daemon (told by RELOAD) detects EICAR as Eicar-Test-Signature
   (the signed set's own name, no .UNOFFICIAL) and clam.exe.
2. Nothing new: a conditional range request only, status 0, nothing
   installed.  Mirror at version 4, then 6: each is installed and loaded
   (HEALTH database_version follows); a mirror that goes back to 5 is not
   installed.
3. A site bundle made here (an .ndb with a test string signature and its
   MANIFEST.sha256, tar.gz, signed with the minisign tool) is added: its
   test string is detected beside the CVD's EICAR.
4. A second bundle version adds a second test string; --rollback puts the
   previous set back, the daemon reloads it (database_path changes back)
   and the second test string is no longer detected; --rollback to an
   unknown id is a configuration error that changes nothing.
5. A run while another holds the lock exits 4 and contacts no mirror;
   the first run then completes.
6. A bundle republished with the same Last-Modified but a new ETag is
   installed.
7. Pruning keeps update_keep_versions versions.
8. --publish writes the set as a mirror; another host's root updates from
   it over file://.
The ClamAV part is skipped with a message when ../shared/testdata/clamav-cvd
is absent; the bundle part then carries EICAR itself.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
import updtest  # noqa: E402
from mxtest import EICAR  # noqa: E402

updtest.need_updater()
updtest.need_tools("nginx", "openssl", "minisign")
tap = mxtest.Tap()
HAVE_CVD = updtest.need_cvd()
if not HAVE_CVD:
    tap.ok(True, "signed ClamAV test databases 3 -> 4 -> 6 # SKIP %s is absent (a fresh clone "
           "has no ../shared); the bundle part runs alone" % updtest.CVD_DIR)


@mxtest.setup
def start(tap):
    global CVD_EICAR, doc, key, mx, ng, root, up, work
    work = mxtest.tmpdir("tupdate")
    updtest.cleanup_dir(work)
    ca = updtest.CA(work)
    doc = os.path.join(work, "doc")
    os.makedirs(os.path.join(doc, "clamav"))
    os.makedirs(os.path.join(doc, "site"))
    ng = updtest.Nginx(work, doc, ca)
    key = updtest.Key(os.path.join(work, "keys"))
    root = os.path.join(work, "root")
    os.makedirs(root)

    CVD_EICAR = "stream: Eicar-Test-Signature FOUND"
    if HAVE_CVD:
        updtest.make_cvd_mirror(os.path.join(doc, "clamav"), 3)

    mx = updtest.start_daemon(work, root)

    up = updtest.Updater(work, root, {
        "update_mirrors": ng.url("/m/clamav"),
        "update_databases": "test" if HAVE_CVD else "",
        "update_bundles": "",
        "update_trusted_keys": key.pub,
        "update_ca_file": ca.ca_cert,
        "update_retry_delay": "0",
        "update_keep_versions": "3",
        "update_reload_timeout": "60s",
        "scanner_endpoints": "unix:" + mx.socket,
    })


def vdir(link):
    return os.path.realpath(os.path.join(root, link)) if link else None


def health_path():
    return os.path.realpath(mx.health().get("database_path") or "/nonexistent")


def status():
    r = up.run(["--status"])
    out = {}
    for line in r.out.splitlines():
        k, _, v = line.partition(":")
        out.setdefault(k.strip(), []).append(v.strip())
    return r, out


def scan_clean():
    return updtest.scan(mx, b"An ordinary clean mail part.\n" * 40)


def test_cvd(tap):
    """1-2: the signed ClamAV test databases 3 -> 4 -> 6, and a mirror gone back to 5."""
    global h, n
    step = "first"
    if HAVE_CVD:
        # 1. first install from an empty root, into a daemon that had nothing
        mark = ng.mark()
        r = up.run()
        tap.eq(r.rc, 0, "version 3 installed from an empty root and loaded (exit 0)") or tap.diag(r)
        cur = up.current()
        tap.ok(cur is not None and cur.startswith("versions/") and not cur.endswith(".tmp")
               and os.path.isfile(os.path.join(root, cur, "test.cvd")),
               "current -> versions/<id> holding test.cvd", "current=%r versions=%r" % (cur, up.versions()))
        with open(os.path.join(root, "current", "test.cvd"), "rb") as f, open(updtest.cvd(3), "rb") as g:
            tap.ok(f.read() == g.read(), "the installed test.cvd is the mirror's version 3")
        reqs = ng.requests_since(mark)
        tap.ok(any(" GET /m/clamav/test.cvd 206 " in q and '"bytes=0-511"' in q for q in reqs),
               "the CVD header is checked with a range request for bytes 0-511", "\n".join(reqs))
        tap.ok(any(" GET /m/clamav/test.cvd 200 9483 " in q for q in reqs),
               "the whole CVD is fetched once", "\n".join(reqs))
        tap.ok(all('"mxscan-update/' in q for q in reqs) and reqs,
               "requests carry the mxscan-update User-Agent", "\n".join(reqs))
        ok = mxtest.wait_for(lambda: mx.health().get("status") == "ready", 30)
        h = mx.health()
        tap.ok(ok and health_path() == vdir(cur),
               "the daemon loaded the new version (HEALTH database_path)", h)
        sigs = {3: int(h.get("signatures") or 0)}
        tap.eq(updtest.scan(mx, EICAR), CVD_EICAR, "EICAR detected through the signed set")
        exe = os.path.join(mxtest.TESTFILES, "clam.exe")
        if os.path.exists(exe):
            with open(exe, "rb") as f:
                tap.eq(updtest.scan(mx, f.read()), "stream: Clamav.Test.File-6 FOUND",
                       "clam.exe detected through the signed set")
        tap.eq(scan_clean(), "stream: OK", "clean data is clean")
        r, st = status()
        tap.ok(r.rc == 0 and st.get("current") == [os.path.basename(cur)]
               and "test 3" in st.get("database", []),
               "--status names the current version and database test 3", r)

        # 2. nothing new: conditional check only
        mark = ng.mark()
        before = up.snapshot()
        r = up.run()
        reqs = ng.requests_since(mark)
        tap.eq(r.rc, 0, "nothing new: exit 0") or tap.diag(r)
        tap.eq(up.snapshot(), before, "nothing new: current unchanged")
        tap.ok(reqs and not any(" 200 " in q.split('"')[0] for q in reqs)
               and all(('"bytes=0-511"' in q) or (" 304 " in q) for q in reqs),
               "nothing new: only the header (or a 304) was fetched", "\n".join(reqs))
        tap.ok(any(q.split('"')[3] != "-" or q.split('"')[5] != "-" for q in reqs),
               "nothing new: the check is conditional (If-Modified-Since / If-None-Match)",
               "\n".join(reqs))

        for n in (4, 6):
            updtest.make_cvd_mirror(os.path.join(doc, "clamav"), n)
            old = up.current()
            mark = ng.mark()
            r = up.run()
            reqs = ng.requests_since(mark)
            cur = up.current()
            tap.eq(r.rc, 0, "mirror at version %d: exit 0" % n) or tap.diag(r)
            tap.ok(cur != old and os.path.exists(os.path.join(root, old)),
                   "version %d installed as a new directory, the previous kept" % n,
                   "old=%r new=%r" % (old, cur))
            h = mx.health()
            sigs[n] = int(h.get("signatures") or 0)
            with open(os.path.join(root, cur, "test.cvd"), "rb") as f, open(updtest.cvd(n), "rb") as g:
                tap.ok(f.read() == g.read(), "the new directory holds the mirror's version %d" % n)
            tap.ok(health_path() == vdir(cur) and sigs[n] > max(v for k, v in sigs.items() if k < n),
                   "the daemon serves version %d from the new directory (more signatures)" % n, h)
            r, st = status()
            tap.ok("test %d" % n in st.get("database", []), "--status says database test %d" % n, r)
            tap.eq(updtest.scan(mx, EICAR), CVD_EICAR, "EICAR detected through version %d" % n)
            tap.ok(not any(".cdiff" in q for q in reqs),
                   "version %d: whole CVD fetched (the updater documents no CDIFF use)" % n,
                   "\n".join(reqs))

        # a mirror that went back in time
        updtest.make_cvd_mirror(os.path.join(doc, "clamav"), 5)
        before = up.snapshot()
        r = up.run()
        tap.eq(r.rc, 0, "mirror back at version 5: exit 0 (nothing to do)") or tap.diag(r)
        tap.eq(up.snapshot(), before, "an older remote version is not installed")
        tap.eq((health_path(), int(mx.health().get("signatures"))), (vdir(before[0]), sigs[6]),
               "the daemon still serves version 6")
        updtest.make_cvd_mirror(os.path.join(doc, "clamav"), 6)


def test_bundle(tap):
    global A, B, bundle, publish_bundle, with_a
    # 3. a site bundle made here with the minisign tool
    A, B = updtest.marker("bundle-A"), updtest.marker("bundle-B")
    bundle = os.path.join(doc, "site", "site.tar.gz")

    def publish_bundle(markers):
        files = {"site.ndb": "".join(updtest.ndb_line("Mx-Site-%d" % i, m)
                                     for i, m in enumerate(markers)).encode()}
        if not HAVE_CVD:
            files["eicar.ndb"] = updtest.EICAR_NDB.encode()
        updtest.make_bundle(bundle, files)
        key.sign(bundle)

    publish_bundle([A])
    up.options["update_bundles"] = ng.url("/m/site/site.tar.gz")
    up.write_conf()
    old = up.current()
    r = up.run()
    tap.eq(r.rc, 0, "signed bundle installed: exit 0") or tap.diag(r)
    with_a = up.current()
    tap.ok(with_a is not None and with_a != old
           and os.path.isfile(os.path.join(root, with_a, "site.ndb"))
           and (not HAVE_CVD or os.path.isfile(os.path.join(root, with_a, "test.cvd"))),
           "the new version holds the bundle's site.ndb%s" % (" beside test.cvd" if HAVE_CVD else ""),
           "current=%r" % with_a)
    tap.eq(health_path(), vdir(with_a), "the daemon loaded the bundle's version")
    tap.eq(updtest.scan(mx, b"header " + A + b" trailer"), "stream: Mx-Site-0.UNOFFICIAL FOUND",
           "the bundle's signature detects its test string")
    tap.eq(updtest.scan(mx, EICAR), CVD_EICAR if HAVE_CVD else "stream: Eicar-Test-Signature.UNOFFICIAL FOUND",
           "EICAR still detected")
    tap.eq(updtest.scan(mx, B), "stream: OK", "the second test string is not detected yet")
    if HAVE_CVD:
        with open(os.path.join(root, with_a, "test.cvd"), "rb") as f, open(updtest.cvd(6), "rb") as g:
            tap.ok(f.read() == g.read(), "the CVD stays at version 6 beside the bundle")


def test_rollback(tap):
    # 4. a newer bundle, then --rollback
    publish_bundle([A, B])
    r = up.run()
    tap.eq(r.rc, 0, "second bundle version installed: exit 0") or tap.diag(r)
    with_b = up.current()
    tap.ok(with_b != with_a, "a new version directory for the second bundle", with_b)
    tap.eq(updtest.scan(mx, B), "stream: Mx-Site-1.UNOFFICIAL FOUND", "the second test string is detected")
    gen = mx.health().get("engine_generation")
    r = up.run(["--rollback"])
    tap.eq(r.rc, 0, "--rollback: exit 0") or tap.diag(r)
    tap.eq(up.current(), with_a, "--rollback points current at the previous version")
    tap.eq(health_path(), vdir(with_a), "the daemon reloaded the previous version (HEALTH database_path)")
    tap.ok(mx.health().get("engine_generation") != gen, "a new engine generation after the rollback")
    tap.eq(updtest.scan(mx, B), "stream: OK", "after --rollback the newer set's test string is not detected")
    tap.eq(updtest.scan(mx, A), "stream: Mx-Site-0.UNOFFICIAL FOUND", "the older set's test string still is")
    before = up.snapshot()
    r = up.run(["--rollback", "19990101T000000Z"])
    tap.eq(r.rc, 3, "--rollback to an unknown version: exit 3") or tap.diag(r)
    tap.eq(up.snapshot(), before, "--rollback to an unknown version changes nothing")
    r = up.run(["--rollback", os.path.basename(with_b)])
    tap.eq((r.rc, up.current(), health_path()), (0, with_b, vdir(with_b)),
           "--rollback <id> goes forward again to the newer version, loaded by the daemon")
    tap.eq(updtest.scan(mx, B), "stream: Mx-Site-1.UNOFFICIAL FOUND", "the newer test string is detected again")


def test_lock(tap):
    # 5. the lock: a second run while the first holds it
    publish_bundle([A, B, updtest.marker("bundle-C")])
    first = updtest.paused(tap, up, "fetch", "a run paused at fetch (MXSCAN_UPDATE_PAUSE_AT)")
    if first is not None:
        before = up.snapshot()
        mark = ng.mark()
        r = up.run(timeout=30)
        tap.eq(r.rc, 4, "a second run while the first holds the lock: exit 4") or tap.diag(r)
        tap.eq(ng.requests_since(mark), [], "the locked-out run contacted no mirror")
        tap.eq(up.snapshot(), before, "the locked-out run changed nothing")
        r, st = status()
        tap.eq(st.get("locked"), ["yes"], "--status says locked: yes while a run holds the lock")
        first.send_signal(signal.SIGCONT)
        r = updtest.finish(first)
        tap.eq(r.rc, 0, "the first run, continued, completes: exit 0") or tap.diag(r)
        tap.eq(updtest.scan(mx, updtest.marker("bundle-C")), "stream: Mx-Site-2.UNOFFICIAL FOUND",
               "its set is loaded")


def test_same_second(tap):
    # 6. a bundle republished with the same Last-Modified (same second) but a
    # new body and ETag is a change: the validators must not hide it.
    t = int(os.stat(bundle).st_mtime)  # the Last-Modified the last run saw
    publish_bundle([A, B, updtest.marker("bundle-C"), updtest.marker("bundle-D")])
    updtest.stamp(bundle, bundle + ".minisig", mtime=t)
    r = up.run()
    tap.eq(r.rc, 0, "same Last-Modified, new ETag: exit 0") or tap.diag(r)
    tap.eq(updtest.scan(mx, updtest.marker("bundle-D")), "stream: Mx-Site-3.UNOFFICIAL FOUND",
           "a bundle changed within the same second (same Last-Modified, new ETag) is installed")


def test_pruning(tap):
    # 7. pruning
    vers = [v for v in up.versions() if not v.endswith(".tmp")]
    made = 7 if HAVE_CVD else 4  # versions installed by this test
    tap.ok(len(vers) == min(3, made) and os.path.basename(up.current()) in vers,
           "update_keep_versions (3) versions kept of the %d installed, current among them" % made, vers)
    tap.ok(not any(v.endswith(".tmp") for v in up.versions()), "no versions/*.tmp left", up.versions())


def test_publish(tap):
    # 8. --publish: this host's set as a private mirror for another host
    pub = os.path.join(work, "pub")
    r = up.run(["--publish", pub])
    tap.eq(r.rc, 0, "--publish: exit 0") or tap.diag(r)
    want = {"site.tar.gz", "site.tar.gz.minisig"} | ({"test.cvd"} if HAVE_CVD else set())
    tap.ok(want <= set(os.listdir(pub)) if os.path.isdir(pub) else False,
           "--publish writes %s" % " ".join(sorted(want)), os.listdir(pub) if os.path.isdir(pub) else None)
    up2 = updtest.Updater(work, os.path.join(work, "root2"), {
        "update_mirrors": "file://" + pub, "update_databases": up.options["update_databases"],
        "update_bundles": "file://%s/site.tar.gz" % pub, "update_trusted_keys": key.pub,
        "scanner_endpoints": "unix:" + os.path.join(work, "nobody.sock")}, name="host2.conf")
    r = up2.run()
    tap.eq(r.rc, 10, "another host updates from the published file:// mirror (exit 10: no daemon there)") \
        or tap.diag(r)
    s1, s2 = up.snapshot()[1], up2.snapshot()[1]
    tap.ok(s2 and all(s1.get(n) == h for n, h in s2.items() if not n.startswith(".")),
           "its set has the same signature files", "%r\n%r" % (s1, s2))

    mx.stop()


if __name__ == "__main__":
    mxtest.run(globals())
