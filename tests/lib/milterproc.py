"""milterproc - an mxscan-milter started for a test (t_milter.py,
t_milter_metrics.py): in the foreground on its own socket, with its own
mxscan.conf and log, stopped at cleanup."""
import os
import socket
import subprocess

import mxtest

MILTER = os.path.join(mxtest.BUILDDIR, "wrappers", "milter", "mxscan-milter")
SLOW = 4 if os.environ.get("MX_ASAN") else 1
T = 30 * SLOW


class Milter:
    """An mxscan-milter in the foreground on SOCKET with OPTIONS."""

    def __init__(self, socket_spec, endpoints, options=None, name="milter"):
        self.dir = mxtest.tmpdir(name)
        self.socket = socket_spec
        self.log = os.path.join(self.dir, "milter.log")
        opts = {"scanner_endpoints": " ".join(endpoints), "milter_socket": socket_spec,
                "milter_user": "", "milter_temp_dir": self.dir,
                "milter_socket_group": "postfix", "milter_scan_timeout": "%ds" % (20 * SLOW)}
        opts.update(options or {})
        self.conf = os.path.join(self.dir, "mxscan.conf")
        with open(self.conf, "w") as f:
            f.write("".join("%s = %s\n" % kv for kv in opts.items()))
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([MILTER, "-f", "-c", self.conf], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        mxtest.on_cleanup(self.stop)
        path = socket_spec[5:]
        if not mxtest.wait_for(lambda: self._connects(path) or self.proc.poll() is not None, T):
            raise RuntimeError("milter not ready:\n" + self.logtext())
        if self.proc.poll() is not None:
            raise RuntimeError("milter exited:\n" + self.logtext())

    @staticmethod
    def _connects(path):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def stop(self, graceful=True):
        """SIGTERM and wait (libmilter's listener notices within about 5 s),
        or SIGKILL for a quick restart (the next one removes the socket)."""
        if not graceful and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        rc = mxtest.stop_process(self.proc)
        if not self.logf.closed:
            self.logf.close()
        return rc

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def fd_list(self):
        d = "/proc/%d/fd" % self.proc.pid
        out = []
        for n in os.listdir(d):
            try:
                out.append("%s -> %s" % (n, os.readlink(os.path.join(d, n))))
            except OSError:
                pass
        return "\n".join(sorted(out))

    def rss_kb(self):
        return mxtest.proc_rss_kb(self.proc.pid)
