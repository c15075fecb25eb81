"""peers - third-party clamd clients run as throwaway instances against an
mxscand, for the client matrix test (t_clients) and the benchmarks.

Each class starts one Debian-packaged program in the foreground in its
own directory, with the configuration its package ships (the values of
its /etc file) and only the paths and ports changed, waits for its
readiness signal (a greeting, a socket that accepts, an HTTP ping) and
registers its stop with mxtest's cleanup registry:

    Clamsmtpd     clamsmtpd 1.10 (clamsmtp): an SMTP content filter that
                  writes each message to a file and sends SCAN path
    ClamavMilter  clamav-milter 1.4 (clamav-milter): a milter that streams
                  each message (INSTREAM)
    Rspamd        rspamd 3.4 (rspamd) with Debian's /etc/rspamd and a
                  throwaway LOCAL_CONFDIR holding antivirus.conf

Every program runs as the user its package runs it as (clamsmtp,
clamav, _rspamd), so the mxscand socket they use must be mode 0666 in a
world-searchable directory (mxtest.Daemon with scand_socket_mode 0666).
"""
import os
import pwd
import socket
import subprocess
import urllib.request

import mxtest
import postfix


def _own(path, user):
    pw = pwd.getpwnam(user)
    os.chown(path, pw.pw_uid, pw.pw_gid)


def missing(*programs):
    """The PROGRAMS (names on PATH or /usr/sbin) that are not installed."""
    return [p for p in programs if postfix._which(p) is None]


def read_texts(*paths):
    """The files PATHS as one text, those not (yet) written left out."""
    text = ""
    for path in paths:
        try:
            with open(path, "rb") as f:
                text += f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            pass
    return text


class Clamsmtpd:
    """clamsmtpd on 127.0.0.1:LISTEN_PORT delivering to 127.0.0.1:OUT_PORT,
    scanning through the clamd socket CLAMD_SOCKET.  ACTION is its
    Action: (drop: answer 250 and discard; bounce: answer 550).  It
    greets only once its OutAddress answers, so start the next hop first."""

    def __init__(self, workdir, listen_port, out_port, clamd_socket, action="drop",
                 max_connections=64):
        self.dir = workdir
        self.port = listen_port
        os.makedirs(workdir, exist_ok=True)
        self.tmp = os.path.join(workdir, "tmp")
        os.makedirs(self.tmp, exist_ok=True)
        _own(self.tmp, "clamsmtp")
        self.conf = os.path.join(workdir, "clamsmtpd.conf")
        with open(self.conf, "w") as f:
            # Debian's /etc/clamsmtpd.conf, with this instance's paths and ports
            f.write("OutAddress: 127.0.0.1:%d\nListen: 127.0.0.1:%d\nClamAddress: %s\n"
                    "TempDirectory: %s\nUser: clamsmtp\nAction: %s\nMaxConnections: %d\n"
                    % (out_port, listen_port, clamd_socket, self.tmp, action, max_connections))
        self.log = os.path.join(workdir, "clamsmtpd.log")
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([postfix._which("clamsmtpd"), "-d", "1", "-f", self.conf],
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        mxtest.on_cleanup(self.stop)
        if not mxtest.wait_for(lambda: postfix._port_greets(listen_port), 30):
            self.stop()
            raise RuntimeError("clamsmtpd did not start:\n" + self.logtext())

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        mxtest.stop_process(self.proc, 10)
        if not self.logf.closed:
            self.logf.close()


# Debian's /etc/clamav/clamav-milter.conf (clamav-milter 1.4.6), the keys
# this class keeps; the paths are replaced per instance.
MILTER_DEBIAN = [
    ("FixStaleSocket", "true"),
    ("User", "clamav"),
    ("ReadTimeout", "120"),
    ("OnClean", "Accept"),
    ("OnInfected", "Quarantine"),
    ("OnFail", "Defer"),
    ("AddHeader", "Replace"),
    ("LogSyslog", "false"),
    ("LogFacility", "LOG_LOCAL6"),
    ("LogVerbose", "false"),
    ("LogInfected", "Basic"),   # Debian: Off; Basic names the verdict in the log
    ("LogClean", "Off"),
    ("MaxFileSize", "25M"),
    ("SupportMultipleRecipients", "false"),
    ("LogTime", "true"),
    ("LogFileUnlock", "false"),
    ("MilterSocketGroup", "clamav"),
    ("MilterSocketMode", "666"),
]


class ClamavMilter:
    """clamav-milter with Debian's settings, listening on a UNIX socket
    in WORKDIR (self.socket; Postfix: smtpd_milters = unix:<that path>)
    and scanning through the clamd socket CLAMD_SOCKET.  EXTRA: (key,
    value) pairs that replace Debian's."""

    def __init__(self, workdir, clamd_socket, extra=()):
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        _own(workdir, "clamav")
        os.chmod(workdir, 0o755)
        self.socket = os.path.join(workdir, "clamav-milter.ctl")
        self.log = os.path.join(workdir, "clamav-milter.log")
        settings = dict(MILTER_DEBIAN)
        settings.update({
            "MilterSocket": self.socket,
            "ClamdSocket": "unix:" + clamd_socket,
            "Foreground": "true",
            "PidFile": os.path.join(workdir, "clamav-milter.pid"),
            "TemporaryDirectory": workdir,
            "LogFile": self.log,
        })
        settings.update(dict(extra))
        self.conf = os.path.join(workdir, "clamav-milter.conf")
        with open(self.conf, "w") as f:
            f.write("".join("%s %s\n" % kv for kv in settings.items()))
        self.out = open(os.path.join(workdir, "stdout"), "ab")
        self.proc = subprocess.Popen([postfix._which("clamav-milter"), "-c", self.conf],
                                     stdout=self.out, stderr=subprocess.STDOUT)
        mxtest.on_cleanup(self.stop)
        if not mxtest.wait_for(self._accepts, 30):
            self.stop()
            raise RuntimeError("clamav-milter did not start:\n" + self.logtext())

    def _accepts(self):
        if self.proc.poll() is not None:
            raise RuntimeError("clamav-milter exited %s:\n%s" % (self.proc.returncode,
                                                                 self.logtext()))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.socket)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def logtext(self):
        return read_texts(self.log, os.path.join(self.dir, "stdout"))

    def stop(self):
        mxtest.stop_process(self.proc, 10)
        if not self.out.closed:
            self.out.close()


class Rspamd:
    """rspamd with Debian's /etc/rspamd/rspamd.conf and a throwaway
    LOCAL_CONFDIR (self.dir/etc: local.d, override.d), RUNDIR, DBDIR and
    LOGDIR, run as _rspamd.  Only the normal (scanner) worker runs, on
    127.0.0.1:self.port; the controller and proxy are disabled.
    LOCAL_D: {file name: text} for local.d (e.g. antivirus.conf).

    Two settings keep it quick without a network: the DNS resolver is
    127.0.0.1:53 with a 0.1 s time-out (the RBL and SPF look-ups fail at
    once instead of after 5 s per message), and url_tld is a five-line
    suffix list (compiling the shipped 9,600 suffixes takes 9 s)."""

    def __init__(self, workdir, local_d):
        self.dir = workdir
        self.port = mxtest.free_port()
        etc = os.path.join(workdir, "etc")
        for sub in ("local.d", "override.d"):
            os.makedirs(os.path.join(etc, sub), exist_ok=True)
        self.dirs = {}
        for var in ("RUNDIR", "DBDIR", "LOGDIR"):
            d = os.path.join(workdir, var.lower())
            os.makedirs(d, exist_ok=True)
            _own(d, "_rspamd")
            self.dirs[var] = d
        self.log = os.path.join(self.dirs["LOGDIR"], "rspamd.log")
        tld = os.path.join(etc, "tld.dat")
        files = {
            "override.d/worker-normal.inc": 'bind_socket = "127.0.0.1:%d";\ncount = 1;\n'
                                            % self.port,
            "override.d/worker-controller.inc": "enabled = false;\n",
            "override.d/worker-proxy.inc": "enabled = false;\n",
            "override.d/logging.inc": 'type = "file";\nfilename = "%s";\nlevel = "info";\n'
                                      % self.log,
            "local.d/options.inc": 'dns {\n  nameserver = ["127.0.0.1:53"];\n'
                                   '  timeout = 0.1s;\n  retransmits = 1;\n}\n'
                                   'url_tld = "%s";\n' % tld,
            "tld.dat": "com\norg\nnet\ntest\nexample\n",
        }
        files.update({"local.d/" + k: v for k, v in local_d.items()})
        for name, text in files.items():
            with open(os.path.join(etc, name), "w") as f:
                f.write(text)
        argv = [postfix._which("rspamd"), "-f", "-u", "_rspamd", "-g", "_rspamd",
                "-c", "/etc/rspamd/rspamd.conf", "--var", "LOCAL_CONFDIR=" + etc]
        for var, d in self.dirs.items():
            argv += ["--var", "%s=%s" % (var, d)]
        self.out = open(os.path.join(workdir, "stdout"), "ab")
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT)
        mxtest.on_cleanup(self.stop)
        if not mxtest.wait_for(self._pong, 120):
            self.stop()
            raise RuntimeError("rspamd did not start:\n" + self.logtext()[-3000:])

    def _pong(self):
        if self.proc.poll() is not None:
            raise RuntimeError("rspamd exited %s:\n%s" % (self.proc.returncode,
                                                          self.logtext()[-3000:]))
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/ping" % self.port, timeout=2) as r:
                return r.read().strip() == b"pong"
        except OSError:
            return False

    def rspamc(self, *args, data=None):
        """rspamc -h this worker ARGS (the message on stdin); (status, output)."""
        out = subprocess.run([postfix._which("rspamc"), "-h", "127.0.0.1:%d" % self.port]
                             + list(args), input=data, capture_output=True, timeout=120)
        return out.returncode, (out.stdout + out.stderr).decode("utf-8", "replace")

    def logtext(self):
        return read_texts(self.log, os.path.join(self.dir, "stdout"))

    def stop(self):
        # SIGTERM: the main process stops its workers
        mxtest.stop_process(self.proc, 20)
        if not self.out.closed:
            self.out.close()
