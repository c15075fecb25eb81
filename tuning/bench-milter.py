#!/usr/bin/env python3
"""bench-milter.py - mxscan-milter + mxscand against Debian's clamav-milter
+ clamd, side by side in one run, each behind its own throwaway Postfix.

  tuning/bench-milter.py [compare] [--storm 300] [--ordinary 150] [--conc 8]
                         [--rounds 3] [--sigs 300000] [--hashes 3000000]
                         [--worm-kb 200]
  tuning/bench-milter.py soak [--messages 10000] [--sessions 200]

compare (the default): two identical Postfix instances (tests/lib/postfix.py,
loopback only, smtpd_milters and milter_default_action = tempfail), one
with mxscan-milter in front of mxscand, one with clamav-milter in front of
clamd; both daemons load the same database (the test signatures plus
--sigs random body and --hashes random hash signatures; the defaults are
the large synthetic database ../shared/reference/test-instances.md
describes as close to ClamAV's own) with the same number of scan threads.  Each round makes fresh
corpora (so no cache carries over): ordinary mail (text, html, and
attachments of mail-like sizes up to 2 MB) and a worm storm (distinct
messages, each its own SMTP session, one identical infected attachment: a
deflated zip of --worm-kb KB holding a program with EICAR in it, the size
of a mass mailer's payload).  --conc SMTP senders send each phase to each
instance in turn (the order alternates between rounds); the DATA bytes
are prepared before the clock starts, so the senders cost little CPU.
Prints messages per second per phase, the median over the rounds, the
ratios (targets: ordinary >= 1, storm >= 5), how many storm copies each
refused with 550 (ours must say 5.7.0), and per phase the CPU
milliseconds per message of each part (scanner daemon, milter, the
Postfix instance with its children, the senders) from /proc, so where the
time goes is in the output; at the end, how mxscand answered (its log's
cache= field: storm is the storm pre-pass) and the milter's
open-to-verdict milliseconds.  Exit 1 when a storm copy got through or a
clean message was refused.

soak: one Postfix with mxscan-milter; --messages messages (a quarter of
them infected) from 8 senders with the milter's RSS and descriptors
sampled every 1000, then --sessions SMTP sessions held open at once (all
in the middle of DATA before any ends it), each checked for its verdict.
Prints the samples; exit 1 on a wrong verdict, a crash, descriptors that
do not come back, or RSS growing by more than 32 MB after the first 1000.

Needs root, Postfix, clamav-daemon, clamav-milter, and a build in
MX_BUILDDIR (default build-dev).
"""
import argparse
import base64
import importlib.util
import io
import os
import random
import smtplib
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("MX_BUILDDIR", os.path.join(HERE, "..", "build-dev"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import mxtest  # noqa: E402
import postfix  # noqa: E402

MILTER = os.path.join(os.environ["MX_BUILDDIR"], "wrappers", "milter", "mxscan-milter")


def load_storm_module():
    spec = importlib.util.spec_from_file_location("bench_storm",
                                                  os.path.join(HERE, "bench-storm.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def wait_socket(path, proc, what):
    import socket
    end = time.time() + 120
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit("%s exited" % what)
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return
        except OSError:
            time.sleep(0.05)  # readiness probe interval
        finally:
            s.close()
    sys.exit("%s not ready" % what)


def start_mxscan_milter(work, scand_sock, opts=None):
    sock = os.path.join(work, "mxscan-milter.sock")
    conf = os.path.join(work, "mxscan-milter.conf")
    o = {"scanner_endpoints": "unix:" + scand_sock, "milter_socket": "unix:" + sock,
         "milter_user": "", "milter_socket_group": "postfix", "milter_temp_dir": work}
    o.update(opts or {})
    with open(conf, "w") as f:
        f.write("".join("%s = %s\n" % kv for kv in o.items()))
    log = open(os.path.join(work, "mxscan-milter.log"), "ab")
    proc = subprocess.Popen([MILTER, "-f", "-c", conf], stdout=log, stderr=subprocess.STDOUT)
    mxtest.on_cleanup(mxtest.kill_process, proc)
    wait_socket(sock, proc, "mxscan-milter")
    return sock, proc


def start_clamav_milter(work, clamd_sock):
    sock = os.path.join(work, "clamav-milter.sock")
    conf = os.path.join(work, "clamav-milter.conf")
    with open(conf, "w") as f:
        f.write("MilterSocket unix:%s\nMilterSocketGroup postfix\nMilterSocketMode 660\n"
                "ClamdSocket unix:%s\nForeground yes\nUser root\nOnInfected Reject\n"
                "OnFail Defer\nAddHeader No\nMaxFileSize 50M\nReadTimeout 300\n"
                "LogFile %s/clamav-milter.log\nTemporaryDirectory %s\n"
                % (sock, clamd_sock, work, work))
    proc = subprocess.Popen(["clamav-milter", "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    mxtest.on_cleanup(mxtest.kill_process, proc)
    wait_socket(sock, proc, "clamav-milter")
    return sock, proc


class BigPostfix(postfix.Postfix):
    """A Postfix whose public smtpd takes SESSIONS clients at once."""

    sessions = 20

    def master_cf(self):
        return super().master_cf().replace(" inet n - n - 20 smtpd",
                                           " inet n - n - %d smtpd" % self.sessions)


def start_postfix(work, name, milter_sock, sessions=20):
    main = dict(postfix.snippet_main("main.cf.milter"))
    main["smtpd_milters"] = "unix:" + milter_sock
    main["default_process_limit"] = str(max(100, sessions + 10))
    BigPostfix.sessions = sessions
    pf = BigPostfix(mode="none", main_extra=main, workdir=os.path.join(work, name))
    os.mkdir(pf.dir)
    pf.start()
    return pf


def payload(data):
    """DATA's bytes for the message DATA (CRLF lines): dot-stuffed and
    terminated, made once before the clock starts, so the senders' own
    CPU (smtplib's per-message line rewriting) is not what is measured."""
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    if data.startswith(b"."):
        data = b"." + data
    return data.replace(b"\r\n.", b"\r\n..") + b".\r\n"


def send(port, data):
    """One SMTP session delivering the prepared DATA bytes (payload):
    (code, text) of the reply to the end of DATA, or of the refusal."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=300) as s:
            s.ehlo("bench.example.test")
            for cmd, want in (("mail FROM:<sender@example.net>", 250),
                              ("rcpt TO:<bob@example.test>", 250), ("data", 354)):
                s.putcmd(cmd)
                code, text = s.getreply()
                if code != want:
                    return code, text.decode("utf-8", "replace")
            s.sock.sendall(data)
            code, text = s.getreply()
            return code, text.decode("utf-8", "replace")
    except (OSError, smtplib.SMTPException) as e:
        return 0, str(e)


def _stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # state ppid ... utime(11) stime(12) cutime(13) cstime(14)
    return int(fields[1]), sum(int(x) for x in fields[11:15])


def tree_cpu(root):
    """CPU seconds (user + system) of ROOT and every descendant, alive or
    reaped (a reaped child's time is in its parent's cutime/cstime)."""
    parent, ticks = {}, {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _stat(int(d))
            if st is not None:
                parent[int(d)], ticks[int(d)] = st
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(p for p, pp in parent.items() if pp == pid)
    return total / os.sysconf("SC_CLK_TCK")


def self_cpu():
    t = os.times()
    return t.user + t.system


def blast(port, msgs, conc):
    t0 = time.time()
    with ThreadPoolExecutor(conc) as ex:
        replies = list(ex.map(lambda m: send(port, m), msgs))
    return len(msgs) / (time.time() - t0), replies


def html_message(i, rnd):
    body = "<html><body>" + "".join("<p>%s</p>" % " ".join(
        rnd.choice(["offer", "news", "update", "team", "agenda"]) for _ in range(20))
        for _ in range(rnd.randint(5, 60))) + "</body></html>"
    return ("From: news%d@example.net\r\nTo: bob@example.test\r\nSubject: newsletter %d\r\n"
            "Message-ID: <%d.%d.html@example.net>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=us-ascii\r\n\r\n%s\r\n"
            % (i, i, i, rnd.getrandbits(32), body)).encode()


def text_message(i, rnd):
    body = "\r\n".join(" ".join(rnd.choice(["meeting", "tomorrow", "lunch", "report", "ok"])
                                for _ in range(12)) for _ in range(rnd.randint(3, 80)))
    return ("From: colleague%d@example.net\r\nTo: bob@example.test\r\nSubject: note %d\r\n"
            "Message-ID: <%d.%d.txt@example.net>\r\n\r\n%s\r\n"
            % (i, i, i, rnd.getrandbits(32), body)).encode()


def worm_zip(kb, rnd):
    """The one attachment of a storm: a deflated zip of about KB kilobytes
    holding a program (an MZ header, incompressible code-like bytes and
    the EICAR string), as a mass mailer sends it."""
    exe = b"MZ\x90\x00" + rnd.randbytes(kb * 1000) + mxtest.EICAR
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("invoice_%d.exe" % rnd.getrandbits(16), exe)
    return z.getvalue()


def corpora(storm_mod, n_storm, n_ordinary, worm_kb, rnd):
    worm = worm_zip(worm_kb, rnd)
    storm = [storm_mod.message(i, worm, "document.zip", "application/zip", rnd)
             for i in range(n_storm)]
    ordinary = []
    for i in range(n_ordinary):
        kind = i % 3
        if kind == 0:
            ordinary.append(text_message(i, rnd))
        elif kind == 1:
            ordinary.append(html_message(i, rnd))
        else:
            size = int(rnd.choice([5, 30, 100, 300, 800, 2000]) * 1000 * rnd.uniform(0.5, 1.0))
            ordinary.append(storm_mod.message(100000 + i, os.urandom(size), "file%d.pdf" % i,
                                              "application/pdf", rnd))
    return storm, ordinary


def compare(a):
    storm_mod = load_storm_module()
    rnd = random.Random(4711)
    work = mxtest.tmpdir("bench-milter")
    os.chmod(work, 0o755)
    db = os.path.join(work, "db")
    print("database: %d body + %d hash synthetic signatures" % (a.sigs, a.hashes), flush=True)
    mxtest.make_synthetic_db(db, a.sigs, a.hashes, rnd)
    t0 = time.time()
    scand = mxtest.Daemon(db, options={"scand_threads": str(a.threads),
                                       "scand_stream_max_length": "50m"})
    print("load: mxscand %.1f s" % (time.time() - t0), flush=True)
    t0 = time.time()
    clamd = mxtest.Clamd(db, extra=["MaxThreads %d" % a.threads, "StreamMaxLength 50M"])
    print("load: clamd %.1f s" % (time.time() - t0), flush=True)
    ours, ours_proc = start_mxscan_milter(work, scand.socket)
    theirs, theirs_proc = start_clamav_milter(work, clamd.socket)
    pf_ours = start_postfix(work, "pf-mxscan", ours)
    pf_theirs = start_postfix(work, "pf-clamav", theirs)
    targets = [("mxscan-milter", pf_ours, {"scanner": scand.proc.pid, "milter": ours_proc.pid,
                                          "postfix": pf_ours.proc.pid}),
               ("clamav-milter", pf_theirs, {"scanner": clamd.proc.pid,
                                            "milter": theirs_proc.pid,
                                            "postfix": pf_theirs.proc.pid})]
    res, bad = {}, 0
    for rno in range(a.rounds):
        storm, ordinary = corpora(storm_mod, a.storm, a.ordinary, a.worm_kb, rnd)
        if rno == 0:
            print("storm: %d messages of %d KB; ordinary: %d messages, %d KB in all; %d senders"
                  % (len(storm), len(storm[0]) // 1024, len(ordinary),
                     sum(map(len, ordinary)) // 1024, a.conc), flush=True)
        order = targets if rno % 2 == 0 else list(reversed(targets))
        for phase, msgs in (("ordinary", ordinary), ("storm", storm)):
            data = [payload(m) for m in msgs]
            for name, pf, pids in order:
                cpu0 = {k: tree_cpu(v) for k, v in pids.items()}
                cpu0["senders"] = self_cpu()
                rate, replies = blast(pf.smtp_port, data, a.conc)
                cpu = {k: tree_cpu(v) - cpu0[k] for k, v in pids.items()}
                cpu["senders"] = self_cpu() - cpu0["senders"]
                refused = sum(1 for c, _t in replies if c == 550)
                r570 = sum(1 for c, t in replies if c == 550 and t.startswith("5.7.0"))
                if phase == "storm":
                    wrong = len(msgs) - refused
                    if name == "mxscan-milter":
                        wrong = len(msgs) - r570
                else:
                    wrong = sum(1 for c, _t in replies if c != 250)
                bad += wrong
                res.setdefault((phase, name), []).append(rate)
                print("  round %d %-8s %-14s %8.1f msg/s  550: %d (5.7.0: %d)  wrong %d"
                      % (rno + 1, phase, name, rate, refused, r570, wrong), flush=True)
                print("      CPU ms/msg: " + "  ".join(
                    "%s %.2f" % (k, v * 1000.0 / len(msgs)) for k, v in cpu.items()),
                    flush=True)
    print("\nmessages per second through Postfix (median of %d rounds, %d senders, %d scan "
          "threads each):" % (a.rounds, a.conc, a.threads))
    for phase in ("ordinary", "storm"):
        m = statistics.median(res[(phase, "mxscan-milter")])
        c = statistics.median(res[(phase, "clamav-milter")])
        print("  %-8s mxscan-milter %8.1f   clamav-milter %8.1f   ratio %.2fx (target %s)"
              % (phase, m, c, m / c, ">= 1" if phase == "ordinary" else ">= 5"))
    print("wrong verdicts: %d" % bad)
    report_logs(scand.logtext(), os.path.join(work, "mxscan-milter.log"))
    return 1 if bad else 0


def report_logs(scand_log, milter_log):
    """Where mxscand answered from (its cache= field) and the milter's
    open-to-verdict milliseconds, per verdict."""
    caches = {}
    for line in scand_log.splitlines():
        if " cmd=MIMESCAN " in line and " cache=" in line:
            key = (line.split(" verdict=")[1].split()[0], line.rsplit(" cache=", 1)[1].strip())
            caches[key] = caches.get(key, 0) + 1
    print("mxscand MIMESCAN answers (verdict, cache): " + ", ".join(
        "%s/%s %d" % (v, c, n) for (v, c), n in sorted(caches.items())))
    ms = {}
    with open(milter_log, encoding="utf-8", errors="replace") as f:
        for line in f:
            if ", ms=" in line and ", verdict=" in line:
                v = line.split(", verdict=")[1].split(",")[0]
                ms.setdefault(v, []).append(int(line.split(", ms=")[1].split(",")[0]))
    print("mxscan-milter open-to-verdict ms (median, 90th percentile): " + ", ".join(
        "%s %d, %d" % (v, statistics.median(x), sorted(x)[int(len(x) * 0.9)])
        for v, x in sorted(ms.items())))


def soak(a):
    rnd = random.Random(99)
    work = mxtest.tmpdir("soak-milter")
    os.chmod(work, 0o755)
    db = mxtest.make_test_db(os.path.join(work, "db"))
    scand = mxtest.Daemon(db, options={"scand_max_connections": "1024"})
    sock, proc = start_mxscan_milter(work, scand.socket)
    pf = start_postfix(work, "pf", sock, sessions=a.sessions + 10)

    def fds():
        return len(os.listdir("/proc/%d/fd" % proc.pid))
    base_fds = fds()
    bad = 0
    samples = []
    infected = b"Subject: worm\r\n\r\n" + mxtest.EICAR + b"\r\n"
    sent = 0
    while sent < a.messages:
        n = min(1000, a.messages - sent)
        msgs = [infected if (sent + i) % 4 == 0 else
                text_message(sent + i, rnd) for i in range(n)]
        _rate, replies = blast(pf.smtp_port, [payload(m) for m in msgs], 8)
        want = [550 if (sent + i) % 4 == 0 else 250 for i in range(n)]
        bad += sum(1 for r, w in zip(replies, want) if r[0] != w)
        sent += n
        samples.append((sent, mxtest.proc_rss_kb(proc.pid), fds()))
        print("  %6d messages: milter RSS %6d kB, %d descriptors, wrong so far %d"
              % (sent, samples[-1][1], samples[-1][2], bad), flush=True)
        pf.wait_queue_empty(300)
    # N sessions open at once, all in the middle of DATA
    barrier = threading.Barrier(a.sessions)
    results = [None] * a.sessions

    def session(i):
        try:
            with smtplib.SMTP("127.0.0.1", pf.smtp_port, timeout=300) as s:
                s.ehlo("c%d.example.test" % i)
                s.mail("s%d@example.net" % i)
                s.rcpt("bob@example.test")
                s.putcmd("data")
                s.getreply()
                s.send(b"Subject: concurrent %d\r\n\r\n" % i)
                barrier.wait(120)
                s.send((mxtest.EICAR if i % 2 else b"clean text") + b"\r\n.\r\n")
                results[i] = s.getreply()[0]
        except (OSError, smtplib.SMTPException, threading.BrokenBarrierError) as e:
            results[i] = str(e)
    threads = [threading.Thread(target=session, args=(i,)) for i in range(a.sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wrong = sum(1 for i, r in enumerate(results) if r != (550 if i % 2 else 250))
    bad += wrong
    print("  %d concurrent sessions: %d wrong verdicts %s" % (
        a.sessions, wrong, sorted({str(r) for r in results})[:5]))
    back = mxtest.wait_for(lambda: fds() <= base_fds + 1, 60)
    alive = proc.poll() is None
    growth = samples[-1][1] - samples[0][1]
    print("descriptors: %d at start, %d at the end%s; RSS growth after the first 1000: %d kB; "
          "milter %s" % (base_fds, fds(), "" if back else " (NOT back)", growth,
                         "alive" if alive else "DEAD"))
    return 1 if bad or not back or not alive or growth > 32 * 1024 else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", nargs="?", default="compare", choices=("compare", "soak"))
    ap.add_argument("--storm", type=int, default=300)
    ap.add_argument("--ordinary", type=int, default=150)
    ap.add_argument("--conc", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sigs", type=int, default=300000)
    ap.add_argument("--hashes", type=int, default=3000000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--worm-kb", type=int, default=200,
                    help="size of the storm's attachment before base64 (tens to a few hundred KB)")
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--sessions", type=int, default=200)
    a = ap.parse_args()
    try:
        rc = compare(a) if a.command == "compare" else soak(a)
    finally:
        mxtest.run_cleanups()
    sys.exit(rc)


if __name__ == "__main__":
    main()
