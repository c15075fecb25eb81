#!/usr/bin/env python3
"""t_mxscan - the mxscan CLI against mxscand and against stock clamd.

Every transfer mode (automatic, --stream, --fdpass, --path, stdin) gives
the right verdict and exit status (0 clean, 1 infected, 2 error) with
both daemons; scanner_endpoints failover skips dead UNIX and TCP
endpoints; an unreachable scanner is exit 2 and never "OK"; a pipe is
not replayed to a second scanner after a failure; the administrative
options (--ping, --health, --stats, --scanner-version, --reload) work."""
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402

mxtest.need_root_tools(["clamd"])
tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global cd, clean, dirty, files, mx, work
    work = mxtest.tmpdir("tmxscan")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    files = os.path.join(work, "files")
    os.makedirs(files)
    os.chmod(files, 0o755)
    clean = os.path.join(files, "clean.txt")
    dirty = os.path.join(files, "eicar.txt")
    with open(clean, "wb") as f:
        f.write(b"plain text\n" * 300)
    with open(dirty, "wb") as f:
        f.write(b"head " + mxtest.EICAR)
    mx = mxtest.Daemon(db, options={"scand_scan_roots": work})
    cd = mxtest.Clamd(db)


def run(endpoints, *args, stdin=None, timeout=60):
    cmd = [mxtest.MXSCAN, "-c", "/dev/null", "-o", "scanner_endpoints=" + endpoints,
           "-o", "scanner_connect_timeout=2s", "-o", "scanner_timeout=10s"] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)


def test_modes(tap):
    """Every transfer mode and the administrative options, with mxscand
    and with clamd."""
    for name, sock in (("mxscand", mx.socket), ("clamd", cd.socket)):
        ep = "unix:" + sock
        for mode in ([], ["--stream"], ["--fdpass"], ["--path"]):
            label = "%s %s" % (name, " ".join(mode) or "auto")
            r = run(ep, *(mode + [clean]))
            tap.ok(r.returncode == 0 and r.stdout.decode().strip() == clean + ": OK", label + ": clean, exit 0",
                   r.stdout + r.stderr)
            r = run(ep, *(mode + [dirty]))
            tap.ok(r.returncode == 1 and r.stdout.decode().strip() == "%s: %s FOUND" % (dirty, mxtest.EICAR_SIG),
                   label + ": infected, exit 1", r.stdout + r.stderr)
        r = run(ep, "-", stdin=b"x" + mxtest.EICAR)
        tap.ok(r.returncode == 1 and mxtest.EICAR_SIG.encode() in r.stdout, name + ": stdin", r.stdout + r.stderr)
        r = run(ep, "-q", clean, dirty)
        tap.ok(r.returncode == 1 and r.stdout.decode().count("\n") == 1 and b"FOUND" in r.stdout,
               name + ": -q prints only the infected file", r.stdout)
        r = run(ep, clean, os.path.join(files, "missing"))
        tap.ok(r.returncode == 2, name + ": a missing file is exit 2", r.stdout + r.stderr)
        r = run(ep, "--ping")
        tap.ok(r.returncode == 0, name + ": --ping", r.stdout + r.stderr)
        r = run(ep, "--scanner-version")
        tap.ok(r.returncode == 0 and r.stdout.startswith(b"ClamAV "), name + ": --scanner-version", r.stdout)
        r = run(ep, "--stats")
        tap.ok(r.returncode == 0 and b"POOLS:" in r.stdout, name + ": --stats", r.stdout)


def test_admin(tap):
    """HEALTH and RELOAD, which only mxscand has."""
    r = run("unix:" + mx.socket, "--health")
    tap.ok(r.returncode == 0 and b"engine_generation:" in r.stdout, "mxscand: --health", r.stdout)
    r = run("unix:" + cd.socket, "--health")
    tap.ok(r.returncode == 2, "clamd has no HEALTH: exit 2", r.stdout + r.stderr)
    gen = int(mx.health()["engine_generation"])
    r = run("unix:" + mx.socket, "--reload")
    tap.ok(r.returncode == 0 and mxtest.wait_for(lambda: int(mx.health()["engine_generation"]) > gen, 30),
           "--reload loads a new engine generation", r.stdout + r.stderr)


def test_failover(tap):
    """Failover."""
    dead_unix = "unix:" + os.path.join(work, "nothing.sock")
    dead_tcp = "tcp:127.0.0.1:%d" % mxtest.free_port()
    eps = ",".join([dead_unix, dead_tcp, "unix:" + mx.socket])
    r = run(eps, dirty)
    tap.ok(r.returncode == 1 and mxtest.EICAR_SIG.encode() in r.stdout, "failover past dead UNIX and TCP endpoints",
           r.stdout + r.stderr)
    r = run(",".join([dead_unix, "unix:" + cd.socket]), "--fdpass", dirty)
    tap.ok(r.returncode == 1, "failover to stock clamd", r.stdout + r.stderr)
    r = run(",".join([dead_unix, dead_tcp]), dirty)
    tap.ok(r.returncode == 2 and b"OK" not in r.stdout and r.stdout.rstrip().endswith(b"ERROR"),
           "no scanner reachable: exit 2, an ERROR line, never OK",
           r.stdout + r.stderr)


def test_no_replay(tap):
    """A pipe is not replayed to the next scanner after a failure."""
    # A scanner that accepts and then drops the connection after reading a
    # little: a pipe must not be replayed to the next endpoint (it would get a
    # truncated stream and could call it clean).
    lsock = socket.socket(socket.AF_UNIX)
    bad = os.path.join(work, "bad.sock")
    lsock.bind(bad)
    lsock.listen(5)

    def bad_server():
        while True:
            try:
                c, _ = lsock.accept()
            except OSError:
                return
            c.recv(100000)
            c.close()

    threading.Thread(target=bad_server, daemon=True).start()
    payload = b"A" * 300000 + mxtest.EICAR
    r = run(",".join(["unix:" + bad, "unix:" + mx.socket]), "--stream", "-", stdin=payload)
    tap.ok(r.returncode != 0 and b": OK" not in r.stdout,
           "half-read stdin is not replayed to the next scanner (never a false OK)", r.stdout + r.stderr)
    r = run(",".join(["unix:" + bad, "unix:" + mx.socket]), "--stream", dirty)
    tap.ok(r.returncode == 1, "a regular file is rewound and fails over", r.stdout + r.stderr)
    lsock.close()

    mx.stop()
    cd.stop()
    mxtest.rmtree(work)


if __name__ == "__main__":
    mxtest.run(globals())
