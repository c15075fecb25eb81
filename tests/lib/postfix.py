"""postfix - a throwaway Postfix instance for mxscan's tests, benchmarks
and demo.

    pf = Postfix(mode="after-queue", filter_port=mxtest.free_port())
    pf.start()
    rc, transcript = pf.swaks("bob@example.test", data=message_bytes)
    pf.wait_queue_empty()
    pf.maildir("bob")        # [(path, bytes), ...]
    pf.stop()                # also run at cleanup, even when a test fails

Everything lives in one temporary directory: main.cf/master.cf, its own
queue_directory and data_directory, the Maildirs (virtual(8) delivery for
example.test, one Maildir per user in USERS: DIR/mail/<user>/), and the mail
log (maillog_file served by postlogd).  All services listen on loopback
ports from mxtest.free_port(), so instances run in parallel with each
other and with other test programs.

Modes (the Postfix wiring of FILTER_README and SMTPD_PROXY_README):
  after-queue   the public smtpd sets content_filter = scan:[127.0.0.1]:
                FILTERPORT; the "scan" smtp(8) transport delivers to the
                filter; the filter reinjects into a second smtpd on
                127.0.0.1:REINJECT with FILTER_README's -o overrides.
  before-queue  the public smtpd proxies each message through
                smtpd_proxy_filter = 127.0.0.1:FILTERPORT; the filter
                forwards to the after-filter smtpd on 127.0.0.1:REINJECT.
  none          no filter (the public smtpd queues straight away).

The filter wiring is read from the shipped snippets in scripts/postfix
(main.cf.after-queue, master.cf.after-queue, master.cf.before-queue) with
this instance's ports in place of 10025/10026, so the tests run exactly
the configuration users are given.

The instance runs Postfix's master(8) in the foreground (master -d) as a
child of this process instead of through postfix-script: that starts in
well under a second, needs no syslog, and a parent that dies takes the
instance with it (PR_SET_PDEATHSIG).  The queue directories are created
here with the ownership and modes of Debian's postfix-files.
"""
import ctypes
import glob
import grp
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mxtest  # noqa: E402

DOMAIN = "example.test"

# Headers Postfix itself puts on a message on its way to the Maildir.
POSTFIX_HEADERS = ("Return-Path", "Delivered-To", "Received", "X-Original-To")

QUEUE_DIRS = {
    # name: (owner, group, mode) as in Debian's /etc/postfix/postfix-files
    "active": ("postfix", None, 0o700),
    "bounce": ("postfix", None, 0o700),
    "corrupt": ("postfix", None, 0o700),
    "defer": ("postfix", None, 0o700),
    "deferred": ("postfix", None, 0o700),
    "flush": ("postfix", None, 0o700),
    "hold": ("postfix", None, 0o700),
    "incoming": ("postfix", None, 0o700),
    "private": ("postfix", None, 0o700),
    "saved": ("postfix", None, 0o700),
    "trace": ("postfix", None, 0o700),
    "maildrop": ("postfix", "postdrop", 0o730),
    "public": ("postfix", "postdrop", 0o710),
    "pid": ("root", None, 0o755),
}

INSTANCES = []
# Mailboxes of example.test (virtual(8) allows no regexp substitution).
USERS = ("alice", "bob", "carol", "dave", "erin")


def available():
    """Names of the programs this module needs that are missing."""
    need = ["postconf", "postqueue", "swaks"]
    missing = [p for p in need if not _which(p)]
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        missing.append("user postfix")
    if os.geteuid() != 0:
        missing.append("root")
    return missing


def _which(prog):
    for d in os.environ.get("PATH", "/usr/bin:/bin").split(":") + ["/usr/sbin", "/sbin"]:
        if os.access(os.path.join(d, prog), os.X_OK):
            return os.path.join(d, prog)
    return None


def _postconf(conf_dir, name):
    # postconf -d would compute every default (slow); this reads main.cf
    out = subprocess.run([_which("postconf"), "-c", conf_dir, "-h", name],
                         capture_output=True, text=True)
    return out.stdout.strip()


SNIPPETS = os.path.join(mxtest.SRCDIR, "scripts", "postfix")


def snippet_main(name):
    """(name, value) settings of a main.cf snippet in scripts/postfix."""
    out = []
    with open(os.path.join(SNIPPETS, name)) as f:
        for line in f:
            if line.strip() and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                out.append((k.strip(), v.strip()))
    return out


def snippet_master(name):
    """Entries of a master.cf snippet in scripts/postfix: [(fields,
    [-o options...])]."""
    out = []
    with open(os.path.join(SNIPPETS, name)) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            if line[0] in " \t":
                out[-1][1].append(line.strip())
            else:
                out.append((line.split(), []))
    return out


def _master_path(conf_dir):
    for d in ("/usr/lib/postfix/sbin", "/usr/libexec/postfix"):
        if os.access(os.path.join(d, "master"), os.X_OK):
            return os.path.join(d, "master")
    return os.path.join(_postconf(conf_dir, "daemon_directory"), "master")


def _pdeathsig():
    # master signals its process group at shutdown: give it its own, and
    # let it die with the process that started it.
    os.setsid()
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _port_greets(port, timeout=1.0):
    """True when an SMTP server on 127.0.0.1:PORT sends a 220 greeting."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError:
        return False
    try:
        s.settimeout(timeout)
        banner = s.recv(512)
        try:
            s.sendall(b"QUIT\r\n")
        except OSError:
            pass
        return banner.startswith(b"220")
    except OSError:
        return False
    finally:
        s.close()


def lf(data):
    """DATA as it lands in a Maildir: CRLF line ends become LF."""
    return data.replace(b"\r\n", b"\n")


def split_postfix_headers(delivered):
    """Split a delivered message into (Postfix's own leading headers, the
    rest).  The leading block is every header line (with continuations)
    whose name is one of POSTFIX_HEADERS."""
    lines = delivered.split(b"\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        name = line.split(b":", 1)[0].decode("ascii", "replace")
        if ":" in line.decode("ascii", "replace") and name in POSTFIX_HEADERS:
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                i += 1
            continue
        break
    return b"\n".join(lines[:i]), b"\n".join(lines[i:])


class Postfix:
    def __init__(self, mode="after-queue", filter_port=None, workdir=None,
                 scan_maxproc=10, main_extra=None, master_extra=None, keep=False,
                 smtp_port=None, reinject_port=None, users=USERS):
        if mode not in ("after-queue", "before-queue", "none"):
            raise ValueError("mode: " + mode)
        self.mode = mode
        self.dir = workdir or mxtest.tmpdir("postfix")
        self.conf_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "queue")
        self.data_dir = os.path.join(self.dir, "data")
        self.mail_dir = os.path.join(self.dir, "mail")
        self.log_dir = os.path.join(self.dir, "log")
        self.maillog_file = os.path.join(self.log_dir, "maillog")
        self.smtp_port = smtp_port or mxtest.free_port()
        self.reinject_port = reinject_port or mxtest.free_port()
        while self.reinject_port == self.smtp_port:
            self.reinject_port = mxtest.free_port()
        self.filter_port = filter_port
        if mode != "none" and not filter_port:
            raise ValueError("a filter mode needs filter_port")
        self.scan_maxproc = scan_maxproc
        self.main_extra = dict(main_extra or {})
        self.master_extra = list(master_extra or [])
        self.keep = keep
        self.users = list(users)
        self.proc = None
        self.swaks_count = 0
        INSTANCES.append(self)
        mxtest.on_cleanup(self.stop)

    # --- configuration -------------------------------------------------

    @property
    def smtp_addr(self):
        return "127.0.0.1:%d" % self.smtp_port

    @property
    def reinject_addr(self):
        return "127.0.0.1:%d" % self.reinject_port

    def main_cf(self):
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "mx.%s" % DOMAIN,
            "mydomain": DOMAIN,
            "myorigin": DOMAIN,
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "relayhost": "",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "notify_classes": "",
            "biff": "no",
            "append_dot_mydomain": "no",
            "smtpd_peername_lookup": "no",
            "smtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native",
            "smtpd_banner": "$myhostname ESMTP",
            "in_flow_delay": "0",
            # deferred mail is retried only when a test asks (postqueue -f)
            "queue_run_delay": "3600s",
            "minimal_backoff_time": "3600s",
            "maximal_backoff_time": "3600s",
            "maillog_file": self.maillog_file,
            "maillog_file_prefixes": self.log_dir,
            "virtual_mailbox_domains": DOMAIN,
            "virtual_mailbox_base": self.mail_dir,
            # one Maildir per local part (the trailing slash means Maildir)
            "virtual_mailbox_maps": "texthash:%s/vmailbox" % self.conf_dir,
            "virtual_uid_maps": "static:65534",
            "virtual_gid_maps": "static:65534",
            "virtual_destination_concurrency_limit": "20",
            "smtpd_relay_restrictions": "permit_mynetworks,reject_unauth_destination",
            "message_size_limit": "104857600",
            "virtual_mailbox_limit": "0",
        }
        if self.mode == "after-queue":
            for k, v in snippet_main("main.cf.after-queue"):
                main[k] = self._ports(v)
            main["scan_destination_concurrency_limit"] = str(self.scan_maxproc)
        main.update(self.main_extra)
        return "".join("%s = %s\n" % kv for kv in main.items())

    def master_cf(self):
        fl = []
        fl.append("# service type private unpriv chroot wakeup maxproc command")
        if self.mode == "none":
            fl.append("%s inet n - n - 20 smtpd" % self.smtp_addr)
            fl.append("%s inet n - n - 20 smtpd" % self.reinject_addr)
        else:
            # the shipped snippets (scripts/postfix), on this instance's ports
            if self.mode == "after-queue":
                fl.append("%s inet n - n - 20 smtpd" % self.smtp_addr)
            fl += self._snippet_services("master.cf." + self.mode)
        fl += [
            "pickup    unix  n       -       n       60      1       pickup",
            "cleanup   unix  n       -       n       -       0       cleanup",
            "qmgr      unix  n       -       n       300     1       qmgr",
            "tlsmgr    unix  -       -       n       1000?   1       tlsmgr",
            "rewrite   unix  -       -       n       -       -       trivial-rewrite",
            "bounce    unix  -       -       n       -       0       bounce",
            "defer     unix  -       -       n       -       0       bounce",
            "trace     unix  -       -       n       -       0       bounce",
            "verify    unix  -       -       n       -       1       verify",
            "flush     unix  n       -       n       1000?   0       flush",
            "proxymap  unix  -       -       n       -       -       proxymap",
            "proxywrite unix -       -       n       -       1       proxymap",
            "smtp      unix  -       -       n       -       -       smtp",
            "relay     unix  -       -       n       -       -       smtp",
            "showq     unix  n       -       n       -       -       showq",
            "error     unix  -       -       n       -       -       error",
            "retry     unix  -       -       n       -       -       error",
            "discard   unix  -       -       n       -       -       discard",
            "local     unix  -       n       n       -       -       local",
            "virtual   unix  -       n       n       -       -       virtual",
            "lmtp      unix  -       -       n       -       -       lmtp",
            "anvil     unix  -       -       n       -       1       anvil",
            "scache    unix  -       -       n       -       1       scache",
            "postlog   unix-dgram n  -       n       -       1       postlogd",
        ]
        fl += self.master_extra
        return "\n".join(fl) + "\n"

    def _ports(self, text):
        return (text.replace("127.0.0.1:10025", "127.0.0.1:%d" % self.filter_port)
                .replace("[127.0.0.1]:10025", "[127.0.0.1]:%d" % self.filter_port)
                .replace("127.0.0.1:10026", self.reinject_addr))

    def _snippet_services(self, name):
        out = []
        for fields, opts in snippet_master(name):
            fields = [self._ports(x) for x in fields]
            if fields[0] == "smtp" and fields[1] == "inet":
                fields[0] = self.smtp_addr      # the public smtpd
            if fields[0] == "scan":
                fields[6] = str(self.scan_maxproc)
            elif fields[6] != "-":
                # the reinjection smtpd keeps up with the scan transport
                fields[6] = str(max(int(fields[6]), self.scan_maxproc))
            fields[4] = "n"                     # no chroot in a test instance
            out.append(" ".join(fields) + "".join("\n  " + self._ports(o) for o in opts))
        return out

    def _mkdir(self, path, owner="root", group=None, mode=0o755):
        os.makedirs(path, exist_ok=True)
        pw = pwd.getpwnam(owner)
        gid = grp.getgrnam(group).gr_gid if group else pw.pw_gid
        os.chown(path, pw.pw_uid, gid)
        os.chmod(path, mode)

    def _write(self):
        self._mkdir(self.conf_dir)
        with open(os.path.join(self.conf_dir, "main.cf"), "w") as f:
            f.write(self.main_cf())
        with open(os.path.join(self.conf_dir, "master.cf"), "w") as f:
            f.write(self.master_cf())
        with open(os.path.join(self.conf_dir, "vmailbox"), "w") as f:
            for user in self.users:
                f.write("%s@%s %s/\n" % (user, DOMAIN, user))
        # Postfix waits (in steps of 1/3 s) until a configuration file is
        # older than a second or two before it reads it; backdate them.
        past = time.time() - 10
        for name in ("main.cf", "master.cf", "vmailbox"):
            os.utime(os.path.join(self.conf_dir, name), (past, past))
        self._mkdir(self.queue_dir)
        for name, (owner, group, mode) in QUEUE_DIRS.items():
            self._mkdir(os.path.join(self.queue_dir, name), owner, group, mode)
        self._mkdir(self.data_dir, "postfix", None, 0o700)
        self._mkdir(self.mail_dir, "nobody", "nogroup", 0o755)
        self._mkdir(self.log_dir)

    # --- life cycle ----------------------------------------------------

    def start(self, timeout=30.0, check=False):
        """Write the instance and start it; returns once both smtpd
        listeners greet.  CHECK runs `postfix check` first (1-2 s; the
        queue directories made here are what it would create)."""
        self._write()
        if check:
            self.check()
        master = _master_path(self.conf_dir)
        env = dict(os.environ, MAIL_CONFIG=self.conf_dir)
        self.master_log = open(os.path.join(self.log_dir, "master.out"), "ab")
        self.proc = subprocess.Popen([master, "-c", self.conf_dir, "-d"], env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.master_log,
                                     stderr=subprocess.STDOUT, preexec_fn=_pdeathsig)
        ports = [self.smtp_port, self.reinject_port]
        end = time.time() + timeout
        t0 = time.time()
        while not all(_port_greets(p) for p in ports):
            if self.proc.poll() is not None:
                raise RuntimeError("postfix master exited %s:\n%s" % (self.proc.returncode,
                                                                       self.logtext()))
            if time.time() > end:
                raise RuntimeError("postfix not ready after %ss:\n%s" % (timeout, self.logtext()))
            time.sleep(0.05)  # readiness probe interval
        self.startup_seconds = time.time() - t0
        return self

    def check(self):
        out = subprocess.run([_which("postfix"), "-c", self.conf_dir, "check"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("postfix check failed:\n" + out.stdout + out.stderr)

    def stop(self):
        """Stop master (it takes its children along) and remove the
        directory unless keep was asked.  Safe to call twice."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            # children that outlived master (they exit on their own when
            # master's status pipe closes; do not wait for them)
            self.master_log.close()
            self.proc = None
        if not self.keep and self.dir and os.path.isdir(self.dir):
            mxtest.rmtree(self.dir)

    def postconf(self, *args):
        return subprocess.run([_which("postconf"), "-c", self.conf_dir] + list(args),
                              capture_output=True, text=True, check=True).stdout

    def reload(self):
        """Rewrite main.cf/master.cf and tell master to reread them."""
        self._write()
        self.proc.send_signal(signal.SIGHUP)

    # --- mail in -------------------------------------------------------

    def swaks(self, to, data=None, sender="alice@%s" % DOMAIN, port=None, args=(),
              timeout=60):
        """Send one message with swaks to the public smtpd (or PORT).
        DATA (bytes, a whole RFC 5322 message with CRLF line ends) is
        received by the server exactly as given (swaks dot-stuffs it; it
        would also expand %TOKEN% strings, which test messages avoid).  Returns
        (exit status, transcript)."""
        self.swaks_count += 1
        cmd = ["swaks", "--server", "127.0.0.1", "--port", str(port or self.smtp_port),
               "--from", sender, "--helo", "client.%s" % DOMAIN,
               "--timeout", str(timeout)]
        # several recipients: one comma-separated --to (a repeated --to
        # replaces the earlier one)
        cmd += ["--to", to if isinstance(to, str) else ",".join(to)]
        if data is not None:
            path = os.path.join(self.dir, "swaks-%d.eml" % self.swaks_count)
            with open(path, "wb") as f:
                # swaks ends DATA with CRLF "." CRLF after the text it is
                # given, so a message's own last CRLF must not be passed.
                f.write(data[:-2] if data.endswith(b"\r\n") else data)
            cmd += ["--data", "@" + path]
        cmd += list(args)
        out = subprocess.run(cmd, capture_output=True, timeout=timeout + 30)
        return out.returncode, (out.stdout + out.stderr).decode("utf-8", "replace")

    # --- queue ---------------------------------------------------------

    def queue(self):
        """The queue as postqueue -j sees it: list of dicts (queue_name,
        queue_id, sender, recipients...)."""
        out = subprocess.run([_which("postqueue"), "-c", self.conf_dir, "-j"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise OSError("postqueue -j: " + out.stderr)
        return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]

    def queue_files(self, names=("maildrop", "incoming", "active", "deferred", "hold")):
        """Queue files counted straight from the queue directories (a
        cheap probe for benchmarks)."""
        n = 0
        for name in names:
            for _root, _dirs, files in os.walk(os.path.join(self.queue_dir, name)):
                n += len(files)
        return n

    def deferred(self):
        return [m for m in self.queue() if m.get("queue_name") == "deferred"]

    def wait_queue_empty(self, timeout=60.0):
        """Poll postqueue until the queue is empty.  True when it is."""
        return mxtest.wait_for(lambda: not self.queue(), timeout)

    def wait_deferred(self, n=1, timeout=60.0):
        return mxtest.wait_for(lambda: len(self.deferred()) >= n, timeout)

    def flush(self):
        """postqueue -f: retry deferred mail now."""
        subprocess.run([_which("postqueue"), "-c", self.conf_dir, "-f"], check=True,
                       capture_output=True)

    # --- mail out ------------------------------------------------------

    def maildir(self, user):
        """Messages delivered to USER@example.test: [(path, bytes)] sorted
        by file name (Maildir names start with the delivery time)."""
        out = []
        for sub in ("new", "cur"):
            for path in sorted(glob.glob(os.path.join(self.mail_dir, user, sub, "*"))):
                with open(path, "rb") as f:
                    out.append((path, f.read()))
        return out

    def maildir_count(self, user):
        n = 0
        for sub in ("new", "cur"):
            try:
                n += len(os.listdir(os.path.join(self.mail_dir, user, sub)))
            except FileNotFoundError:
                pass
        return n

    def wait_maildir(self, user, n, timeout=60.0):
        return mxtest.wait_for(lambda: self.maildir_count(user) >= n, timeout)

    # --- log -----------------------------------------------------------

    def logtext(self):
        parts = []
        for path in (self.maillog_file, os.path.join(self.log_dir, "master.out")):
            try:
                with open(path, "rb") as f:
                    parts.append(f.read().decode("utf-8", "replace"))
            except FileNotFoundError:
                pass
        return "".join(parts)

    def log_lines(self, pattern):
        rx = re.compile(pattern)
        return [line for line in self.logtext().splitlines() if rx.search(line)]

    def wait_log(self, pattern, timeout=30.0, n=1):
        return mxtest.wait_for(lambda: len(self.log_lines(pattern)) >= n, timeout)

