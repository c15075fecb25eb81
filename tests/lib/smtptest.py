"""smtptest - SMTP helpers for the mxscan-filter tests (TAP via mxtest).

Capture: a downstream SMTP server (the stand-in for Postfix's reinjection
smtpd) that records every transaction byte for byte: XFORWARD lines, the
MAIL and RCPT arguments and the message as unstuffed from DATA.
Client: a raw SMTP client that can pipeline and sends DATA with exact
dot-stuffing.  Filter: an mxscan-filter in the foreground on free ports,
ready when it greets with 220.  Captures and filters register themselves
in mxtest's cleanup registry.
"""
import os
import socket
import subprocess
import threading
import time

import mxtest

FILTER = os.path.join(mxtest.BUILDDIR, "wrappers", "filter", "mxscan-filter")
QUARANTINE = os.path.join(mxtest.BUILDDIR, "wrappers", "quarantine", "mxscan-quarantine")
ASAN = bool(os.environ.get("MX_ASAN"))
SLOW = 4 if ASAN else 1


def stuff(body):
    """Dot-stuff BODY (bytes with CRLF lines) and add the end marker."""
    out = b"." + body if body.startswith(b".") else body
    out = out.replace(b"\r\n.", b"\r\n..")
    if out and not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out + b".\r\n"


def unstuff(data):
    """The message in DATA bytes that end with CRLF.CRLF (marker removed)."""
    assert data.endswith(b"\r\n.\r\n") or data == b".\r\n"
    data = data[:-3]
    lines = data.split(b"\r\n")
    return b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)


class Transaction:
    def __init__(self):
        self.xforward = []
        self.mail = None
        self.rcpt = []
        self.data = None


class Capture:
    """A downstream SMTP server recording transactions (thread per session)."""

    EXTS = ["PIPELINING", "SIZE 200000000", "8BITMIME", "SMTPUTF8", "DSN",
            "XFORWARD NAME ADDR PROTO HELO IDENT SOURCE PORT", "ENHANCEDSTATUSCODES"]

    def __init__(self, exts=None, data_reply=b"250 2.0.0 Ok: queued as CAPTURE1",
                 close_after_data=False):
        self.exts = self.EXTS if exts is None else exts
        self.close_after_data = close_after_data
        self.data_reply = data_reply
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.done = []          # completed (delivered) transactions
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()
        mxtest.on_cleanup(self.stop)

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        f = c.makefile("rb")
        c.settimeout(120)

        def say(line):
            c.sendall(line + b"\r\n")
        try:
            say(b"220 capture ESMTP")
            t = Transaction()
            pending_xf = []
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.rstrip(b"\r\n")
                up = cmd.upper()
                if up.startswith(b"EHLO"):
                    lines = [b"capture"] + [e.encode() for e in self.exts]
                    for i, l in enumerate(lines):
                        say(b"250" + (b" " if i == len(lines) - 1 else b"-") + l)
                elif up.startswith(b"HELO"):
                    say(b"250 capture")
                elif up.startswith(b"XFORWARD"):
                    pending_xf.append(cmd)
                    say(b"250 2.0.0 Ok")
                elif up.startswith(b"MAIL FROM:"):
                    t = Transaction()
                    t.xforward = pending_xf
                    pending_xf = []
                    t.mail = cmd[10:]
                    say(b"250 2.1.0 Ok")
                elif up.startswith(b"RCPT TO:"):
                    if b"reject" in cmd:
                        say(b"550 5.1.1 <%s>: Recipient address rejected" % cmd[8:].strip(b"<>"))
                        continue
                    t.rcpt.append(cmd[8:])
                    say(b"250 2.1.5 Ok")
                elif up == b"DATA":
                    say(b"354 End data with <CR><LF>.<CR><LF>")
                    data = b""
                    while not (data.endswith(b"\r\n.\r\n") or data == b".\r\n"):
                        l = f.readline()
                        if not l:
                            return
                        data += l
                    t.data = unstuff(data)
                    with self.cond:
                        self.done.append(t)
                        self.cond.notify_all()
                    say(self.data_reply)
                    t = Transaction()
                    if self.close_after_data:
                        return
                elif up == b"RSET":
                    t = Transaction()
                    pending_xf = []
                    say(b"250 2.0.0 Ok")
                elif up == b"QUIT":
                    say(b"221 2.0.0 Bye")
                    return
                else:
                    say(b"250 2.0.0 Ok")
        except OSError:
            pass
        finally:
            c.close()

    def take(self):
        with self.lock:
            out, self.done = self.done, []
        return out

    def wait(self, n, timeout=20.0):
        end = time.time() + timeout * SLOW
        with self.cond:
            while len(self.done) < n and time.time() < end:
                self.cond.wait(0.2)
            return len(self.done) >= n

    def stop(self):
        self.stopping = True
        self.sock.close()


class Client:
    """A raw SMTP client; replies are (code, [lines])."""

    def __init__(self, port, timeout=30.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
        self.f = self.s.makefile("rb")
        self.greeting = self.reply()

    def reply(self):
        lines = []
        while True:
            l = self.f.readline()
            if not l:
                return (0, lines)
            lines.append(l.rstrip(b"\r\n").decode("utf-8", "replace"))
            if len(l) < 4 or l[3:4] != b"-":
                return (int(l[:3]) if l[:3].isdigit() else -1, lines)

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, line):
        self.send(line.encode() + b"\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.reply()

    def code(self, line):
        return self.cmd(line)[0]

    def mail(self, sender, rcpts, body, ehlo=True, xforward=None, mail_params=""):
        """One transaction; returns the reply to the final dot (or the first failure)."""
        if ehlo:
            self.cmd("EHLO client.test")
        if xforward:
            r = self.cmd("XFORWARD " + xforward)
            if r[0] != 250:
                return r
        r = self.cmd("MAIL FROM:<%s>%s" % (sender, mail_params))
        if r[0] != 250:
            return r
        ok = 0
        for rc in rcpts:
            if self.cmd("RCPT TO:<%s>" % rc)[0] == 250:
                ok += 1
        r = self.cmd("DATA")
        if r[0] != 354:
            return r
        self.send(stuff(body))
        return self.reply()

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def simple_message(body=b"Hello.\r\n", subject="test", extra=b""):
    return (b"From: sender@example.test\r\nTo: rcpt@example.test\r\nSubject: " +
            subject.encode() + b"\r\nMessage-ID: <%d@example.test>\r\n" % time.time_ns() +
            extra + b"\r\n" + body)


class Filter:
    """An mxscan-filter in the foreground on a free port."""

    def __init__(self, scanner_socket, forward, workdir, options=None, wait=True):
        self.port = mxtest.free_port()
        self.dir = workdir
        self.log = os.path.join(workdir, "filter.%d.log" % self.port)
        opts = {
            "scanner_endpoints": "unix:" + scanner_socket if scanner_socket else "",
            "filter_listen": "127.0.0.1:%d" % self.port,
            "filter_forward": forward,
            "filter_user": "",
            "filter_temp_dir": workdir,
            "filter_quarantine_dir": os.path.join(workdir, "quarantine"),
            "filter_hostname": "filter.test",
        }
        opts.update(options or {})
        self.conf = os.path.join(workdir, "filter.%d.conf" % self.port)
        with open(self.conf, "w") as f:
            for k, v in opts.items():
                f.write("%s = %s\n" % (k, v))
        self.options = opts
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([FILTER, "-f", "-c", self.conf], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        mxtest.on_cleanup(self.reap)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=30.0):
        end = time.time() + timeout * SLOW
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("mxscan-filter exited with %s:\n%s" %
                                   (self.proc.returncode, self.logtext()[-2000:]))
            try:
                c = Client(self.port, timeout=5)
                ok = c.greeting[0] == 220
                c.cmd("QUIT")
                c.close()
                if ok:
                    return
            except OSError:
                pass
            time.sleep(0.05)  # probe interval, not a synchronisation sleep
        raise RuntimeError("mxscan-filter not ready")

    def client(self, timeout=30.0):
        return Client(self.port, timeout)

    def reap(self):
        """Kill the filter if it still runs (a cleanup)."""
        mxtest.kill_process(self.proc)
        if not self.logf.closed:
            self.logf.close()

    def stop(self):
        mxtest.stop_process(self.proc, 30 * SLOW)
        if not self.logf.closed:
            self.logf.close()
        return self.proc.returncode

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")


def quarantine(conf, *args):
    """Run mxscan-quarantine; returns (exit status, stdout bytes, stderr text)."""
    p = subprocess.run([QUARANTINE, "-c", conf] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60 * SLOW)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")
