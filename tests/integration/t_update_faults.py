#!/usr/bin/env python3
"""t_update_faults - every way an update can go wrong leaves `current` and
the running daemon's answers untouched, and exits with the documented
status (mxscan-update(8) EXIT STATUS).

A baseline set (the signed ClamAV test database version 3 when
../shared/testdata/clamav-cvd exists, plus a minisign-signed site bundle
with a test string signature) is installed and loaded by mxscand.  Then,
one at a time, the mirror or the bundle URL is pointed at a fault:
  verify (7): a CVD with one flipped byte, a CVD cut short on the mirror,
     a bundle signed by another key, a bundle changed after signing, a
     manifest that does not match;
  unpack (8): archive entries with '..', an absolute path, a symbolic
     link, a hard link, a subdirectory; a decompression bomb (more than
     update_max_unpacked); more than update_max_entries entries;
  selftest (9): a set that loads but misses EICAR, a set that does not
     compile (malformed .ndb line), a set that flags clean mail, a set
     that lost most signatures (accepted by --dry-run --force, which
     installs nothing);
  fetch (6): 404, 500 (retried update_retries times), a transfer cut
     short, a server that stalls mid-body, one that never answers, the
     size cap, a server certificate from an untrusted CA;
  fetch (6) also: redirects from https to http or to file://; a partial
     download is never spliced into the next file of the same name;
  cool-down (5): a 429 with Retry-After (for a bundle origin, and for the
     CVD mirror) and a 403; the next run does not contact that origin at
     all (nginx's access log); --status lists it, for Retry-After seconds
     after a 429 and update_cooldown after a 403;
  notify (10, 11), on a root of its own with a stand-in daemon: no daemon
     (installed, exit 10); a daemon that never reports the new set, or
     reports it failed: exit 11, the previous set put back as current, the
     rejected version removed, RELOAD sent for both;
  disk (13): database_root on a full tmpfs (with its own daemon);
  lock (4): another process holds database_root/.lock.
After each: the current link and every byte of the set it names are as
before, the daemon's HEALTH (database_path, engine_generation) and its
verdicts on EICAR, the site test string and a clean buffer are as before,
no versions/*.tmp is left behind, and nothing was written outside.
"""
import fcntl
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
import updtest  # noqa: E402
from updtest import tarinfo  # noqa: E402

updtest.need_updater()
updtest.need_tools("nginx", "openssl", "minisign")
tap = mxtest.Tap()
HAVE_CVD = updtest.need_cvd()
if not HAVE_CVD:
    tap.ok(True, "faults of signed ClamAV CVDs # SKIP %s is absent (a fresh clone has no ../shared)"
           % updtest.CVD_DIR)


@mxtest.setup
def start(tap):
    global A, GOOD_BUNDLE, PROBES, SITE_NDB, base, bundle, bundle_dir, ca, doc, key, mx, ng, other
    global root, up, work
    work = mxtest.tmpdir("tupdfault")
    updtest.cleanup_dir(work)
    ca = updtest.CA(work)
    doc = os.path.join(work, "doc")
    os.makedirs(doc)
    ng = updtest.Nginx(work, doc, ca)
    key = updtest.Key(os.path.join(work, "keys"))
    other = updtest.Key(os.path.join(work, "keys"), "other")
    root = os.path.join(work, "root")

    A = updtest.marker("site-A")
    SITE_NDB = (updtest.ndb_line("Mx-Site-A", A) + updtest.EICAR_NDB).encode()

    def bundle_dir(name):
        d = os.path.join(doc, name)
        os.makedirs(d, exist_ok=True)
        return d

    def bundle(name, files=None, manifest=True, members=(), signer=None):
        """Publish doc/NAME/site.tar.gz (signed by SIGNER, default the trusted
        key); returns its URL."""
        path = os.path.join(bundle_dir(name), "site.tar.gz")
        updtest.make_bundle(path, {"site.ndb": SITE_NDB} if files is None else files,
                            manifest=manifest, members=members)
        (signer or key).sign(path)
        return ng.url("/m/%s/site.tar.gz" % name)

    GOOD_BUNDLE = bundle("good")
    if HAVE_CVD:
        updtest.make_cvd_mirror(bundle_dir("clamav"), 3)

    mx = updtest.start_daemon(work, root)
    up = updtest.Updater(work, root, {
        "update_mirrors": ng.url("/m/clamav"),
        "update_databases": "test" if HAVE_CVD else "",
        "update_bundles": GOOD_BUNDLE,
        "update_trusted_keys": key.pub,
        "update_ca_file": ca.ca_cert,
        "update_retries": "1",
        "update_retry_delay": "0",
        "update_reload_timeout": "60s",
        "scanner_endpoints": "unix:" + mx.socket,
    })
    r = up.run()
    if not tap.eq(r.rc, 0, "baseline set installed and loaded"):
        tap.diag(r)
        raise mxtest.Stop("the later parts need it")
    # EICAR is in the bundle and (with the CVD) in test.cvd: either name may win
    EICAR_V = ("stream: Eicar-Test-Signature.UNOFFICIAL FOUND", "stream: Eicar-Test-Signature FOUND")
    PROBES = (mxtest.EICAR, b"x" + A + b"y", b"A clean mail part.\n" * 50)
    base = updtest.verdicts(mx, PROBES)
    tap.ok(base[2][0] in EICAR_V and base[2][1:] == ("stream: Mx-Site-A.UNOFFICIAL FOUND", "stream: OK"),
           "baseline verdicts: EICAR, the site test string, clean", base)


def tmp_left():
    return [v for v in up.versions() if v.endswith(".tmp")]


def clear_partials():
    """Forget partial downloads, so each case stands alone (resuming is
    tested on its own below)."""
    shutil.rmtree(os.path.join(root, ".download"), ignore_errors=True)


def expect(name, want, overrides=None, args=(), outside=()):
    """One failing run: exit WANT, nothing changed."""
    clear_partials()
    before = up.snapshot()
    r = up.run(args, overrides=overrides, timeout=120)
    if isinstance(want, tuple):
        ok = tap.ok(r.rc in want, "%s: exit %s" % (name, " or ".join(map(str, want))), r)
    else:
        ok = tap.eq(r.rc, want, "%s: exit %d" % (name, want))
        if not ok:
            tap.diag(r)
    after = up.snapshot()
    got = updtest.verdicts(mx, PROBES)
    tap.ok(after == before and got == base,
           "%s: current and the daemon's answers untouched" % name,
           "current %r -> %r\nverdicts %r -> %r" % (before[0], after[0], base, got))
    tap.eq(tmp_left(), [], "%s: no versions/*.tmp left" % name)
    for p in outside:
        tap.ok(not os.path.lexists(p), "%s: nothing written at %s" % (name, p))
    return r


def test_verify(tap):
    """Verify (7)."""
    if HAVE_CVD:
        d = updtest.make_cvd_mirror(bundle_dir("flip"), 4)
        updtest.flip_byte(os.path.join(d, "test.cvd"), 512 + 3000)
        expect("CVD with one flipped byte", 7, {"update_mirrors": ng.url("/m/flip")})
        d = updtest.make_cvd_mirror(bundle_dir("fliphead"), 4)
        updtest.flip_byte(os.path.join(d, "test.cvd"), 120)  # inside the header's RSA dsig
        expect("CVD with one flipped byte in its header signature", 7,
               {"update_mirrors": ng.url("/m/fliphead")})
        d = updtest.make_cvd_mirror(bundle_dir("short"), 4)
        updtest.truncate(os.path.join(d, "test.cvd"), 6000)
        expect("CVD cut short on the mirror", 7, {"update_mirrors": ng.url("/m/short")})

    expect("bundle signed by another key", 7, {"update_bundles": bundle("otherkey", signer=other)})
    url = bundle("tampered")
    updtest.flip_byte(os.path.join(doc, "tampered", "site.tar.gz"), 40)
    expect("bundle changed after signing", 7, {"update_bundles": url})
    url = bundle("nosig")
    os.unlink(os.path.join(doc, "nosig", "site.tar.gz.minisig"))
    expect("bundle without its .minisig", (6, 7), {"update_bundles": url})
    expect("manifest that does not match a file", 7, {"update_bundles": bundle(
        "badmanifest", manifest=updtest.manifest_text({"site.ndb": SITE_NDB + b"# changed\n"}).encode())})
    expect("manifest missing a file", 7, {"update_bundles": bundle(
        "shortmanifest", files={"site.ndb": SITE_NDB, "extra.ndb": b"# nothing\n"},
        manifest=updtest.manifest_text({"site.ndb": SITE_NDB}).encode())})


def test_unpack(tap):
    """Unpack (8)."""
    EVIL = updtest.ndb_line("Mx-Evil", updtest.marker("evil")).encode()

    def hostile(name, ti, data=EVIL, listed=None):
        """A bundle with the good site.ndb, a manifest that lists the hostile
        entry too (so only the unpack rules can refuse it), and the entry."""
        files = {"site.ndb": SITE_NDB}
        man = dict(files)
        man[listed or ti.name] = data or b""
        return bundle(name, files=files, manifest=updtest.manifest_text(man).encode(),
                      members=[(ti, data)])

    outside_rel = os.path.join(root, "versions", "evil.ndb")
    expect("entry named ../evil.ndb", 8,
           {"update_bundles": hostile("dotdot", tarinfo("../evil.ndb", size=len(EVIL)))},
           outside=[outside_rel, os.path.join(root, "evil.ndb")])
    expect("entry named ../../evil.ndb", 8,
           {"update_bundles": hostile("dotdot2", tarinfo("../../evil.ndb", size=len(EVIL)))},
           outside=[os.path.join(root, "evil.ndb"), os.path.join(work, "evil.ndb")])
    abs_target = os.path.join(work, "abs-evil.ndb")
    expect("entry with an absolute path", 8,
           {"update_bundles": hostile("absolute", tarinfo(abs_target, size=len(EVIL)))},
           outside=[abs_target])
    expect("symbolic link entry", 8,
           {"update_bundles": hostile("symlink", tarinfo("link.ndb", "symlink", linkname="/etc/passwd"),
                                      data=None)})
    link_target = os.path.join(work, "written-through-link")
    os.makedirs(link_target)
    expect("symbolic link to a directory, then a file through it", 8,
           {"update_bundles": bundle("symlinkdir", members=[
               (tarinfo("d", "symlink", linkname=link_target), None),
               (tarinfo("d/x.ndb", size=len(EVIL)), EVIL)])})
    tap.eq(os.listdir(link_target), [], "nothing written through a symbolic link entry")
    expect("hard link entry", 8,
           {"update_bundles": hostile("hardlink", tarinfo("hard.ndb", "hardlink", linkname="site.ndb"),
                                      data=None)})
    expect("hard link to a file outside", 8,
           {"update_bundles": hostile("hardlinkout", tarinfo("pw.ndb", "hardlink", linkname="/etc/passwd"),
                                      data=None)})
    expect("subdirectory entry", 8,
           {"update_bundles": hostile("subdir", tarinfo("sub/x.ndb", size=len(EVIL)))})
    expect("fifo entry", 8,
           {"update_bundles": hostile("fifo", tarinfo("pipe.ndb", "fifo"), data=None)})
    bomb = os.path.join(bundle_dir("bomb"), "site.tar.gz")
    updtest.bomb_bundle(bomb, 8 << 20)
    key.sign(bomb)
    tap.ok(os.path.getsize(bomb) < 64 << 10, "the bomb archive is small (%d bytes)" % os.path.getsize(bomb))
    expect("decompression bomb (8 MB entry, update_max_unpacked 1m)", 8,
           {"update_bundles": ng.url("/m/bomb/site.tar.gz"), "update_max_unpacked": "1m"})
    many = {"f%d.ndb" % i: b"# empty\n" for i in range(6)}
    many["site.ndb"] = SITE_NDB
    expect("more entries than update_max_entries (5)", 8,
           {"update_bundles": bundle("many", files=many), "update_max_entries": "5"})
    expect("entry with an unknown extension", 8,
           {"update_bundles": bundle("ext", files={"site.ndb": SITE_NDB, "run.sh": b"#!/bin/sh\n"})})
    if HAVE_CVD:
        expect("bundle file named like a CVD's (test.cvd)", 8,
               {"update_bundles": bundle("clash", files={"site.ndb": SITE_NDB, "test.cvd": b"x"})})


def test_selftest(tap):
    """Selftest (9)."""
    expect("set that loads but misses EICAR (no CVD configured)", 9,
           {"update_databases": "", "update_bundles": bundle(
               "noeicar", files={"site.ndb": updtest.ndb_line("Mx-Site-A", A).encode()}),
            "update_signature_drop_max": "100"})
    expect("set that fails to compile (malformed .ndb line)", 9,
           {"update_bundles": bundle("malformed", files={
               "site.ndb": SITE_NDB + b"Mx-Broken:0:*:this is not hex\n"})})
    expect("set that flags clean mail (a signature on 'MIME-Version: 1.0')", 9,
           {"update_bundles": bundle("fp", files={
               "site.ndb": SITE_NDB + updtest.ndb_line("Mx-FP-Mime", b"MIME-Version: 1.0").encode()})})
    few = bundle("few", files={"site.ndb": updtest.EICAR_NDB.encode()})
    drop = {"update_bundles": few, "update_databases": "", "update_signature_drop_max": "20"}
    if HAVE_CVD:
        expect("set with far fewer signatures than the current one", 9, drop)
        r = expect("the same with --dry-run --force (nothing installed)", 0, drop,
                   args=["--dry-run", "--force"])


def test_fetch(tap):
    """Fetch (6)."""
    if HAVE_CVD:
        mirror_over = lambda u: {"update_mirrors": u}  # noqa: E731
        sources = "mirror"
    else:
        mirror_over = lambda u: {"update_bundles": u + "/site.tar.gz"}  # noqa: E731
        sources = "bundle URL"
    expect("404 from the %s" % sources, 6, mirror_over(ng.url("/e404/x")))
    mark = ng.mark()
    expect("500 from the %s (update_retries 2)" % sources, 6,
           dict(mirror_over(ng.url("/e500/x")), update_retries="2"))
    n500 = [q for q in ng.requests_since(mark) if " /e500/" in q]
    tap.eq(len(n500), 3, "a 500 is retried update_retries times (3 requests)") or tap.diag("\n".join(n500))
    if HAVE_CVD:
        mark = ng.mark()
        expect("404 on the first mirror, good second mirror: nothing new", 0,
               {"update_mirrors": ng.url("/e404/x") + " " + ng.url("/m/clamav")})
        reqs = ng.requests_since(mark)
        tap.ok(any(" /e404/x/test.cvd 404 " in q for q in reqs)
               and any(" /m/clamav/test.cvd " in q for q in reqs),
               "after a 404 the next mirror is asked", "\n".join(reqs))
    if HAVE_CVD:
        body = open(updtest.cvd(4), "rb").read()
        cut = updtest.StallServer("cut", ca, body=body)
        expect("transfer cut short (Content-Length not reached)", 6, {"update_mirrors": cut.url("/m")})
        tap.ok(any("GET" in q for q in cut.requests), "the cut server was asked", cut.requests)
        cut.stop()
        d = updtest.make_cvd_mirror(bundle_dir("big"), 4)
        expect("CVD larger than update_max_download (4k)", 6,
               {"update_mirrors": ng.url("/m/big"), "update_max_download": "4k"})
        big = {"update_mirrors": ng.url("/m/big")}
    else:
        with open(os.path.join(doc, "good", "site.tar.gz"), "rb") as f:
            cut = updtest.StallServer("cut", ca, body=f.read())
        expect("transfer cut short (Content-Length not reached)", 6,
               {"update_bundles": cut.url("/m/cut/site.tar.gz")})
        tap.ok(any("GET" in q for q in cut.requests), "the cut server was asked", cut.requests)
        cut.stop()
        big = {"update_bundles": bundle("big", files={
            "site.ndb": SITE_NDB + b"".join(b"# %s\n" % os.urandom(32).hex().encode() for _ in range(600))})}
        tap.ok(os.path.getsize(os.path.join(doc, "big", "site.tar.gz")) > 8192, "the big bundle is over 8k")
        expect("bundle larger than update_max_download (4k)", 6, dict(big, update_max_download="4k"))
    expect("server certificate from an untrusted CA (system store)", 6, dict(big, update_ca_file=""))
    mark = ng.mark()
    expect("redirect from https to http (a downgrade)", 6,
           {"update_bundles": ng.url("/tohttp/good/site.tar.gz")})
    reqs = ng.requests_since(mark)
    tap.ok(any(" /tohttp/" in q and " 302 " in q for q in reqs)
           and not any(q.startswith("%d " % ng.http_port) for q in reqs),
           "the redirect was answered and its http target never asked", "\n".join(reqs))
    expect("redirect to a file:// URL", 6, {"update_bundles": ng.url("/tofile/good/site.tar.gz")})
    stall = updtest.StallServer("trickle", ca)
    r = expect("server that stalls mid-body (low speed 1k/s for 1s)", 6,
               dict(mirror_over(stall.url("/m")), update_low_speed_time="1s",
                    update_low_speed_limit="1k", update_retries="0"))
    tap.ok(r.secs < 30, "the stalled transfer is abandoned in bounded time (%.1fs)" % r.secs)
    stall.stop()
    silent = updtest.StallServer("silent")
    r = expect("server that accepts and never answers", 6,
               dict(mirror_over(silent.url("/m").replace("http:", "https:")),
                    update_connect_timeout="1s", update_low_speed_time="1s", update_retries="0"))
    tap.ok(r.secs < 30, "the silent server is given up in bounded time (%.1fs)" % r.secs)
    silent.stop()


def test_partial(tap):
    """A partial download is never spliced into another file."""
    global base
    clear_partials()
    newer = {"site.ndb": SITE_NDB + updtest.ndb_line("Mx-Site-Newer", updtest.marker("newer")).encode()}
    path = os.path.join(bundle_dir("cutsrc"), "site.tar.gz")
    updtest.make_bundle(path, newer)
    with open(path, "rb") as f:
        cut = updtest.StallServer("cut", ca, body=f.read())
    r = up.run(overrides={"update_bundles": cut.url("/m/newer/site.tar.gz")})
    tap.eq(r.rc, 6, "bundle transfer cut short: exit 6") or tap.diag(r)
    cut.stop()
    newer["site.ndb"] += b"# republished with one more line\n"
    url = bundle("newer", files=newer)
    r = up.run(overrides={"update_bundles": url})
    tap.eq(r.rc, 0, "the next run fetches a (changed) bundle of the same file name whole: exit 0") or tap.diag(r)
    tap.eq(updtest.scan(mx, updtest.marker("newer")), "stream: Mx-Site-Newer.UNOFFICIAL FOUND",
           "and installs it (the partial download of the cut one is not spliced into it)")
    if up.current_dir() != base[0]:
        r = up.run(["--rollback"])
        tap.eq((r.rc, updtest.verdicts(mx, PROBES)[2]), (0, base[2]), "--rollback to the baseline set")
        base = updtest.verdicts(mx, PROBES)
    clear_partials()


def test_notify(tap):
    """Notify (10, 11): no daemon; a daemon that never loads the new set; one."""
    # that rejects it.  A root of its own, with a stand-in daemon.
    nroot = os.path.join(work, "nroot")
    nup = updtest.Updater(work, nroot, {
        "update_databases": "", "update_bundles": GOOD_BUNDLE, "update_trusted_keys": key.pub,
        "update_ca_file": ca.ca_cert, "update_reload_timeout": "2s",
        "scanner_endpoints": "unix:" + os.path.join(work, "nobody.sock")}, name="notify.conf")
    r = nup.run()
    tap.eq(r.rc, 10, "no daemon reachable: exit 10") or tap.diag(r)
    tap.ok(nup.current() is not None and os.path.isfile(os.path.join(nroot, "current", "site.ndb")),
           "no daemon reachable: the proven set is installed all the same", nup.versions())
    for mode in ("stale", "reject"):
        fake = updtest.FakeDaemon(work, nroot, nup.current_dir(), mode)
        before, vers = nup.snapshot(), nup.versions()
        url = bundle("notify-" + mode, files={"site.ndb": SITE_NDB + b"# " + mode.encode() + b"\n"})
        r = nup.run(overrides={"update_bundles": url, "scanner_endpoints": "unix:" + fake.path})
        what = {"stale": "a daemon that never loads the new set",
                "reject": "a daemon that rejects the new set"}[mode]
        tap.eq(r.rc, 11, "%s: exit 11" % what) or tap.diag(r)
        tap.eq(nup.snapshot(), before, "%s: the previous set is put back as current" % what)
        tap.eq(nup.versions(), vers, "%s: the rejected version is removed" % what)
        tap.ok([c for c in fake.commands if c == "RELOAD"] == ["RELOAD", "RELOAD"],
               "%s: told to RELOAD the new set, then the previous one" % what,
               "commands: %r\nerrors of the stand-in: %r" % (fake.commands, fake.errors))
        if mode == "stale":
            tap.ok(2 <= r.secs < 30, "%s: given up after update_reload_timeout (%.1fs)" % (what, r.secs))
        fake.stop()


def test_disk(tap):
    """Disk (13): database_root on a small tmpfs."""
    small = os.path.join(work, "small")
    if updtest.mount_tmpfs(small, "2m"):
        sup = updtest.Updater(work, os.path.join(small, "root"), {
            "update_databases": "", "update_bundles": GOOD_BUNDLE, "update_trusted_keys": key.pub,
            "update_ca_file": ca.ca_cert, "update_retries": "0",
            "scanner_endpoints": "unix:" + os.path.join(work, "no-daemon.sock")}, name="small.conf")
        r = sup.run()
        tap.eq(r.rc, 10, "small tmpfs: a first set installed (exit 10, its daemon not started yet)") \
            or tap.diag(r)
        smx = mxtest.Daemon(os.path.join(small, "root"), workdir=updtest.subdir(work, "mxscand-small"), options={"scand_db_check_interval": "0"})
        updtest.at_cleanup(smx.stop)
        sup.options["scanner_endpoints"] = "unix:" + smx.socket
        sup.write_conf()
        fill = os.path.join(bundle_dir("fill"), "site.tar.gz")
        updtest.bomb_bundle(fill, 6 << 20, name="fill.ndb")
        key.sign(fill)
        before, sbase = sup.snapshot(), updtest.verdicts(smx, PROBES)
        r = sup.run(overrides={"update_bundles": ng.url("/m/fill/site.tar.gz")})
        tap.eq(r.rc, 13, "full disk while unpacking: exit 13") or tap.diag(r)
        tap.eq((sup.snapshot(), updtest.verdicts(smx, PROBES)), (before, sbase),
               "full disk: current and the daemon's answers untouched")
        tap.eq([v for v in sup.versions() if v.endswith(".tmp")], [], "full disk: no versions/*.tmp left")
        st = os.statvfs(small)
        tap.ok(st.f_bfree * st.f_frsize > 1 << 20, "full disk: the space is given back (%d KB free)"
               % (st.f_bfree * st.f_frsize >> 10))
        r = sup.run(overrides={"update_bundles": bundle("fits", files={
            "site.ndb": SITE_NDB + b"# fits\n"})})
        tap.ok(r.rc == 0 and sup.current() != before[0], "full disk: the next run that fits succeeds", r)
        tap.eq(os.path.realpath(smx.health().get("database_path")), sup.current_dir(),
               "full disk: and its daemon serves the new set")
        smx.stop()
    else:
        tap.ok(True, "full disk # SKIP cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)")


def test_lock(tap):
    """Lock (4)."""
    lockf = open(os.path.join(root, ".lock"), "a+")
    fcntl.flock(lockf, fcntl.LOCK_EX)
    mark = ng.mark()
    expect("another process holds database_root/.lock", 4,
           {"update_bundles": bundle("locked", files={"site.ndb": SITE_NDB + b"# new\n"})})
    tap.eq(ng.requests_since(mark), [], "the locked-out run contacted no mirror")
    fcntl.flock(lockf, fcntl.LOCK_UN)
    lockf.close()


def test_cooldown(tap):
    """Cool-down (5), on their own ports (cool-down is per scheme, host, port)."""
    # a bundle URL that answers 429
    c429b = {"update_bundles": ng.url("/e429/x/site.tar.gz", "http", ng.alt_port)}

    def refused_then_cooled(what, cfg, port, later, origin):
        """A run refused with 429 (from nginx), then a run that leaves
        the origin on PORT alone (nginx's access log)."""
        mark = ng.mark()
        expect(what, (5, 6), cfg)
        first = ng.requests_since(mark)
        tap.ok(any(" /e429/" in q and " 429 " in q for q in first), "the 429 came from nginx",
               "\n".join(first))
        mark = ng.mark()
        expect(later, 5, cfg)
        again = [q for q in ng.requests_since(mark) if q.startswith("%d " % port)]
        tap.eq(again, [], "the run on cool-down did not contact the %s (nginx access log)" % origin)

    refused_then_cooled("bundle URL answers 429 with Retry-After", c429b, ng.alt_port,
                        "the next run, bundle origin on cool-down", "bundle's origin")

    def cooldown_left(port):
        """Seconds of cool-down --status reports for the origin on PORT."""
        r = up.run(["--status"])
        for line in r.out.splitlines():
            if line.startswith("cooldown:") and (":%d" % port) in line:
                return int(line.split()[-1]) - int(time.time())
        return None

    left = cooldown_left(ng.alt_port)
    tap.ok(left is not None and 3400 <= left <= 3600,
           "the 429's Retry-After (3600 s) sets the cool-down, not update_cooldown", left)
    # a 403 (no Retry-After): update_cooldown
    c403 = {"update_bundles": ng.url("/e403/x/site.tar.gz", "http", ng.alt2_port), "update_cooldown": "2h"}
    expect("bundle URL answers 403", (5, 6), c403)
    mark = ng.mark()
    expect("the next run, 403 origin on cool-down", 5, c403)
    tap.eq([q for q in ng.requests_since(mark) if q.startswith("%d " % ng.alt2_port)], [],
           "the run on cool-down after a 403 did not contact that origin")
    left = cooldown_left(ng.alt2_port)
    tap.ok(left is not None and 7000 <= left <= 7200, "a 403 puts the origin on cool-down for update_cooldown (2h)",
           left)
    # every source (the CVD mirror and the bundle URL) on the origin that answers 429
    c429 = {"update_bundles": ng.url("/e429/x/site.tar.gz", "http")}
    if HAVE_CVD:
        c429["update_mirrors"] = ng.url("/e429/x", "http")
    refused_then_cooled("429 with Retry-After", c429, ng.http_port,
                        "the next run, mirror on cool-down", "mirror")
    r = up.run(["--status"])
    tap.ok(r.rc == 0 and any(line.startswith("cooldown:") and str(ng.http_port) in line
                             for line in r.out.splitlines()),
           "--status lists the mirror on cool-down", r)

    mx.stop()


if __name__ == "__main__":
    mxtest.run(globals())
