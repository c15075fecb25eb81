#!/usr/bin/env python3
"""bench-milter.py - mxscan-milter + mxscand against Debian's clamav-milter
+ clamd, side by side in one run, each behind its own throwaway Postfix.

  tuning/bench-milter.py [compare] [--storm 300] [--ordinary 150] [--conc 8]
                         [--rounds 2] [--sigs 20000] [--hashes 1000000]
  tuning/bench-milter.py soak [--messages 10000] [--sessions 200]

compare (the default): two identical Postfix instances (tests/lib/postfix.py,
loopback only, smtpd_milters and milter_default_action = tempfail), one
with mxscan-milter in front of mxscand, one with clamav-milter in front of
clamd; both daemons load the same database (the test signatures plus
--sigs random body and --hashes random hash signatures, the weight of a
real one) with the same number of scan threads.  Each round makes fresh
corpora (so no cache carries over): ordinary mail (text, html, and
attachments of mail-like sizes up to 2 MB) and a worm storm (distinct
messages, one identical infected attachment: a 400 KB zip holding EICAR).
--conc SMTP senders send each phase to each instance in turn (the order
alternates between rounds).  Prints messages per second per phase, the
median over the rounds, the ratios (targets: ordinary >= 1, storm >= 5),
and how many storm copies each refused with 550 (ours must say 5.7.0);
exit 1 when a storm copy got through or a clean message was refused.

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


def send(port, data):
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=300) as s:
            s.ehlo("bench.example.test")
            s.mail("sender@example.net")
            s.rcpt("bob@example.test")
            code, text = s.data(data)
            return code, text.decode("utf-8", "replace")
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error.decode("utf-8", "replace")
    except (OSError, smtplib.SMTPException) as e:
        return 0, str(e)


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


def corpora(storm_mod, n_storm, n_ordinary, rnd):
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("document.scr", os.urandom(400000) + mxtest.EICAR)
    worm = z.getvalue()
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
    storm_mod.make_db(db, a.sigs, a.hashes, rnd)
    t0 = time.time()
    scand = mxtest.Daemon(db, options={"scand_threads": str(a.threads),
                                       "scand_stream_max_length": "50m"})
    print("load: mxscand %.1f s" % (time.time() - t0), flush=True)
    t0 = time.time()
    clamd = mxtest.Clamd(db, extra=["MaxThreads %d" % a.threads, "StreamMaxLength 50M"])
    print("load: clamd %.1f s" % (time.time() - t0), flush=True)
    ours, _ = start_mxscan_milter(work, scand.socket)
    theirs, _ = start_clamav_milter(work, clamd.socket)
    targets = [("mxscan-milter", start_postfix(work, "pf-mxscan", ours)),
               ("clamav-milter", start_postfix(work, "pf-clamav", theirs))]
    res, bad = {}, 0
    for rno in range(a.rounds):
        storm, ordinary = corpora(storm_mod, a.storm, a.ordinary, rnd)
        if rno == 0:
            print("storm: %d messages of %d KB; ordinary: %d messages, %d KB in all; %d senders"
                  % (len(storm), len(storm[0]) // 1024, len(ordinary),
                     sum(map(len, ordinary)) // 1024, a.conc), flush=True)
        order = targets if rno % 2 == 0 else list(reversed(targets))
        for phase, msgs in (("ordinary", ordinary), ("storm", storm)):
            for name, pf in order:
                rate, replies = blast(pf.smtp_port, msgs, a.conc)
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
    print("\nmessages per second through Postfix (median of %d rounds, %d senders, %d scan "
          "threads each):" % (a.rounds, a.conc, a.threads))
    for phase in ("ordinary", "storm"):
        m = statistics.median(res[(phase, "mxscan-milter")])
        c = statistics.median(res[(phase, "clamav-milter")])
        print("  %-8s mxscan-milter %8.1f   clamav-milter %8.1f   ratio %.2fx (target %s)"
              % (phase, m, c, m / c, ">= 1" if phase == "ordinary" else ">= 5"))
    print("wrong verdicts: %d" % bad)
    return 1 if bad else 0


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
        _rate, replies = blast(pf.smtp_port, msgs, 8)
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
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sigs", type=int, default=20000)
    ap.add_argument("--hashes", type=int, default=1000000)
    ap.add_argument("--threads", type=int, default=4)
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
