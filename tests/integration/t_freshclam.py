#!/usr/bin/env python3
"""t_freshclam - ClamAV's own freshclam keeps working beside mxscand.

mxscand runs from a clamd.conf (mxscand -C) whose LocalSocket and
DatabaseDirectory freshclam's NotifyClamd and DatabaseDirectory name, as
on a Debian host.  Real freshclam (Debian's clamav-freshclam) with its own
throwaway freshclam.conf fetches the signed test CVDs of
../shared/testdata/clamav-cvd from a private nginx on loopback.

1. NotifyClamd: the daemon starts on the empty database directory (no
   engine: HEALTH reload_state failed, generation 0) with SelfCheck 0 and
   no quick retry, so only a RELOAD can load anything.  freshclam fetches
   test.cvd version 3, says it notified clamd, and HEALTH shows engine
   generation 1; EICAR is found by the signed set's own signature.
   Mirror at version 4: freshclam applies test-4.cdiff into test.cld and
   notifies; generation 2 with another signature count.  (libclamav
   reports a database version only for daily and main, so HEALTH's
   database_version stays 0 for a set named test.)
2. SelfCheck: a daemon from a clamd.conf with SelfCheck 1 serves version
   4.  freshclam, now without NotifyClamd, replaces test.cld in the
   database directory with version 5 (a new file renamed over the old
   one); the daemon notices it by itself: generation 2, another
   signature count.

Skipped with a message when ../shared/testdata/clamav-cvd is absent (a
fresh clone has no ../shared)."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
import updtest  # noqa: E402

updtest.need_tools("freshclam", "nginx", "openssl")
if not updtest.need_cvd():
    mxtest.Tap.skip_all("%s is absent (a fresh clone has no ../shared): no signed test "
                        "databases to serve" % updtest.CVD_DIR)
tap = mxtest.Tap()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def clamd_conf(name, selfcheck):
    """A clamd.conf as a clamd host has it, for mxscand -C and NotifyClamd."""
    return write(os.path.join(work, name),
                 "# clamd.conf of the test host\nLocalSocket %s\nLocalSocketMode 660\n"
                 "FixStaleSocket true\nDatabaseDirectory %s\nTemporaryDirectory %s\n"
                 "SelfCheck %d\nMaxThreads 2\nLogSyslog false\nLogFile %s/clamd.log\n"
                 % (sock, db, work, selfcheck, work))


def freshclam_conf(name, notify):
    return write(os.path.join(work, name),
                 "DatabaseDirectory %s\nDatabaseOwner root\nUpdateLogFile %s/%s.log\n"
                 "DNSDatabaseInfo no\nDatabaseMirror %s\nScriptedUpdates yes\nBytecode no\n"
                 "MaxAttempts 1\nConnectTimeout 10\nReceiveTimeout 30\nForeground yes\n%s"
                 % (db, work, name, ng.url("/m/clamav", scheme="http"),
                    "NotifyClamd %s\n" % notify if notify else ""))


def start_daemon(conf, extra=()):
    """mxscand -C CONF (the test's user, not the file's), once it answers HEALTH."""
    log = open(os.path.join(work, "mxscand-%s.log" % os.path.basename(conf)), "ab")
    mxtest.on_cleanup(log.close)
    p = mxtest.spawn([mxtest.MXSCAND, "-f", "-c", "/dev/null", "-C", conf, "-o", "scand_user=",
                      "-o", "scand_scan_roots=" + work] + list(extra),
                     stdout=log, stderr=subprocess.STDOUT)
    if not mxtest.wait_for(lambda: mxtest.health(sock).get("status") is not None, 60):
        raise RuntimeError("mxscand -C %s did not answer HEALTH" % conf)
    return p


def freshclam(conf):
    r = subprocess.run(["freshclam", "--config-file=" + conf, "--update-db=test", "--no-dns"],
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def wait_generation(generation):
    """HEALTH once it shows engine GENERATION (or the last HEALTH seen).
    libclamav reports a database version only for daily and main, so the
    set loaded shows in the generation and its signature count."""
    h = {}

    def seen():
        h.clear()
        h.update(mxtest.health(sock))
        return h.get("engine_generation") == str(generation) and h.get("reload_state") == "idle"
    mxtest.wait_for(seen, 60)
    return h


def scan_eicar():
    return mxtest.request(sock, b"zINSTREAM\0" + mxtest.instream_bytes(mxtest.EICAR)) \
        .rstrip(b"\0").decode("utf-8", "replace")


@mxtest.setup
def start(tap):
    global work, db, sock, ng, mirror, daemon
    work = mxtest.tmpdir("tfreshclam")
    db = os.path.join(work, "clamav")
    os.makedirs(db)
    sock = os.path.join(work, "run", "clamd.ctl")
    doc = os.path.join(work, "doc")
    mirror = os.path.join(doc, "clamav")
    os.makedirs(mirror)
    ng = updtest.Nginx(work, doc, updtest.CA(work))
    updtest.make_cvd_mirror(mirror, 3)
    # No change detection, no retry within the test: only RELOAD loads.
    daemon = start_daemon(clamd_conf("clamd-notify.conf", 0),
                          ["-o", "scand_reload_retry_min=1h", "-o", "scand_reload_retry_max=1h"])
    # Its first load, of the empty directory, has failed once this holds.
    mxtest.wait_for(lambda: mxtest.health(sock).get("reload_state") == "failed", 60)


def test_notify(tap):
    global sigs4
    h = mxtest.health(sock)
    tap.ok(h.get("engine_generation") == "0" and h.get("reload_state") == "failed",
           "before freshclam: no engine (empty database directory)", h)
    conf = freshclam_conf("freshclam-notify.conf", os.path.join(work, "clamd-notify.conf"))
    rc, out = freshclam(conf)
    tap.ok(rc == 0 and "test.cvd updated (version: 3" in out, "freshclam fetches test.cvd 3", out)
    tap.ok("Clamd successfully notified" in out and "NOT notified" not in out,
           "freshclam's NotifyClamd reaches mxscand on the clamd.conf's LocalSocket", out)
    h = wait_generation(1)
    tap.ok(h.get("engine_generation") == "1" and h.get("database_path") == os.path.realpath(db),
           "RELOAD loaded generation 1 from the database directory", h)
    sigs3 = h.get("signatures")
    tap.eq(scan_eicar(), "stream: Eicar-Test-Signature FOUND",
           "EICAR found by the signed set's signature")

    updtest.make_cvd_mirror(mirror, 4)
    rc, out = freshclam(conf)
    tap.ok(rc == 0 and "test.cld updated (version: 4" in out and
           "Clamd successfully notified" in out, "freshclam applies test-4.cdiff and notifies", out)
    h = wait_generation(2)
    sigs4 = h.get("signatures")
    tap.ok(h.get("engine_generation") == "2" and sigs4 != sigs3,
           "RELOAD loaded generation 2, the new set (signatures %s -> %s)" % (sigs3, sigs4), h)


def test_selfcheck(tap):
    mxtest.stop_process(daemon)
    start_daemon(clamd_conf("clamd-selfcheck.conf", 1))
    h = wait_generation(1)
    tap.ok(h.get("engine_generation") == "1" and h.get("signatures") == sigs4,
           "a daemon with SelfCheck 1 serves version 4", h)
    before = os.stat(os.path.join(db, "test.cld")).st_ino
    updtest.make_cvd_mirror(mirror, 5)
    rc, out = freshclam(freshclam_conf("freshclam-quiet.conf", None))
    after = os.stat(os.path.join(db, "test.cld")).st_ino
    tap.ok(rc == 0 and "test.cld updated (version: 5" in out and "notified" not in out.lower(),
           "freshclam without NotifyClamd updates test.cld to version 5", out)
    tap.ok(after != before, "test.cld was replaced in place (a new file under the old name)")
    h = wait_generation(2)
    tap.ok(h.get("engine_generation") == "2" and h.get("signatures") != sigs4,
           "SelfCheck change detection reloads by itself: generation 2, the new set "
           "(signatures %s -> %s)" % (sigs4, h.get("signatures")), h)
    tap.eq(scan_eicar(), "stream: Eicar-Test-Signature FOUND", "EICAR still found")


if __name__ == "__main__":
    if shutil.which("freshclam") is None:
        mxtest.Tap.skip_all("freshclam is not installed (Debian package clamav-freshclam)")
    mxtest.run(globals())
