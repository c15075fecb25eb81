#!/usr/bin/env python3
"""t_clamdconf - mxscand reads clamd's own clamd.conf (mxscand -C).

1. Debian's stock clamd.conf (the copy in tests/data, and the installed
   /etc/clamav/clamd.conf when clamav-daemon is installed) loads with
   `mxscand -C FILE -n`: exit 0, no error, one "# FILE:LINE: Key value ->"
   line per key of the file, and the mapped settings printed as
   mxscan.conf lines (each compared with the value in the file).
2. A refused key and an unknown key stop mxscand with an error naming
   the file, the line and the key; an ignored key is a warning naming
   them.
3. A daemon started with -C serves on the clamd.conf's LocalSocket with
   its LocalSocketMode, and ClamAV's clamdscan, given the same file,
   finds EICAR through it; MaxThreads shows in STATS, and an -o override
   wins over the clamd.conf (STATS shows it instead)."""
import os
import shutil
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402

tap = mxtest.Tap()
DEBIAN = os.path.join(mxtest.SRCDIR, "tests", "data", "debian-clamd.conf")

# What Debian's stock file must become (key in the file -> parameter = value).
EXPECT = {
    "LocalSocket": ("scand_socket", "/var/run/clamav/clamd.ctl"),
    "LocalSocketGroup": ("scand_socket_group", "clamav"),
    "LocalSocketMode": ("scand_socket_mode", "0666"),
    "User": ("scand_user", "clamav"),
    "DatabaseDirectory": ("database_root", "/var/lib/clamav"),
    "MaxThreads": ("scand_threads", "12"),
    "MaxQueue": ("scand_queue_max", "100"),
    "MaxConnectionQueueLength": ("scand_listen_backlog", "15"),
    "ReadTimeout": ("scand_idle_timeout", "180s"),
    "CommandReadTimeout": ("scand_command_timeout", "30s"),
    "SendBufTimeout": ("scand_send_timeout", "200ms"),
    "StreamMaxLength": ("scand_stream_max_length", "25m"),
    "MaxFileSize": ("scand_max_filesize", "25m"),
    "MaxScanSize": ("scand_max_scansize", "100m"),
    "MaxRecursion": ("scand_max_recursion", "16"),
    "SelfCheck": ("scand_db_check_interval", "3600s"),
    "BytecodeTimeout": ("scand_bytecode_timeout", "60000ms"),
    "PCREMatchLimit": ("scand_pcre_match_limit", "10000"),
}


def mxscand(*args):
    return subprocess.run([mxtest.MXSCAND] + list(args), capture_output=True, text=True)


def keys_of(path):
    """(line number, key, value) of every key line of a clamd.conf."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            t = line.strip()
            if t and not t.startswith("#"):
                k, _, v = t.partition(" ")
                out.append((n, k, v.strip()))
    return out


def check_stock(tap, path, exact):
    r = mxscand("-C", path, "-n")
    errors = [l for l in r.stderr.splitlines() if ": warning: " not in l]
    tap.ok(r.returncode == 0 and not errors,
           "mxscand -C %s -n loads it with no error (warnings only)" % path, r.stderr)
    comments = [l for l in r.stdout.splitlines() if l.startswith("# ")]
    settings = dict(l.split(" = ", 1) for l in r.stdout.splitlines()
                    if " = " in l and not l.startswith("#"))
    missing = ["%d %s" % (n, k) for n, k, v in keys_of(path)
               if not any(c.startswith("# %s:%d: %s " % (path, n, k)) for c in comments)]
    tap.ok(not missing, "%s: -n prints a mapping line for every key" % path, missing)
    tap.eq(settings.get("scand_clamd_config"), path, "%s: -n names the file read" % path)
    if exact:
        # Each mapping line, and the setting itself unless it is the default.
        bad = ["%s: %s" % (k, p) for k, (p, v) in EXPECT.items()
               if not any(c.endswith(" -> %s = %s" % (p, v)) and (" %s " % k) in c
                          for c in comments)
               or settings.get(p, v) != v]
        tap.ok(not bad, "%s: the mapped settings are printed with the file's values" % path, bad)
        tap.eq(settings.get("scand_threads"), "12", "%s: MaxThreads 12 is scand_threads = 12" % path)
    else:
        # The installed file may be reconfigured: compare with its own lines.
        vals = {k: v for n, k, v in keys_of(path)}
        bad = []
        for k, (p, v) in EXPECT.items():
            if k in vals and k in ("LocalSocket", "User", "DatabaseDirectory", "MaxThreads"):
                if settings.get(p) != vals[k]:
                    bad.append("%s %s: %s=%r" % (k, vals[k], p, settings.get(p)))
        tap.ok(not bad, "%s: the mapped settings follow the file" % path, bad)
    return r


def test_debian_stock(tap):
    r = check_stock(tap, DEBIAN, True)
    tap.ok(("%s:80: LogFile ignored" % DEBIAN) in r.stderr,
           "an ignored key (LogFile) is a warning naming file:line", r.stderr)
    if os.path.exists("/etc/clamav/clamd.conf"):
        check_stock(tap, "/etc/clamav/clamd.conf", False)
    else:
        tap.skip("installed /etc/clamav/clamd.conf # SKIP clamav-daemon is not installed")


def test_refused(tap):
    d = mxtest.tmpdir("tclamdconf")
    conf = os.path.join(d, "clamd.conf")
    for line, key in (("VirusEvent /bin/true", "VirusEvent"), ("ScanPE no", "ScanPE"),
                      ("MaxThreds 4", "MaxThreds"), ("MaxThreads 0", "MaxThreads")):
        with open(conf, "w") as f:
            f.write("# test\nLocalSocket %s/s\n%s\n" % (d, line))
        r = mxscand("-C", conf, "-n")
        tap.ok(r.returncode != 0 and ("%s:3: %s:" % (conf, key)) in r.stderr and r.stdout == "",
               "%r is an error naming file:line and key" % line, r.stderr)
    # scand_clamd_config in mxscan.conf does the same as -C.
    with open(conf, "w") as f:
        f.write("MaxThreads 3\n")
    mx = os.path.join(d, "mxscan.conf")
    with open(mx, "w") as f:
        f.write("scand_clamd_config = %s\n" % conf)
    r = mxscand("-c", mx, "-n")
    tap.ok(r.returncode == 0 and "scand_threads = 3" in r.stdout,
           "scand_clamd_config in mxscan.conf reads the clamd.conf", r.stdout + r.stderr)


def stats_max_threads(sock):
    out = mxtest.request(sock, b"zSTATS\0").decode("utf-8", "replace")
    for line in out.splitlines():
        if line.startswith("THREADS:"):
            return line.split("max")[1].split()[0]
    return None


def test_daemon(tap):
    if shutil.which("clamdscan") is None:
        tap.skip("daemon started with -C # SKIP clamdscan is not installed")
        return
    d = mxtest.tmpdir("tclamdconf-run")
    db = mxtest.make_test_db(os.path.join(d, "db"))
    sock = os.path.join(d, "run", "clamd.ctl")
    conf = os.path.join(d, "clamd.conf")
    with open(conf, "w") as f:
        f.write("LocalSocket %s\nLocalSocketMode 640\nFixStaleSocket true\nMaxThreads 3\n"
                "DatabaseDirectory %s\nTemporaryDirectory %s\nSelfCheck 0\nLogFile %s/x.log\n"
                % (sock, db, d, d))
    # The daemon must not drop to "clamav" here: -o wins over the file.
    p = mxtest.spawn([mxtest.MXSCAND, "-f", "-c", "/dev/null", "-C", conf, "-o", "scand_user=",
                      "-o", "scand_scan_roots=" + d],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mxtest.wait_ready(sock, proc=p)
    tap.eq(oct(stat.S_IMODE(os.stat(sock).st_mode)), "0o640",
           "the daemon listens on LocalSocket with LocalSocketMode")
    tap.eq(stats_max_threads(sock), "3", "MaxThreads sets the scan threads (STATS)")
    eicar = os.path.join(d, "eicar.txt")
    with open(eicar, "wb") as f:
        f.write(mxtest.EICAR)
    r = subprocess.run(["clamdscan", "--config-file=" + conf, "--no-summary", "--stream", eicar],
                       capture_output=True, text=True)
    tap.ok(r.returncode == 1 and "Eicar-Test-Signature.UNOFFICIAL FOUND" in r.stdout,
           "clamdscan with the same clamd.conf finds EICAR through mxscand", r.stdout + r.stderr)
    mxtest.stop_process(p)

    p = mxtest.spawn([mxtest.MXSCAND, "-f", "-c", "/dev/null", "-o", "scand_user=", "-C", conf,
                      "-o", "scand_threads=2"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mxtest.wait_ready(sock, proc=p)
    tap.eq(stats_max_threads(sock), "2", "an -o override wins over the clamd.conf")
    mxtest.stop_process(p)


def test_debian_dropin(tap):
    """The drop-in's ExecStart runs, and under socket activation (as
    clamav-daemon.socket starts clamd) mxscand serves on the socket
    systemd passes instead of binding its own."""
    dropin = os.path.join(mxtest.SRCDIR, "scripts", "debian", "clamav-daemon.service.d",
                          "mxscand.conf")
    starts = [l.split("=", 1)[1].split() for l in open(dropin) if l.startswith("ExecStart=")]
    argv = [a for a in starts[-1]]
    tap.ok(argv[0].endswith("/mxscand") and "-C" in argv and "/etc/clamav/clamd.conf" in argv,
           "the drop-in runs mxscand -C /etc/clamav/clamd.conf", argv)
    argv = [mxtest.MXSCAND] + [DEBIAN if a == "/etc/clamav/clamd.conf" else a for a in argv[1:]]
    r = subprocess.run(argv + ["-n"], capture_output=True, text=True)
    tap.ok(r.returncode == 0 and "scand_socket = /var/run/clamav/clamd.ctl" in r.stdout,
           "its command line loads Debian's clamd.conf", r.stdout + r.stderr)

    if shutil.which("systemd-socket-activate") is None:
        tap.skip("socket activation # SKIP systemd-socket-activate is not installed")
        return
    d = mxtest.tmpdir("tclamdconf-sd")
    db = mxtest.make_test_db(os.path.join(d, "db"))
    sock = os.path.join(d, "clamd.ctl")
    conf = os.path.join(d, "clamd.conf")
    with open(conf, "w") as f:
        # LocalSocket through a symlinked directory, as Debian's /var/run.
        os.symlink(d, os.path.join(d, "varrun"))
        f.write("LocalSocket %s/varrun/clamd.ctl\nDatabaseDirectory %s\nTemporaryDirectory %s\n"
                "SelfCheck 0\n" % (d, db, d))
    log = os.path.join(d, "mxscand.log")
    with open(log, "wb") as lf:
        p = mxtest.spawn(["systemd-socket-activate", "-l", sock, mxtest.MXSCAND, "-f",
                          "-c", "/dev/null", "-C", conf, "-o", "scand_user="],
                         stdout=lf, stderr=subprocess.STDOUT)
    mxtest.wait_for(lambda: os.path.exists(sock), 30)
    ino = os.stat(sock).st_ino
    mxtest.wait_ready(sock, proc=p)
    text = open(log, encoding="utf-8", errors="replace").read()
    tap.ok("(passed by systemd)" in text and os.stat(sock).st_ino == ino,
           "mxscand serves on the socket systemd passed (not a new one)", text)
    tap.eq(mxtest.request(sock, b"zINSTREAM\0" + mxtest.instream_bytes(mxtest.EICAR)),
           b"stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0", "and scans through it")
    mxtest.stop_process(p)


if __name__ == "__main__":
    mxtest.run(globals())
