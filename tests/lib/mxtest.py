"""mxtest - shared helpers for mxscan's integration tests (TAP output).

Every integration test is a python3 script made of test functions run by
one runner (run() below), which prints TAP through the Tap class.  A test
starts the daemons it needs through Daemon/Clamd, waits for readiness with
the PING probe (never with sleeps), and proves that something did not
happen with a positive signal (a marker that must arrive after it, a log
line, a counter), never by waiting out a time-out.

The shape of a test file:

    tap = mxtest.Tap()

    @mxtest.setup                 # the later functions need what it starts
    def start(tap):
        global mx
        mx = mxtest.Daemon(mxtest.make_test_db(mxtest.tmpdir("x")))

    def test_ping(tap):
        tap.eq(mx.request(b"zPING\0"), b"PONG\0", "PING answers PONG")

    if __name__ == "__main__":
        mxtest.run(globals())

Cleanup has one mechanism, the registry below (on_cleanup): temp dirs,
daemons, helper servers and child processes register themselves when they
are made; the registry is drained last first when the test ends (normal
end, exception, SIGTERM or SIGHUP), and the runner drains what a test
function registered when that function raises.  Paths come from
MX_BUILDDIR / MX_SRCDIR (set by `make check`), falling back to the source
tree when run by hand.
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
import traceback

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
        """The whole test is not run here: the plan 1..0 with a SKIP
        directive, and exit 0.  Only before the first test point."""
        print("1..0 # SKIP %s" % reason, flush=True)
        raise SkipAll(0)

    def finish(self):
        """The closing test point and the plan: a daemon that exited badly
        (a sanitizer report at exit, a crash) fails the test that ran it;
        daemons killed by the cleanup registry are not counted."""
        stopped = [d for d in DAEMONS if d.proc.poll() is not None and not d.reaped]
        bad = [(d.proc.returncode, d.logtext()[-3000:]) for d in stopped
               if d.proc.returncode != 0]
        if stopped:
            self.ok(not bad, "every mxscand this test stopped exited 0",
                    "\n".join("exit %s:\n%s" % b for b in bad))
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0

    def done(self):
        """finish(), then exit (the end of a script that does not use run())."""
        sys.exit(self.finish())


class SkipAll(SystemExit):
    """Raised by Tap.skip_all: the runner lets it through."""


class Stop(Exception):
    """Raised by a test function that has reported its own failure (a
    not ok line) when the functions after it cannot run without what
    failed: the runner adds no test point, drains what the function
    registered for cleanup and runs nothing more."""


def setup(fn):
    """Decorator: FN starts what the later test functions use; run() runs
    it whatever its name, and stops the run when it raises."""
    fn.mx_setup = True
    return fn


def _test_functions(tests):
    if isinstance(tests, dict):
        mod = tests.get("__name__")
        return [v for k, v in tests.items()
                if callable(v) and getattr(v, "__module__", None) == mod
                and (k.startswith("test_") or getattr(v, "mx_setup", False))]
    return list(tests)


def run(tests, tap=None):
    """The runner: call each test function with TAP, in definition order,
    print the plan and exit (1 if a test point failed).

    TESTS is a module's globals() (its functions named test_* and those
    marked @setup, in the order they are defined) or a list of functions.
    TAP defaults to the namespace's own `tap` (a Tap), so helpers that
    report through that global report into the same numbering.

    A function that raises gets one `not ok` line naming it and the
    exception, the traceback as # comments; what it registered for
    cleanup is drained (last first) and the next function runs.  After a
    @setup function raises, or a Stop, or an interrupt (Ctrl-C, SIGTERM,
    SIGHUP) the remaining functions are not run (a # line names them),
    since they would only fail for want of what it starts.  The plan 1..N
    is printed in every case, then the whole registry is drained.
    MX_TIMES=1 adds a # line with each function's duration."""
    if tap is None and isinstance(tests, dict) and isinstance(tests.get("tap"), Tap):
        tap = tests["tap"]
    tap = tap or Tap()
    fns = _test_functions(tests)
    timed = os.environ.get("MX_TIMES") == "1"
    for i, fn in enumerate(fns):
        mark = len(_CLEANUPS)
        t0 = time.time()
        try:
            fn(tap)
            if timed:
                tap.diag("%s: %.2f s" % (fn.__name__, time.time() - t0))
            continue
        except SkipAll:
            raise
        except Stop as e:
            tap.diag("stopped in %s: %s" % (fn.__name__, e))
            stop = True
        except BaseException as e:  # noqa: BLE001 - reported as a TAP failure
            first = (str(e).splitlines() or [""])[0]
            tap.ok(False, "%s raised %s%s" % (fn.__name__, type(e).__name__,
                                              ": " + first if first else ""),
                   traceback.format_exc())
            stop = (getattr(fn, "mx_setup", False)
                    or isinstance(e, (KeyboardInterrupt, SystemExit)))
        run_cleanups(mark)
        if stop:
            rest = [f.__name__ for f in fns[i + 1:]]
            if rest:
                tap.diag("not run: " + ", ".join(rest))
            break
    status = tap.finish()
    run_cleanups()
    sys.exit(status)


def need_root_tools(tap_reason_tools):
    """Skip the whole test when a program it drives is not installed."""
    missing = [t for t in tap_reason_tools if shutil.which(t) is None]
    if missing:
        Tap.skip_all("missing programs: " + ", ".join(missing))


# --- cleanup: the one registry ------------------------------------------------

_CLEANUPS = []


def on_cleanup(fn, *args):
    """Register FN(*ARGS) to run when the test ends, or when the runner's
    test function that registered it raises; the last registered runs
    first, and an error in one does not stop the others.  Every cleanup
    must be harmless when what it undoes is already gone.  Returns FN."""
    _CLEANUPS.append((fn, args))
    return fn


def run_cleanups(mark=0):
    """Drain the registry down to MARK entries (all by default), last
    registered first."""
    while len(_CLEANUPS) > mark:
        fn, args = _CLEANUPS.pop()
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - cleanup must go on
            print("# cleanup %s failed: %r" % (getattr(fn, "__name__", fn), e), flush=True)


def _on_signal(signum, _frame):
    # make check's time-out, or a terminal hang-up: unwind (finally blocks,
    # the runner, atexit) so the registry is drained.
    raise SystemExit(128 + signum)


atexit.register(run_cleanups)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    try:
        if signal.getsignal(_sig) == signal.SIG_DFL:
            signal.signal(_sig, _on_signal)
    except (ValueError, OSError):  # not the main thread
        pass


def kill_process(proc):
    """SIGKILL PROC if it still runs, and reap it (a cleanup)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def spawn(argv, **kw):
    """subprocess.Popen(ARGV, **KW), killed at cleanup if still running."""
    proc = subprocess.Popen(argv, **kw)
    on_cleanup(kill_process, proc)
    return proc


def remove_dir(path):
    """Remove PATH (a cleanup); MX_KEEP=1 keeps it for a post-mortem."""
    if os.environ.get("MX_KEEP") == "1":
        if os.path.isdir(path):
            print("# MX_KEEP: kept %s" % path, flush=True)
        return
    shutil.rmtree(path, ignore_errors=True)


TMPDIRS = []


def tmpdir(prefix="mxtest"):
    """A private directory, removed when the test ends (MX_KEEP=1 keeps
    every one, for a post-mortem)."""
    d = tempfile.mkdtemp(prefix=prefix + ".")
    os.chmod(d, 0o755)
    TMPDIRS.append(d)
    on_cleanup(remove_dir, d)
    return d


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


def make_synthetic_db(dirpath, sigs, hashes, rnd):
    """make_test_db plus SIGS random body and HASHES random hash signatures
    drawn from RND (random.Random): the weight of a real database, for
    the benchmarks."""
    make_test_db(dirpath)
    with open(os.path.join(dirpath, "synthetic.ndb"), "w") as f:
        for i in range(sigs):
            f.write("Synthetic.Body-%d:0:*:%s\n" % (i, rnd.getrandbits(128).to_bytes(16, "big").hex()))
    with open(os.path.join(dirpath, "synthetic.hdb"), "w") as f:
        for i in range(hashes):
            f.write("%032x:%d:Synthetic.Hash-%d\n" % (rnd.getrandbits(128), 1000 + i % 100000, i))
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
        self.reaped = False
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
        DAEMONS.append(self)
        on_cleanup(self.reap)
        if wait:
            wait_ready(self.socket, proc=self.proc)

    def reap(self):
        """Kill the daemon if it still runs (a cleanup: its exit status is
        then not the test's business)."""
        if self.proc.poll() is None:
            self.reaped = True
            kill_process(self.proc)
        if not self.logf.closed:
            self.logf.close()

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
        self.proc = spawn(["clamd", "-c", self.conf], stdout=subprocess.DEVNULL,
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


def listen_backlog(addr):
    """How many connections wait, not yet accepted, in the listen backlog
    of ADDR: a UNIX socket path, or the port (int) of a loopback TCP
    listener; None when no such listener exists.  The positive sign that
    a client is held back (neither served nor refused), instead of
    waiting to see that no reply comes."""
    if isinstance(addr, int):
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for line in list(f)[1:]:
                    p = line.split()
                    if p[3] == "0A" and p[1].endswith(":%04X" % addr):
                        return int(p[4].split(":")[1], 16)
        return None
    out = subprocess.run(["ss", "-xlnH"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) > 4 and p[4] == addr:
            return int(p[2])
    return None


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
