#!/usr/bin/env python3
"""t_security - mxscand's secure defaults.

The UNIX socket is created 0660 (scand_socket_mode) with the configured
group; no TCP listener exists unless scand_tcp_listen is set, and one that
is set listens where told; a daemon started as root runs as scand_user
after binding (real, effective and saved ids, supplementary groups), keeps
its spool in a private 0700 directory, refuses path scans outside
scand_scan_roots (also through symbolic links), and scans a file the
daemon user may not read only through a passed descriptor."""
import os
import pwd
import grp
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

tap = mxtest.Tap()
if os.geteuid() != 0:
    Tap = mxtest.Tap
    Tap.skip_all("needs root to test the privilege drop")


@mxtest.setup
def start(tap):
    global FOUND, db, work
    work = mxtest.tmpdir("tsecurity")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    for f in os.listdir(db):
        os.chmod(os.path.join(db, f), 0o644)
    FOUND = b"stream: %s FOUND\0" % mxtest.EICAR_SIG.encode()


def listening_tcp(pid):
    """Local addresses of TCP sockets PID listens on (from /proc)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.add(t[8:-1])
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                p = line.split()
                if p[3] == "0A" and p[9] in inodes:
                    out.append(p[1])
    return out


def test_defaults(tap):
    """Defaults, as root, dropping to nobody."""
    global mx
    mx = mxtest.Daemon(db, options={"scand_user": "nobody", "scand_socket_group": "nogroup",
                                    "scand_temp_dir": "/tmp",
                                    "scand_scan_roots": work})
    st = os.stat(mx.socket)
    tap.eq(stat.S_IMODE(st.st_mode), 0o660, "UNIX socket mode is 0660")
    tap.eq(grp.getgrgid(st.st_gid).gr_name, "nogroup", "UNIX socket group is scand_socket_group")
    tap.eq(listening_tcp(mx.proc.pid), [], "no TCP listener by default")
    status = {}
    with open("/proc/%d/status" % mx.proc.pid) as f:
        for line in f:
            k, v = line.split(":", 1)
            status[k] = v.split()
    nobody = pwd.getpwnam("nobody")
    tap.eq(status["Uid"], [str(nobody.pw_uid)] * 4, "real, effective, saved and fs uid are scand_user's")
    tap.eq(status["Gid"], [str(nobody.pw_gid)] * 4, "all gids are scand_user's group")
    tap.eq(status["Groups"], [str(nobody.pw_gid)], "supplementary groups reduced to that group")
    threads = os.listdir("/proc/%d/task" % mx.proc.pid)
    uids = set()
    for t in threads:
        with open("/proc/%d/task/%s/status" % (mx.proc.pid, t)) as f:
            uids.update(l.split()[1] for l in f if l.startswith("Uid:"))
    tap.eq(uids, {str(nobody.pw_uid)}, "every thread (%d) runs as scand_user" % len(threads))
    spools = [d for d in os.listdir("/tmp") if d.startswith("mxscand.")
              and os.stat(os.path.join("/tmp", d)).st_uid == nobody.pw_uid]
    tap.ok(len(spools) >= 1 and all(stat.S_IMODE(os.stat(os.path.join("/tmp", d)).st_mode) == 0o700
                                    for d in spools), "private spool directory is 0700 and owned by scand_user",
           spools)
    # Large streams spool to the private directory (O_TMPFILE: no name to find).
    big = EICAR + b"B" * (9 << 20)
    tap.eq(mx.request(b"zINSTREAM\0" + instream_bytes(big)), FOUND, "spooled stream (9 MB) scanned as scand_user")


def test_path_scans(tap):
    """Path scans."""
    inside = os.path.join(work, "inside")
    os.makedirs(inside)
    os.chmod(inside, 0o755)
    with open(os.path.join(inside, "e.txt"), "wb") as f:
        f.write(EICAR)
    os.chmod(os.path.join(inside, "e.txt"), 0o644)
    os.symlink("/etc/passwd", os.path.join(inside, "link-out"))
    r = mx.request(b"zSCAN %s\0" % os.path.join(inside, "e.txt").encode())
    tap.ok(r.endswith(b"FOUND\0"), "path scan inside scand_scan_roots works", r)
    r = mx.request(b"zSCAN /etc/passwd\0")
    tap.ok(b"scand_scan_roots" in r and r.endswith(b"ERROR\0"), "path outside the roots refused", r)
    r = mx.request(b"zSCAN %s\0" % os.path.join(inside, "link-out").encode())
    tap.ok(r.endswith(b"ERROR\0"), "symbolic link leading out of the roots refused", r)
    r = mx.request(b"zSCAN %s/../../etc/passwd\0" % inside.encode())
    tap.ok(r.endswith(b"ERROR\0"), "'..' leading out of the roots refused", r)
    # A root-only file: the daemon cannot open it by path, but FILDES works.
    secret = os.path.join(inside, "secret")
    with open(secret, "wb") as f:
        f.write(EICAR)
    os.chmod(secret, 0o600)
    r = mx.request(b"zSCAN %s\0" % secret.encode())
    tap.ok(r.endswith(b"ERROR\0") and b"FOUND" not in r, "root-only file unreadable to the daemon by path", r)
    r = subprocess.run([mxtest.MXSCAN, "-o", "scanner_endpoints=unix:" + mx.socket, "--fdpass", secret],
                       capture_output=True, text=True)
    tap.ok(r.returncode == 1 and mxtest.EICAR_SIG in r.stdout, "the same file scanned through FILDES",
           r.stdout + r.stderr)
    mx.stop()


def test_tcp(tap):
    """TCP on loopback when asked, admin commands off."""
    global mx
    port = mxtest.free_port()
    mx = mxtest.Daemon(db, options={"scand_tcp_listen": "127.0.0.1:%d" % port})
    tap.eq(listening_tcp(mx.proc.pid), ["0100007F:%04X" % port], "TCP listener only where configured")
    tap.eq(mxtest.request("127.0.0.1:%d" % port, b"zSHUTDOWN\0", tcp=True), b"COMMAND UNAVAILABLE\0",
           "admin commands off on TCP by default")
    mx.stop()
    mxtest.rmtree(work)


if __name__ == "__main__":
    mxtest.run(globals())
