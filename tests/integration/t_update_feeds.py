#!/usr/bin/env python3
"""t_update_feeds - third-party signature feeds in mxscan-update (issue 18).

Real parts: gpg makes throwaway OpenPGP keys in a temporary GNUPGHOME and
signs the test feed with detached .sig files (Sanesecurity's way), GPGME
checks them in the updater against an admin keyring holding only the
trusted key; a private nginx serves the feeds over HTTPS (throwaway CA);
a cutting server serves a truncated download; mxscand loads each set.

Feeds: "sane" (verify=gpg, files sane.ndb, companion sigwhitelist.ign2)
and "haus" (verify=sha256, a .sha256 sidecar: integrity only).

1. Both install; the daemon detects each feed's test string.
2. sane fails, haus has nothing new: a tampered file (exit 7), a signature
   by a key not in the keyring (exit 7), a missing companion (exit 6), a
   truncated download (exit 6) each leave current exactly as it was.
3. A tampered sane while haus has a new file: haus is installed, sane's
   files stay at their installed version, exit 7.
4. Per-feed intervals: sane (24h) not due, haus (0) due, in one run:
   only haus is asked for and updated.
5. Ham gate: a haus signature matching a base64 attachment of a message
   in update_ham_dir refuses the set (exit 9) naming the signature and the
   file; with it removed from the feed the next run installs.
6. update_ignore_signatures: with the signature back in the feed and
   named in the list, the set installs (mxscan-local.ign2), the daemon no
   longer detects the message, and the list stays in the next version.
"""
import base64
import hashlib
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
import updtest  # noqa: E402

updtest.need_updater()
updtest.need_tools("nginx", "openssl", "gpg")
tap = mxtest.Tap()

A1, A2, A3 = updtest.marker("SANE-1"), updtest.marker("SANE-2"), updtest.marker("SANE-3")
H1, H2, H3 = updtest.marker("HAUS-1"), updtest.marker("HAUS-2"), updtest.marker("HAUS-3")
HAM_TEXT = b"Quarterly figures attached, as discussed on the phone. Regards, Accounts."
HAM_SIG = "Feed.Test.FalsePositive-1"


def sane_text(tag, data):
    return (updtest.EICAR_NDB + updtest.ndb_line("Sane.Test." + tag, data)).encode()


def publish_sane(data, signer=None, companion=True):
    """doc/sane: sane.ndb with DATA and its companion, each with a .sig by
    SIGNER (default the trusted key)."""
    d = os.path.join(doc, "sane")
    os.makedirs(d, exist_ok=True)
    files = {"sane.ndb": data}
    if companion:
        files["sigwhitelist.ign2"] = b"Sane.Test.Whitelisted-1\n"
    for name in ("sane.ndb", "sigwhitelist.ign2"):
        for p in (os.path.join(d, name), os.path.join(d, name + ".sig")):
            if os.path.exists(p):
                os.unlink(p)
    for name, body in files.items():
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(body)
        (signer or key).sign(p)


def publish_haus(*sigs):
    """doc/haus: haus.ndb with SIGS (name, data) and its .sha256."""
    d = os.path.join(doc, "haus")
    os.makedirs(d, exist_ok=True)
    body = "".join(updtest.ndb_line(n, x) for n, x in sigs).encode()
    p = os.path.join(d, "haus.ndb")
    with open(p, "wb") as f:
        f.write(body)
    with open(p + ".sha256", "w") as f:
        f.write("%s  haus.ndb\n" % hashlib.sha256(body).hexdigest())
    updtest.stamp(p, p + ".sha256")


def feeds(sane_url=None, sane_interval="0"):
    return ("sane verify=gpg gpg_home=%s interval=%s url=%s files=sane.ndb "
            "companions=sigwhitelist.ign2 "
            "haus verify=sha256 interval=0 url=%s files=haus.ndb"
            % (ring, sane_interval, sane_url or ng.url("/m/sane"), ng.url("/m/haus")))


@mxtest.setup
def start(tap):
    global doc, hamdir, key, mx, ng, other, ring, root, up, work
    work = mxtest.tmpdir("tupdfeeds")
    updtest.cleanup_dir(work)
    ca = updtest.CA(work)
    doc = os.path.join(work, "doc")
    os.makedirs(doc)
    ng = updtest.Nginx(work, doc, ca)
    key = updtest.GpgKey(work, "feed-signer@example.org")
    other = updtest.GpgKey(work, "someone-else@example.org")
    ring = updtest.gpg_keyring(os.path.join(work, "ring"), key)
    publish_sane(sane_text("1", A1))
    publish_haus(("Haus.Test.1", H1))
    hamdir = os.path.join(work, "ham")
    os.makedirs(hamdir)
    with open(os.path.join(hamdir, "figures.eml"), "wb") as f:
        f.write(b"From: accounts@example.org\r\nTo: boss@example.org\r\nSubject: figures\r\n"
                b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                b"--b1\r\nContent-Type: text/plain\r\n\r\nSee attachment.\r\n"
                b"--b1\r\nContent-Type: application/octet-stream; name=\"figures.txt\"\r\n"
                b"Content-Transfer-Encoding: base64\r\n"
                b"Content-Disposition: attachment; filename=\"figures.txt\"\r\n\r\n"
                + base64.encodebytes(HAM_TEXT * 4).replace(b"\n", b"\r\n") + b"--b1--\r\n")
    with open(os.path.join(hamdir, "figures.eml"), "rb") as f:
        assert HAM_TEXT not in f.read()  # only libclamav's MIME decoding finds it
    root = os.path.join(work, "root")
    os.makedirs(root)
    mx = updtest.start_daemon(work, root)
    up = updtest.Updater(work, root, {
        "update_databases": "",
        "update_feeds": feeds(),
        "update_ca_file": ca.ca_cert,
        "update_retries": "0",
        "update_retry_delay": "0",
        "update_reload_timeout": "60s",
        "scanner_endpoints": "unix:" + mx.socket,
    })


def scan(data):
    return updtest.scan(mx, b"x" + data + b"y")


def loaded():
    return mxtest.wait_for(lambda: os.path.realpath(mx.health().get("database_path") or "/")
                           == up.current_dir(), 30)


def installed(name):
    with open(os.path.join(up.current_dir(), name), "rb") as f:
        return f.read()


def test_install(tap):
    """1: both feeds install."""
    r = up.run()
    tap.eq(r.rc, 0, "both feeds install (exit 0)") or tap.diag(r)
    tap.ok(loaded(), "the daemon loaded the set", mx.health())
    tap.eq(scan(A1), "stream: Sane.Test.1.UNOFFICIAL FOUND", "sane's test string detected")
    tap.eq(scan(H1), "stream: Haus.Test.1.UNOFFICIAL FOUND", "haus's test string detected")
    tap.ok(os.path.exists(os.path.join(up.current_dir(), "sigwhitelist.ign2")),
           "the companion sigwhitelist.ign2 is installed with sane.ndb")
    tap.ok("good OpenPGP signature" in r.err and "integrity only" in r.err,
           "the log says how each feed was verified (sha256: integrity only)", r.err)


def expect_untouched(tap, label, rc, why, overrides=None):
    snap = updtest.Updater.snapshot(up)
    mark = ng.mark()
    r = up.run(overrides=overrides)
    ok = tap.eq(r.rc, rc, "%s: exit %d" % (label, rc))
    ok &= tap.ok(why in r.err, "%s: the log says why (%s)" % (label, why), r.err)
    ok &= tap.eq(updtest.Updater.snapshot(up), snap, "%s: current untouched" % label)
    if not ok:
        tap.diag(r)
        tap.diag("\n".join(ng.requests_since(mark)))
    return r


def test_failures(tap):
    """2: each failure of sane leaves current as it was."""
    publish_sane(sane_text("2", A2))
    with open(os.path.join(doc, "sane", "sane.ndb"), "ab") as f:
        f.write(updtest.ndb_line("Sane.Test.Injected", b"injected by a mirror").encode())
    expect_untouched(tap, "tampered sane.ndb", 7, "bad signature")

    publish_sane(sane_text("2", A2), signer=other)
    expect_untouched(tap, "signed by a key not in the keyring", 7, "not in the keyring")

    publish_sane(sane_text("2", A2), companion=False)
    expect_untouched(tap, "missing companion", 6, "sigwhitelist.ign2 (companion)")

    publish_sane(sane_text("2", A2))
    with open(os.path.join(doc, "sane", "sane.ndb"), "rb") as f:
        cut = updtest.StallServer("cut", body=f.read())
    expect_untouched(tap, "truncated download", 6, "sane.ndb",
                     overrides={"update_feeds": feeds(sane_url=cut.url("/sane"))})
    tap.ok(cut.requests, "the truncated download was tried", cut.requests)
    tap.eq(scan(A1), "stream: Sane.Test.1.UNOFFICIAL FOUND", "the daemon still has sane 1")


def test_other_feeds_go_on(tap):
    """3: a failing feed does not hold back the others."""
    with open(os.path.join(doc, "sane", "sane.ndb"), "ab") as f:
        f.write(b"# tampered\n")
    before = installed("sane.ndb")
    publish_haus(("Haus.Test.2", H2))
    r = up.run()
    tap.eq(r.rc, 7, "tampered sane, new haus: exit 7 (sane's verify failure)") or tap.diag(r)
    tap.ok(loaded(), "the daemon loaded the new set", mx.health())
    tap.eq(scan(H2), "stream: Haus.Test.2.UNOFFICIAL FOUND", "haus's new file is installed")
    tap.ok(installed("sane.ndb") == before and scan(A1).endswith("Sane.Test.1.UNOFFICIAL FOUND"),
           "sane's installed files stayed at version 1")
    publish_sane(sane_text("2", A2))
    r = up.run()
    tap.eq(r.rc, 0, "sane 2 properly signed: installed (exit 0)") or tap.diag(r)
    tap.ok(loaded() and scan(A2).endswith("Sane.Test.2.UNOFFICIAL FOUND"), "sane 2 detected")


def test_intervals(tap):
    """4: one feed due, one not, in one run."""
    publish_sane(sane_text("3", A3))
    publish_haus(("Haus.Test.3", H3))
    mark = ng.mark()
    r = up.run(overrides={"update_feeds": feeds(sane_interval="24h")})
    reqs = ng.requests_since(mark)
    tap.eq(r.rc, 0, "sane every 24h, haus every run: exit 0") or tap.diag(r)
    tap.ok(reqs and all(q.split()[2].startswith("/m/haus/") for q in reqs),
           "only haus was asked for (sane is not due)", reqs)
    tap.ok("feed sane: not due" in r.err, "the log says sane is not due", r.err)
    tap.ok(loaded() and scan(H3).endswith("Haus.Test.3.UNOFFICIAL FOUND")
           and scan(A3) == "stream: OK" and scan(A2).endswith("Sane.Test.2.UNOFFICIAL FOUND"),
           "haus 3 installed, sane still at 2")
    with open(os.path.join(root, ".update-state")) as f:
        state = f.read()
    tap.ok("feed sane " in state and "feed haus " in state,
           "the state file keeps when each feed was checked", state)


def test_ham_gate(tap):
    """5-6: the false-positive gate and the allow list."""
    up.options["update_ham_dir"] = hamdir
    up.write_conf()
    publish_haus(("Haus.Test.3", H3), (HAM_SIG, HAM_TEXT))
    r = expect_untouched(tap, "ham gate", 9, "ham gate")
    tap.ok(HAM_SIG in r.err and os.path.join(hamdir, "figures.eml") in r.err,
           "the refusal names the signature and the message", r.err)

    publish_haus(("Haus.Test.3", H3), ("Haus.Test.4", H1))
    r = up.run()
    tap.eq(r.rc, 0, "the signature removed from the feed: the next run installs") or tap.diag(r)
    tap.ok("ham gate passed: 1 messages" in r.err, "the ham gate scanned the folder", r.err)

    up.options["update_ignore_signatures"] = HAM_SIG
    up.write_conf()
    publish_haus(("Haus.Test.3", H3), ("Haus.Test.4", H1), (HAM_SIG, HAM_TEXT))
    r = up.run()
    tap.eq(r.rc, 0, "back in the feed but in update_ignore_signatures: installs") or tap.diag(r)
    tap.eq(installed("mxscan-local.ign2"), (HAM_SIG + "\n").encode(),
           "mxscan-local.ign2 holds the name")
    with open(os.path.join(hamdir, "figures.eml"), "rb") as f:
        tap.ok(loaded() and updtest.scan(mx, f.read()) == "stream: OK",
               "the daemon no longer flags the message")
    publish_haus(("Haus.Test.3", H3), ("Haus.Test.4", H1), (HAM_SIG, HAM_TEXT),
                 ("Haus.Test.5", H2))
    cur = up.current()
    r = up.run()
    tap.ok(r.rc == 0 and up.current() != cur
           and installed("mxscan-local.ign2") == (HAM_SIG + "\n").encode(),
           "the allow list is kept in the next version", r)


mxtest.run(globals(), tap)
