"""updtest - helpers for mxscan-update's integration tests and benchmark.

Real parts only: a throwaway CA and server certificate made with the
openssl tool, a private nginx serving a mirror tree over HTTPS (and plain
HTTP) with fault locations, the minisign tool for bundle signatures, and
mxscand (through mxtest.Daemon).  Everything lives in the test's private
temp dir; nginx, helper servers and tmpfs mounts are registered in
mxtest's cleanup registry (drained at the end, on an exception or on
SIGTERM), and nginx runs as a single process that dies with the test
process (PR_SET_PDEATHSIG), so a killed test leaves no server behind.

Fault locations of Nginx (prefix of the URL path, mapped to the docroot):
  /e404/ /e500/ /e403/     answer that status for every request
  /e429/                   429 with Retry-After: 3600
  /tohttp/X /tohttps/X     302 to /m/X on the plain HTTP / the HTTPS port
  /tofile/                 302 to file:///etc/passwd
  /m/                      the docroot (any mirror tree below it)
"""
import ctypes
import gzip
import hashlib
import io
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tarfile
import threading
import time

import mxtest

UPDATER = os.path.join(mxtest.BUILDDIR, "updater", "mxscan-update")
CVD_DIR = mxtest.SHARED_CVD

# --- cleanup (mxtest's registry) ------------------------------------------------


def at_cleanup(fn):
    """Run FN when the test ends (mxtest.on_cleanup: last registered first,
    also on an exception or SIGTERM); errors are reported and skipped."""
    return mxtest.on_cleanup(fn)


def subdir(parent, name):
    """PARENT/NAME, created (for daemons' work dirs inside the test's own)."""
    d = os.path.join(parent, name)
    os.makedirs(d, exist_ok=True)
    return d


def cleanup_dir(path):
    """Remove PATH when the test ends, unless MX_KEEP=1 (then say where it is)."""
    mxtest.on_cleanup(mxtest.remove_dir, path)


_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:  # noqa: BLE001
        pass


def need_tools(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        mxtest.Tap.skip_all("missing programs: " + ", ".join(missing))


def need_updater():
    if not os.access(UPDATER, os.X_OK):
        mxtest.Tap.skip_all("mxscan-update not built at %s" % UPDATER)


def need_cvd():
    if not os.path.exists(os.path.join(CVD_DIR, "test-6.cvd")):
        return False
    return True


# --- certificates -----------------------------------------------------------

class CA:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "pki")
        os.makedirs(self.dir, exist_ok=True)
        p = lambda n: os.path.join(self.dir, n)  # noqa: E731
        self.ca_cert, self.ca_key = p("ca.pem"), p("ca.key")
        self.cert, self.key = p("server.pem"), p("server.key")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        _run(["openssl", "req", "-x509"] + ec + ["-keyout", self.ca_key, "-out", self.ca_cert,
             "-days", "2", "-subj", "/CN=mxscan throwaway test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        _run(["openssl", "req"] + ec + ["-keyout", self.key, "-out", p("server.csr"),
             "-subj", "/CN=127.0.0.1"])
        with open(p("ext.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
        _run(["openssl", "x509", "-req", "-in", p("server.csr"), "-CA", self.ca_cert,
              "-CAkey", self.ca_key, "-CAcreateserial", "-out", self.cert, "-days", "2",
              "-extfile", p("ext.cnf")])

    def server_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def _run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                                   r.stderr.decode("utf-8", "replace")))
    return r


# --- nginx ------------------------------------------------------------------

class Nginx:
    """A private nginx: HTTPS on .port, plain HTTP on .http_port,
    .alt_port and .alt2_port (four origins), all serving DOCROOT under /m/
    plus the fault locations."""

    def __init__(self, workdir, docroot, ca, extra_locations=""):
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self.docroot = docroot
        self.port = mxtest.free_port()
        self.http_port = mxtest.free_port()
        self.alt_port = mxtest.free_port()
        self.alt2_port = mxtest.free_port()
        self.access_log = os.path.join(self.dir, "access.log")
        self.error_log = os.path.join(self.dir, "error.log")
        d = self.dir
        tmp = os.path.join(d, "tmp")
        locations = """
        location /m/ { alias %(doc)s/; }
        location /e404/ { return 404; }
        location /e500/ { return 500; }
        location /e403/ { return 403; }
        location /e429/ { add_header Retry-After 3600 always; return 429; }
        location /tohttp/ { rewrite ^/tohttp/(.*)$ http://127.0.0.1:%(hport)d/m/$1 redirect; }
        location /tohttps/ { rewrite ^/tohttps/(.*)$ https://127.0.0.1:%(port)d/m/$1 redirect; }
        location /tofile/ { return 302 file:///etc/passwd; }
        %(extra)s
""" % {"doc": docroot, "extra": extra_locations, "hport": self.http_port, "port": self.port}
        conf = """
%(user)s
master_process off;
daemon off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log info;
events { worker_connections 256; }
http {
    log_format mx '$server_port $request_method $uri $status $body_bytes_sent "$http_range" "$http_if_modified_since" "$http_if_none_match" "$http_user_agent"';
    access_log %(d)s/access.log mx;
    client_body_temp_path %(tmp)s/body;
    proxy_temp_path %(tmp)s/proxy;
    fastcgi_temp_path %(tmp)s/fastcgi;
    uwsgi_temp_path %(tmp)s/uwsgi;
    scgi_temp_path %(tmp)s/scgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        %(loc)s
    }
    server {
        listen 127.0.0.1:%(hport)d;
        %(loc)s
    }
    server {
        listen 127.0.0.1:%(aport)d;
        %(loc)s
    }
    server {
        listen 127.0.0.1:%(a2port)d;
        %(loc)s
    }
}
""" % {"user": "user root;" if os.geteuid() == 0 else "", "d": d, "tmp": tmp,
       "port": self.port, "hport": self.http_port, "aport": self.alt_port, "a2port": self.alt2_port, "cert": ca.cert, "key": ca.key,
       "loc": locations}
        self.conf = os.path.join(d, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.logf = open(os.path.join(d, "stderr.log"), "ab")
        self.proc = subprocess.Popen(["nginx", "-p", d, "-e", self.error_log, "-c", self.conf],
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)
        at_cleanup(self.stop)
        ok = mxtest.wait_for(lambda: self._up(), 20)
        if not ok:
            raise RuntimeError("nginx did not start: %s" % self.errors())

    def _up(self):
        if self.proc.poll() is not None:
            raise RuntimeError("nginx exited %s: %s" % (self.proc.returncode, self.errors()))
        for p in (self.port, self.http_port, self.alt_port, self.alt2_port):
            s = socket.create_connection(("127.0.0.1", p), timeout=1)
            s.close()
        return True

    def url(self, path="", scheme="https", port=None):
        """URL of PATH (starting with a location such as /m/); scheme http
        uses .http_port unless PORT is given (.alt_port: a third origin)."""
        port = port or (self.port if scheme == "https" else self.http_port)
        return "%s://127.0.0.1:%d%s" % (scheme, port, path)

    def errors(self):
        out = ""
        for p in (self.error_log, os.path.join(self.dir, "stderr.log")):
            try:
                with open(p, "rb") as f:
                    out += f.read().decode("utf-8", "replace")[-2000:]
            except OSError:
                pass
        return out

    def requests(self):
        """Access log lines so far (nginx writes one per finished request)."""
        try:
            with open(self.access_log) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def requests_since(self, mark):
        return self.requests()[mark:]

    def mark(self):
        return len(self.requests())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.logf.closed:
            self.logf.close()


# --- a server that stalls ---------------------------------------------------

class StallServer:
    """A TCP server on 127.0.0.1 that stalls.

    mode "silent": accepts and never sends a byte (a TLS handshake never
    completes).  mode "trickle": completes TLS (when CA is given), reads the
    request, sends a 200 header announcing SIZE bytes and 16 of them, then
    holds the connection open without sending more.  mode "cut": serves
    the file BODY; a range request for its first bytes (the CVD header) is
    answered in full, any other request gets headers announcing the whole
    (rest of the) file, then half of it, then the connection is closed."""

    def __init__(self, mode="trickle", ca=None, size=1 << 20, body=None):
        self.mode, self.size, self.body = mode, size, body
        self.requests = []
        self.ctx = ca.server_context() if ca is not None else None
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.accepted = 0
        self.stopping = threading.Event()
        # accept() polls STOPPING: a thread left blocked in accept() on a
        # closed listener could accept on a later socket given the same
        # descriptor number and swallow a connection meant for it.
        self.sock.settimeout(0.05)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        at_cleanup(self.stop)

    def url(self, path="/m/"):
        return "%s://127.0.0.1:%d%s" % ("https" if self.ctx else "http", self.port, path)

    def _loop(self):
        while not self.stopping.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            self.conns.append(c)
            if self.mode in ("trickle", "cut"):
                threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            c.settimeout(10)
            if self.ctx is not None:
                c = self.ctx.wrap_socket(c, server_side=True)
                self.conns.append(c)
            while True:
                buf = b""
                while b"\r\n\r\n" not in buf:
                    b = c.recv(4096)
                    if not b:
                        return
                    buf += b
                head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1")
                self.requests.append(head.split("\r\n")[0])
                if self.mode == "trickle":
                    break
                if not self._cut(c, head):
                    return
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      b"Last-Modified: Mon, 23 Nov 2026 12:00:00 GMT\r\n"
                      b"Content-Length: %d\r\n\r\n" % self.size + b"ClamAV-VDB:stall")
            self.stopping.wait(120)
        except OSError:
            pass

    def _cut(self, c, head):
        """Answer one request of mode "cut"; False once the connection is
        to be closed."""
        rng = None
        for line in head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "range" and v.strip().startswith("bytes="):
                a, _, b = v.strip()[6:].partition("-")
                rng = (int(a or 0), int(b) if b else len(self.body) - 1)
        total = len(self.body)
        common = (b"Content-Type: application/octet-stream\r\n"
                  b"Last-Modified: Mon, 23 Nov 2026 12:00:00 GMT\r\nETag: \"cut\"\r\n")
        if rng is not None and rng[1] < 4096 and rng[0] == 0:
            part = self.body[rng[0]:rng[1] + 1]
            c.sendall(b"HTTP/1.1 206 Partial Content\r\n" + common +
                      b"Content-Range: bytes %d-%d/%d\r\nContent-Length: %d\r\n\r\n"
                      % (rng[0], rng[0] + len(part) - 1, total, len(part)) + part)
            return True
        start = rng[0] if rng is not None else 0
        rest = self.body[start:]
        if rng is not None:
            c.sendall(b"HTTP/1.1 206 Partial Content\r\n" + common +
                      b"Content-Range: bytes %d-%d/%d\r\nContent-Length: %d\r\n\r\n"
                      % (start, total - 1, total, len(rest)) + rest[:len(rest) // 2])
        else:
            c.sendall(b"HTTP/1.1 200 OK\r\n" + common + b"Content-Length: %d\r\n\r\n" % total +
                      rest[:len(rest) // 2])
        c.shutdown(socket.SHUT_RDWR)
        c.close()
        return False

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        try:
            self.sock.close()
        except OSError:
            pass
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


# --- ClamAV mirror trees ----------------------------------------------------

_STAMP = [int(time.time()) - 100000]


def stamp(*paths, mtime=None):
    """Give PATHS a modification time (so the server's Last-Modified)
    later than any given before by this helper, or MTIME; returns it.
    Files published twice within one second otherwise share their
    Last-Modified."""
    if mtime is None:
        _STAMP[0] += 10
        mtime = _STAMP[0]
    for p in paths:
        os.utime(p, (mtime, mtime))
    return mtime


def cvd(n):
    return os.path.join(CVD_DIR, "test-%d.cvd" % n)


def make_cvd_mirror(dirpath, version, cdiffs=True, db="test"):
    """A mirror tree as ClamAV mirrors lay it out: <db>.cvd (the given
    version) and <db>-<n>.cdiff for every n <= version that exists."""
    os.makedirs(dirpath, exist_ok=True)
    for name in os.listdir(dirpath):
        os.unlink(os.path.join(dirpath, name))
    shutil.copyfile(cvd(version), os.path.join(dirpath, "%s.cvd" % db))
    stamp(os.path.join(dirpath, "%s.cvd" % db))
    if cdiffs:
        for n in range(2, version + 1):
            src = os.path.join(CVD_DIR, "test-%d.cdiff" % n)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(dirpath, "%s-%d.cdiff" % (db, n)))
    return dirpath


def flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x01]))


def truncate(path, size):
    with open(path, "r+b") as f:
        f.truncate(size)


# --- minisign bundles -------------------------------------------------------

class Key:
    """A minisign key pair without a password, made by the minisign tool."""

    def __init__(self, dirpath, name="key"):
        os.makedirs(dirpath, exist_ok=True)
        self.pub = os.path.join(dirpath, name + ".pub")
        self.sec = os.path.join(dirpath, name + ".key")
        _run(["minisign", "-G", "-W", "-p", self.pub, "-s", self.sec], stdin=subprocess.DEVNULL)

    def sign(self, path, comment="mxscan test bundle", mtime=None):
        """Sign PATH into PATH.minisig; both get a fresh stamp() (or MTIME)."""
        _run(["minisign", "-S", "-s", self.sec, "-m", path, "-t", comment],
             stdin=subprocess.DEVNULL)
        stamp(path, path + ".minisig", mtime=mtime)
        return path + ".minisig"


MANIFEST_NAME = "MANIFEST.sha256"


def manifest_text(files):
    """sha256sum-style lines for FILES (name -> bytes), sorted by name."""
    return "".join("%s  %s\n" % (hashlib.sha256(data).hexdigest(), name)
                   for name, data in sorted(files.items()))


def make_bundle(path, files, manifest=True, members=(), gz_level=6):
    """Write a .tar.gz at PATH holding FILES (name -> bytes) as regular
    files, a manifest of them (unless manifest is False or a bytes value to
    use as is), and extra MEMBERS: (TarInfo, bytes or None) pairs written
    as given (links, '..' names, absolute paths)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        entries = dict(files)
        if manifest is True:
            entries[MANIFEST_NAME] = manifest_text(files).encode()
        elif manifest:
            entries[MANIFEST_NAME] = manifest
        for name, data in entries.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            ti.mtime = int(time.time())
            t.addfile(ti, io.BytesIO(data))
        for ti, data in members:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    with open(path, "wb") as f:
        f.write(gzip.compress(raw.getvalue(), gz_level))
    return path


def tarinfo(name, kind="file", size=0, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.mode = 0o644
    ti.mtime = int(time.time())
    if kind == "symlink":
        ti.type, ti.linkname = tarfile.SYMTYPE, linkname
    elif kind == "hardlink":
        ti.type, ti.linkname = tarfile.LNKTYPE, linkname
    elif kind == "dir":
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    elif kind == "fifo":
        ti.type = tarfile.FIFOTYPE
    else:
        ti.size = size
    return ti


def bomb_bundle(path, unpacked, name="bomb.ndb"):
    """A bundle whose one entry unpacks to UNPACKED bytes (a signature
    file of comment lines) while the archive stays a few KB, streamed so
    the test never holds the unpacked bytes.  The manifest (listed first)
    names the entry with its real hash."""
    line = b"# " + b"A" * 1021 + b"\n"  # 1 KiB per line
    n = unpacked // len(line)
    h = hashlib.sha256()
    for _ in range(n):
        h.update(line)
    man = ("%s  %s\n" % (h.hexdigest(), name)).encode()

    class Rep(io.RawIOBase):
        def __init__(self):
            self.left = n * len(line)

        def readable(self):
            return True

        def readinto(self, b):
            k = min(len(b), self.left)
            k -= k % len(line) if k >= len(line) else 0
            if k == 0:
                k = min(len(b), self.left)
            chunk = (line * (k // len(line) + 1))[:k]
            b[:k] = chunk
            self.left -= k
            return k

    with gzip.open(path, "wb", 9) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as t:
            ti = tarinfo(MANIFEST_NAME, size=len(man))
            t.addfile(ti, io.BytesIO(man))
            ti = tarinfo(name, size=n * len(line))
            t.addfile(ti, io.BufferedReader(Rep(), 1 << 16))
    return path


def ndb_line(name, data):
    return "%s:0:*:%s\n" % (name, data.hex())


EICAR_NDB = ndb_line("Eicar-Test-Signature", mxtest.EICAR)


def marker(tag):
    """A test string (64+ bytes) that only a signature made for it detects."""
    return (b"MXSCAN-UPDATE-TEST-STRING-" + tag.encode() + b"-").ljust(72, b"Q")


# --- DNS: dnsmasq serving TXT records on loopback ----------------------------

def dns_query_txt(port, name, timeout=2.0):
    """The TXT strings (joined per record) that 127.0.0.1:PORT answers for
    NAME over UDP, or None when it does not answer."""
    import random
    import struct
    qid = random.randrange(65536)
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 16, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
    except OSError:
        return None
    finally:
        s.close()
    qd, an = struct.unpack(">HH", data[4:8])
    pos = 12

    def skip_name(p):
        while True:
            n = data[p]
            if n & 0xC0 == 0xC0:
                return p + 2
            if n == 0:
                return p + 1
            p += n + 1
    for _ in range(qd):
        pos = skip_name(pos) + 4
    out = []
    for _ in range(an):
        pos = skip_name(pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", data[pos:pos + 10])
        pos += 10
        rd, pos = data[pos:pos + rdlen], pos + rdlen
        if rtype == 16:
            txt, i = b"", 0
            while i < len(rd):
                txt += rd[i + 1:i + 1 + rd[i]]
                i += 1 + rd[i]
            out.append(txt.decode("latin-1"))
    return out


class Dnsmasq:
    """Debian's dnsmasq answering TXT RECORDS (name -> text) on
    127.0.0.1:.port (UDP and TCP), nothing else (no upstream, no hosts).
    set() restarts it with other records on the same port; stop() leaves
    the port dead (a DNS outage)."""

    def __init__(self, workdir, records):
        self.dir = os.path.join(workdir, "dnsmasq")
        os.makedirs(self.dir, exist_ok=True)
        self.port = mxtest.free_port()
        self.proc = None
        self.logf = open(os.path.join(self.dir, "dnsmasq.log"), "ab")
        at_cleanup(self.close)
        self.set(records)

    def server(self):
        """The update_dns_server value pointing at it."""
        return "127.0.0.1:%d" % self.port

    def set(self, records):
        self.stop()
        cmd = ["dnsmasq", "--no-daemon", "--port=%d" % self.port,
               "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
               "--pid-file=", "--user=root", "--log-facility=-"]
        for name, text in records.items():
            cmd.append("--txt-record=%s,%s" % (name, text))
        self.records = dict(records)
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)
        probe = next(iter(records))

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("dnsmasq exited %s" % self.proc.returncode)
            return dns_query_txt(self.port, probe, 0.5) == [records[probe]]
        if not mxtest.wait_for(up, 20):
            raise RuntimeError("dnsmasq did not answer on port %d" % self.port)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        if not self.logf.closed:
            self.logf.close()


def cvd_record(main, daily, bytecode, when=None):
    """A current.cvd.clamav.net TXT text as ClamAV publishes it (fields:
    0 ClamAV release, 1 main, 2 daily, 3 time, 4 warning flag, 5 FLEVEL,
    6 safebrowsing, 7 bytecode)."""
    return "1.4.3:%d:%d:%d:1:90:49192:%d" % (main, daily, int(time.time() if when is None else when),
                                           bytecode)


# --- GnuPG: throwaway keys for feeds ----------------------------------------

class GpgKey:
    """A throwaway OpenPGP key made by gpg in its own GNUPGHOME (HOME/src),
    and an admin keyring (HOME/ring) holding only its public key when
    TRUSTED."""

    def __init__(self, dirpath, uid, keyring=None):
        self.home = os.path.join(dirpath, "gpg-" + uid.split("@")[0])
        os.makedirs(self.home, mode=0o700, exist_ok=True)
        env = dict(os.environ, GNUPGHOME=self.home)
        self.env = env
        _run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
              "--quick-gen-key", uid, "ed25519", "sign", "1d"], env=env)
        self.pub = os.path.join(self.home, "pub.asc")
        with open(self.pub, "wb") as f:
            f.write(_run(["gpg", "--batch", "--armor", "--export", uid], env=env).stdout)
        self.uid = uid

    def sign(self, path):
        """PATH.sig: a binary detached signature (Sanesecurity's form)."""
        sig = path + ".sig"
        if os.path.exists(sig):
            os.unlink(sig)
        _run(["gpg", "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
              "--local-user", self.uid, "--output", sig, "--detach-sign", path], env=self.env)
        stamp(path, sig)
        return sig


def gpg_keyring(dirpath, *keys):
    """A GnuPG home directory (an admin's keyring) with the public KEYS."""
    os.makedirs(dirpath, mode=0o700, exist_ok=True)
    for k in keys:
        _run(["gpg", "--batch", "--import", k.pub], env=dict(os.environ, GNUPGHOME=dirpath))
    return dirpath


# --- the updater ------------------------------------------------------------

class Result:
    def __init__(self, rc, out, err, secs):
        self.rc, self.out, self.err, self.secs = rc, out, err, secs

    def __repr__(self):
        return "exit %s after %.1fs\nstdout: %s\nstderr: %s" % (
            self.rc, self.secs, self.out[-1500:], self.err[-3000:])


class Updater:
    """Runs mxscan-update against one database_root with a config file of
    OPTIONS; run() adds -o overrides and arguments."""

    def __init__(self, workdir, dbroot, options, name="mxscan-update.conf"):
        self.dir = workdir
        self.dbroot = dbroot
        os.makedirs(dbroot, exist_ok=True)
        # No DNS version check unless a test asks for one (its own server):
        # the mirrors here are private.
        self.options = {"database_root": dbroot, "update_dns_txt": ""}
        self.options.update(options)
        self.conf = os.path.join(workdir, name)
        self.write_conf()

    def write_conf(self):
        with open(self.conf, "w") as f:
            for k, v in self.options.items():
                f.write("%s = %s\n" % (k, v))

    def cmd(self, args=(), overrides=None):
        c = [UPDATER, "-c", self.conf]
        for k, v in (overrides or {}).items():
            c += ["-o", "%s=%s" % (k, v)]
        return c + list(args)

    def run(self, args=(), overrides=None, timeout=120, env=None):
        """One run to its end (killed after TIMEOUT); returns a Result."""
        t0 = time.time()
        p = self.popen(args, overrides, env)
        return finish(p, timeout, t0)

    def popen(self, args=(), overrides=None, env=None):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.Popen(self.cmd(args, overrides), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=e)
        at_cleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        return p

    # state of database_root

    def current(self):
        """Target of the current symlink (as stored), or None."""
        try:
            return os.readlink(os.path.join(self.dbroot, "current"))
        except OSError:
            return None

    def current_dir(self):
        return os.path.realpath(os.path.join(self.dbroot, "current"))

    def versions(self):
        try:
            return sorted(os.listdir(os.path.join(self.dbroot, "versions")))
        except OSError:
            return []

    def snapshot(self):
        """What must not change when a run fails: the current link, the
        names, sizes and SHA-256 of every file of the version it names."""
        cur = self.current()
        files = {}
        if cur is not None:
            top = self.current_dir()
            for dp, dn, fn in os.walk(top):
                for n in fn:
                    p = os.path.join(dp, n)
                    with open(p, "rb") as f:
                        files[os.path.relpath(p, top)] = hashlib.sha256(f.read()).hexdigest()
        return (cur, files)


# --- daemon probes ----------------------------------------------------------

def start_daemon(work, root):
    """An mxscand on database root ROOT (which may be empty yet) that only
    the updater's RELOAD changes: no change detection, no quick retry of a
    failed load.  Stopped at cleanup; returned once it answers HEALTH."""
    mx = mxtest.Daemon(root, workdir=subdir(work, "mxscand"), wait=False,
                       options={"scand_db_check_interval": "0",
                                "scand_reload_retry_min": "60s",
                                "scand_reload_retry_max": "60s"})
    at_cleanup(mx.stop)  # also when the test dies half-way
    mxtest.wait_for(lambda: mx.health().get("status") is not None, 30)
    return mx


def scan(daemon, data):
    """INSTREAM verdict text of DATA, without the terminator."""
    return daemon.request(b"zINSTREAM\0" + mxtest.instream_bytes(data)).rstrip(b"\0").decode(
        "utf-8", "replace")


def verdicts(daemon, probes):
    """Tuple of (HEALTH database_path, engine_generation, verdict per probe)."""
    h = daemon.health()
    return (h.get("database_path"), h.get("engine_generation"),
            tuple(scan(daemon, p) for p in probes))


# --- tmpfs ------------------------------------------------------------------

def mount_tmpfs(dirpath, size):
    """Mount a tmpfs of SIZE on DIRPATH; False (with nothing mounted) when
    that is not possible here (not root, no CAP_SYS_ADMIN)."""
    os.makedirs(dirpath, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", dirpath],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        return False

    def umount():
        if subprocess.run(["umount", dirpath], stderr=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["umount", "-l", dirpath], stderr=subprocess.DEVNULL)
    at_cleanup(umount)
    return True


# --- pausing the updater ----------------------------------------------------

STAGES = ("lock", "check", "fetch", "verify", "unpack", "selftest", "install", "swap",
          "notify", "prune")


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def start_paused(updater, stage, overrides=None, timeout=60):
    """Start a run with MXSCAN_UPDATE_PAUSE_AT=STAGE and wait until it has
    stopped itself there.  Returns (Popen, stderr text so far); the Popen's
    stderr is left open for the rest.  Raises RuntimeError when the run
    ends or does not stop within TIMEOUT."""
    p = updater.popen(overrides=overrides, env={"MXSCAN_UPDATE_PAUSE_AT": stage})
    os.set_blocking(p.stderr.fileno(), False)
    err = b""
    want = ("paused at %s" % stage).encode()
    end = time.time() + timeout
    while time.time() < end:
        try:
            chunk = p.stderr.read()
        except (BlockingIOError, TypeError):
            chunk = None
        if chunk:
            err += chunk
        if want in err and proc_state(p.pid) == "T":
            return p, err.decode("utf-8", "replace")
        if p.poll() is not None:
            rest = p.stderr.read() or b""
            raise RuntimeError("run ended (exit %s) before pausing at %s: %s"
                               % (p.returncode, stage, (err + rest).decode("utf-8", "replace")))
        time.sleep(0.02)  # probe interval
    p.kill()
    p.wait()
    raise RuntimeError("run did not pause at %s: %s" % (stage, err.decode("utf-8", "replace")))


def paused(tap, updater, stage, label):
    """start_paused's Popen, or None after a not ok line LABEL saying why
    the run did not pause at STAGE."""
    try:
        return start_paused(updater, stage)[0]
    except RuntimeError as e:
        tap.ok(False, label, e)
        return None


def finish(p, timeout=120, t0=None):
    """Wait for a Popen'ed run (killed after TIMEOUT) and collect its
    output; returns a Result.  Output is read until end of file or 5 s
    after the process ended, whichever comes first: a descendant that
    outlived it and holds its pipes must not hang the test."""
    import select
    t0 = t0 or time.time()
    fds = {p.stdout.fileno(): "out", p.stderr.fileno(): "err"}
    got = {"out": [], "err": []}
    for fd in fds:
        os.set_blocking(fd, False)
    open_fds = set(fds)
    deadline = time.time() + timeout
    ended, killed = None, False
    while open_fds:
        now = time.time()
        if ended is None and p.poll() is not None:
            ended = now
        if ended is None and now > deadline:
            p.kill()
            p.wait()
            ended, killed = now, True
        if ended is not None and now > ended + 5:
            break
        ready, _, _ = select.select(list(open_fds), [], [], 0.1)
        for fd in ready:
            try:
                b = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if b:
                got[fds[fd]].append(b)
            else:
                open_fds.discard(fd)
    if p.poll() is None:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            killed = True
    p.stdout.close()
    p.stderr.close()
    out = b"".join(got["out"]).decode("utf-8", "replace")
    err = b"".join(got["err"]).decode("utf-8", "replace")
    return Result("timeout" if killed else p.returncode, out, err, time.time() - t0)


# --- a daemon that does not load what it is told to -------------------------

class FakeDaemon:
    """A clamd-protocol stand-in on a UNIX socket, for the notify stage.

    It answers RELOAD with RELOADING and HEALTH with database_path OLD
    (realpath) forever.  mode "stale": reload_state idle (the new set never
    shows up); mode "reject": once RELOAD came, reload_state failed and
    reload_last_error "<resolved ROOT/current at the first RELOAD>: <reason>",
    as mxscand reports a load that failed, until a second RELOAD (after
    which the old set counts as reloaded).  .commands lists the commands
    received."""

    def __init__(self, workdir, root, old, mode="stale"):
        self.path = os.path.join(workdir, "fake-%s.sock" % mode)
        self.root, self.old, self.mode = root, os.path.realpath(old), mode
        self.commands = []
        self.errors = []
        self.lock = threading.Lock()
        self.reloads = 0
        self.rejected = None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(16)
        self.sock.settimeout(0.05)  # accept() polls STOPPING (see StallServer)
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        at_cleanup(self.stop)

    def _loop(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError as e:
                if not self.stopping:
                    self.errors.append("accept: %r" % e)
                return
            c.setblocking(True)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        with self.lock:
            try:
                c.settimeout(5)
                buf = b""
                while not (buf.endswith(b"\0") or buf.endswith(b"\n")):
                    b = c.recv(256)
                    if not b:
                        break
                    buf += b
                term = b"\0" if buf.endswith(b"\0") or not buf.startswith(b"n") else b"\n"
                cmd = buf.strip(b"\0\n").lstrip(b"zn").decode("latin-1")
                self.commands.append(cmd)
                if cmd == "RELOAD":
                    self.reloads += 1
                    if self.reloads == 1:
                        self.rejected = os.path.realpath(os.path.join(self.root, "current"))
                    c.sendall(b"RELOADING" + term)
                elif cmd == "PING":
                    c.sendall(b"PONG" + term)
                elif cmd == "HEALTH":
                    failed = self.mode == "reject" and self.reloads == 1
                    err = ""
                    if failed:
                        err = "%s: loading the database: rejected by the test" % self.rejected
                    c.sendall(("status: ready\nengine_generation: 1\ndatabase_path: %s\n"
                               "database_version: 0\ndatabase_time: 0\nsignatures: 2\n"
                               "reload_state: %s\nreload_failures: %d\nreload_last_error: %s\n"
                               "queue_depth: 0\nEND" % (self.old, "failed" if failed else "idle",
                                                        1 if failed else 0, err)).encode() + term)
                else:
                    c.sendall(b"UNKNOWN COMMAND" + term)
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))
            finally:
                c.close()

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        try:
            self.sock.close()
        except OSError:
            pass
