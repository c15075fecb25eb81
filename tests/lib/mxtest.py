"""mxtest - shared helpers for mxscan's integration tests (TAP output).

Every integration test is a python3 script that prints TAP through the
Tap class, starts the daemons it needs through Daemon/Clamd, waits for
readiness with the PING probe (never with sleeps), and cleans up on exit.
Paths come from MX_BUILDDIR / MX_SRCDIR (set by `make check`), falling
back to the source tree when run by hand.
"""
import atexit
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get("MX_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILDDIR = os.environ.get("MX_BUILDDIR") or SRCDIR
MXSCAND = os.path.join(BUILDDIR, "scanner", "mxscand")
MXSCAN = os.path.join(BUILDDIR, "wrappers", "mxscan", "mxscan")
TESTFILES = "/usr/share/clamav-testfiles"
SHARED_CVD = os.path.abspath(os.path.join(SRCDIR, "..", "shared", "testdata", "clamav-cvd"))

# The EICAR test string, assembled at run time so this file is not itself
# flagged by scanners.
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
# Hex of the EICAR string, as an .ndb body signature.
EICAR_HEX = EICAR.hex()
CLAM_EXE_MD5 = "aa15bcf478d165efd2065190eb473bcb"
# Signatures from .ndb/.hdb files outside ClamAV's official set are
# reported with the .UNOFFICIAL suffix, by clamd and mxscand alike.
EICAR_SIG = "Eicar-Test-Signature.UNOFFICIAL"
CLAM_EXE_SIG = "ClamAV-Test-File.UNOFFICIAL"


class Tap:
    """Minimal TAP producer: ok/not ok lines, plan at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond and diag is not None:
            for line in str(diag).splitlines() or [""]:
                print("# " + line, flush=True)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got:  %r\nwant: %r" % (got, want))

    def skip(self, name):
        """One test not run here (TAP: ok with a SKIP directive)."""
        self.n += 1
        print("ok %d - # SKIP %s" % (self.n, name), flush=True)

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line, flush=True)

    @staticmethod
    def skip_all(reason):
        print("1..0 # SKIP %s" % reason, flush=True)
        sys.exit(0)

    def done(self):
        # A daemon that exited badly (a sanitizer report at exit, a crash)
        # fails the test that ran it.
        stopped = [d for d in DAEMONS if d.proc.poll() is not None]
        bad = [(d.proc.returncode, d.logtext()[-3000:]) for d in stopped
               if d.proc.returncode != 0]
        if stopped:
            self.ok(not bad, "every mxscand this test stopped exited 0",
                    "\n".join("exit %s:\n%s" % b for b in bad))
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def need_root_tools(tap_reason_tools):
    """Skip the whole test when a program it drives is not installed."""
    missing = [t for t in tap_reason_tools if shutil.which(t) is None]
    if missing:
        Tap.skip_all("missing programs: " + ", ".join(missing))


TMPDIRS = []


def tmpdir(prefix="mxtest"):
    """A private directory, removed when the test ends (MX_KEEP=1 keeps
    every one, for a post-mortem)."""
    d = tempfile.mkdtemp(prefix=prefix + ".")
    os.chmod(d, 0o755)
    TMPDIRS.append(d)
    return d


def _cleanup():
    for d in DAEMONS:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
    if os.environ.get("MX_KEEP") != "1":
        for d in TMPDIRS:
            shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def make_test_db(dirpath, extra_ndb=()):
    """A small database: EICAR (body sig) and clam.exe (hash sig), plus
    optional extra (name, hex) body signatures."""
    os.makedirs(dirpath, exist_ok=True)
    with open(os.path.join(dirpath, "test.ndb"), "w") as f:
        f.write("Eicar-Test-Signature:0:*:%s\n" % EICAR_HEX)
        for name, hexsig in extra_ndb:
            f.write("%s:0:*:%s\n" % (name, hexsig))
    with open(os.path.join(dirpath, "test.hdb"), "w") as f:
        f.write("%s:544:ClamAV-Test-File\n" % CLAM_EXE_MD5)
    return dirpath


# --- raw protocol helpers -------------------------------------------------

def connect(path, timeout=10.0):
    """Connect to a UNIX socket; a full listen backlog (EAGAIN) is waited
    out, as a blocking client would wait in it."""
    end = time.time() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.time() > end:
                raise
            time.sleep(0.005)  # backlog full: retry interval


def connect_tcp(hostport, timeout=10.0):
    host, port = hostport.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def recv_all(s, limit=1 << 24):
    """Read until the peer closes (or times out); returns bytes."""
    out = b""
    try:
        while len(out) < limit:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def recv_until(s, term, limit=1 << 24):
    out = b""
    while not out.endswith(term) and len(out) < limit:
        b = s.recv(1)
        if not b:
            break
        out += b
    return out


def instream_bytes(data, chunk=65536):
    out = b""
    for i in range(0, len(data), chunk):
        piece = data[i:i + chunk]
        out += struct.pack(">I", len(piece)) + piece
    return out + struct.pack(">I", 0)


def request(path, payload, timeout=30.0, tcp=False):
    """Send PAYLOAD on a fresh connection and return everything replied."""
    s = connect_tcp(path, timeout) if tcp else connect(path, timeout)
    try:
        s.sendall(payload)
        return recv_all(s)
    finally:
        s.close()


def fildes(path, file, prefix=b"zFILDES\0", data_after=b""):
    """FILDES of FILE on a fresh connection: PREFIX, then the descriptor
    with clamdscan's one-byte payload (plus DATA_AFTER in the same
    message); returns everything replied."""
    s = connect(path, 10)
    try:
        s.sendall(prefix)
        fd = os.open(file, os.O_RDONLY)
        try:
            socket.send_fds(s, [b"\0" + data_after], [fd])
        finally:
            os.close(fd)
        return recv_all(s)
    finally:
        s.close()


def ping(path, tcp=False):
    try:
        return request(path, b"zPING\0", timeout=2.0, tcp=tcp) == b"PONG\0"
    except OSError:
        return False


def wait_ready(path, timeout=120.0, proc=None, tcp=False):
    """Wait until PING answers PONG (the readiness probe)."""
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("daemon exited with %s before it was ready" % proc.returncode)
        if ping(path, tcp):
            return True
        time.sleep(0.05)  # poll interval of the probe, not a synchronisation sleep
    raise RuntimeError("daemon not ready after %ss" % timeout)


def health(path):
    """HEALTH as a dict (keys and values as strings)."""
    raw = request(path, b"zHEALTH\0").rstrip(b"\0").decode("utf-8", "replace")
    out = {}
    for line in raw.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


# --- daemons --------------------------------------------------------------

DAEMONS = []


def stop_process(proc, timeout=30):
    """SIGTERM, up to TIMEOUT seconds to exit, then SIGKILL; the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Daemon:
    """An mxscand in the foreground on a private socket."""

    def __init__(self, dbroot, workdir=None, options=None, wait=True, env=None):
        DAEMONS.append(self)
        self.dir = workdir or tmpdir("mxscand")
        self.socket = os.path.join(self.dir, "mxscand.sock")
        self.log = os.path.join(self.dir, "mxscand.log")
        opts = {
            "database_root": dbroot,
            "scand_socket": self.socket,
            "scand_user": "",
            "scand_temp_dir": self.dir,
            "scand_scan_roots": "/tmp /usr/share/clamav-testfiles " + self.dir,
            "scand_threads": "4",
        }
        opts.update(options or {})
        self.options = opts
        conf = os.path.join(self.dir, "mxscan.conf")
        with open(conf, "w") as f:
            for k, v in opts.items():
                f.write("%s = %s\n" % (k, v))
        self.conf = conf
        cmd = [MXSCAND, "-f", "-c", conf]
        if os.environ.get("MX_VALGRIND"):
            cmd = ["valgrind", "-q", "--error-exitcode=99"] + cmd
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT, env=env)
        if wait:
            wait_ready(self.socket, proc=self.proc)

    def request(self, payload, timeout=30.0):
        return request(self.socket, payload, timeout)

    def health(self):
        return health(self.socket)

    def rss_kb(self):
        return proc_rss_kb(self.proc.pid)

    def stop(self):
        stop_process(self.proc)
        if not self.logf.closed:
            self.logf.close()
        return self.proc.returncode

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_health(self, pred, timeout=60, interval=0.05):
        """Poll HEALTH until PRED(fields) holds; those fields, or None once
        TIMEOUT has passed."""
        end = time.time() + timeout
        while time.time() < end:
            h = self.health()
            if pred(h):
                return h
            time.sleep(interval)  # poll interval of the HEALTH probe
        return None


class Clamd:
    """A stock clamd (Debian's clamav-daemon) on a private socket."""

    def __init__(self, dbdir, workdir=None, extra=None, wait=True):
        self.dir = workdir or tmpdir("clamd")
        self.socket = os.path.join(self.dir, "clamd.sock")
        self.conf = os.path.join(self.dir, "clamd.conf")
        lines = [
            "Foreground yes",
            "LocalSocket %s" % self.socket,
            "DatabaseDirectory %s" % dbdir,
            "User root",
            "LogFile %s" % os.path.join(self.dir, "clamd.log"),
            "TemporaryDirectory %s" % self.dir,
            "PidFile %s" % os.path.join(self.dir, "clamd.pid"),
        ]
        lines += list(extra or [])
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = subprocess.Popen(["clamd", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if wait:
            wait_ready(self.socket, proc=self.proc)

    def request(self, payload, timeout=30.0):
        return request(self.socket, payload, timeout)

    def rss_kb(self):
        return proc_rss_kb(self.proc.pid)

    def stop(self):
        stop_process(self.proc)


def proc_rss_kb(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def clamdscan_conf(dirpath, socket_path):
    """A clamd.conf that points clamdscan at SOCKET_PATH."""
    conf = os.path.join(dirpath, "clamdscan.conf")
    with open(conf, "w") as f:
        f.write("LocalSocket %s\n" % socket_path)
    return conf


def free_port():
    """A loopback TCP port nobody listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)


def wait_for(pred, timeout):
    """Poll PRED (a probe such as HEALTH) until it holds or TIMEOUT passes."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.05)  # probe interval
    return False
