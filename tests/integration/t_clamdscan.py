#!/usr/bin/env python3
"""t_clamdscan - ClamAV's own clamdscan works against mxscand unchanged.

clamdscan scans Debian's clamav-testfiles and a directory of EICAR
variants through mxscand in each of its modes (path SCAN/CONTSCAN,
--stream INSTREAM, --fdpass FILDES, --multiscan, --fdpass --multiscan);
every file's verdict must equal clamscan's with the same database (the
test database plus ClamAV's signed test-6.cvd) and limits.  A final run
compares the exit status and the summary counts."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402

mxtest.need_root_tools(["clamdscan", "clamscan"])
if not os.path.isdir(mxtest.TESTFILES):
    mxtest.Tap.skip_all("clamav-testfiles not installed")
tap = mxtest.Tap()
LINE = re.compile(r"^(.*): (?:(\S+) FOUND|OK|(.*) ERROR)$")


@mxtest.setup
def start(tap):
    global work, db, files, mx, conf, targets
    work = mxtest.tmpdir("tclamdscan")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    cvd = os.path.join(mxtest.SHARED_CVD, "test-6.cvd")
    if os.path.exists(cvd):
        shutil.copy(cvd, os.path.join(db, "daily.cvd"))
    else:
        tap.diag("no %s: testing with the small database only" % cvd)

    files = os.path.join(work, "files")
    os.makedirs(os.path.join(files, "nested", "deeper"))
    samples = {
        "eicar.com": mxtest.EICAR,
        "eicar-in-text.txt": b"Dear user,\n" + mxtest.EICAR + b"\nregards\n",
        "clean.txt": b"nothing to see\n" * 1000,
        "empty": b"",
        "nested/deeper/eicar.bin": b"\x00" * 5000 + mxtest.EICAR,
        "nested/clean.bin": bytes(range(256)) * 64,
        "name with spaces.txt": mxtest.EICAR,
    }
    for name, data in samples.items():
        with open(os.path.join(files, name), "wb") as f:
            f.write(data)
    for root, dirs, fs in os.walk(work):
        os.chmod(root, 0o755)
        for f in fs:
            os.chmod(os.path.join(root, f), 0o644)

    mx = mxtest.Daemon(db, options={"scand_scan_roots": "%s %s" % (mxtest.TESTFILES, work)})
    conf = mxtest.clamdscan_conf(work, mx.socket)
    targets = [mxtest.TESTFILES, files]


def verdicts(out):
    """path -> signature or 'OK' (from clamscan/clamdscan output lines)."""
    v = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            path = m.group(1)
            v[path] = m.group(2) or ("OK" if m.group(3) is None else "ERROR " + m.group(3))
    return v


def test_modes(tap):
    want_run = subprocess.run(["clamscan", "-r", "--no-summary", "-d", db, "--alert-exceeds-max=yes"]
                              + targets, capture_output=True, text=True)
    want = verdicts(want_run.stdout)
    nfound = sum(1 for v in want.values() if v != "OK")
    tap.ok(nfound >= 40 and len(want) >= 50, "clamscan reference: %d files, %d infected"
           % (len(want), nfound), want_run.stdout[-2000:] + want_run.stderr[-2000:])

    for mode in ([], ["--stream"], ["--fdpass"], ["--multiscan"], ["--fdpass", "--multiscan"]):
        label = " ".join(mode) or "default (SCAN/CONTSCAN)"
        r = subprocess.run(["clamdscan", "-c", conf, "--no-summary"] + mode + targets,
                           capture_output=True, text=True, timeout=300)
        got = verdicts(r.stdout)
        infected = {p: v for p, v in got.items() if v != "OK"}
        want_inf = {p: v for p, v in want.items() if v != "OK"}
        diff = ["%s: clamscan %s, clamdscan %s" % (p, want_inf.get(p), infected.get(p))
                for p in sorted(set(want_inf) | set(infected)) if want_inf.get(p) != infected.get(p)]
        tap.ok(not diff, "clamdscan %s: every infected file and signature as clamscan" % label,
               "\n".join(diff[:30]) + "\n" + r.stderr[-1000:])
        tap.eq(r.returncode, 1, "clamdscan %s exits 1 (virus found)" % label)
        errs = [p for p, v in got.items() if v.startswith("ERROR")]
        tap.ok(not errs, "clamdscan %s: no errors" % label, errs)


def test_single_files(tap):
    """A clean file alone: exit 0 and "OK"; an infected one: exit 1."""
    r = subprocess.run(["clamdscan", "-c", conf, "--fdpass", os.path.join(files, "clean.txt")],
                       capture_output=True, text=True)
    tap.ok(r.returncode == 0 and ": OK" in r.stdout and "Infected files: 0" in r.stdout,
           "clean file: exit 0, OK, summary", r.stdout + r.stderr)
    r = subprocess.run(["clamdscan", "-c", conf, "--stream", os.path.join(files, "eicar.com")],
                       capture_output=True, text=True)
    tap.ok(r.returncode == 1 and "Infected files: 1" in r.stdout,
           "infected file: exit 1, summary counts it", r.stdout + r.stderr)
    r = subprocess.run(["clamdscan", "-c", conf, "--version"], capture_output=True, text=True)
    tap.ok(re.match(r"ClamAV \d+\.\d+\.\d+(/\d+/.+)?$", r.stdout.strip()) is not None,
           "clamdscan --version reads the daemon's VERSION", r.stdout)
    mx.stop()


if __name__ == "__main__":
    mxtest.run(globals())
