#!/usr/bin/env python3
"""bench-filter.py - mail throughput through a real Postfix with
mxscan-filter vs clamsmtp as the after-queue content filter, side by side
in one run.  A benchmark, not a test: it prints figures and ratios.

    tuning/bench-filter.py --messages 200 --concurrency 8 --rounds 3

Setup (all throwaway, loopback only, built from tests/lib/postfix.py):
one mxscand on a small test database (verdict cache off unless
MX_BENCH_CACHE=N is set, because both filters see the same corpus), and
one identical after-queue Postfix instance per contender:
  mxscan-filter   MIMESCAN over the UNIX socket, filter_infected_action
                  discard by default (--action), filter_max_connections =
                  the scan transport's maxproc
  clamsmtp        clamsmtpd 1.10, ClamAddress = the same mxscand socket
                  (it writes each message to a file and sends SCAN path),
                  Action: drop, User: clamsmtp
  postfix alone   no content filter (the ceiling; --no-baseline to skip)
amavisd-new is not part of it (not installed here).

Each round makes a fresh corpus (distinct random text and attachments;
--infected is the share carrying the EICAR string inside random bytes),
then pushes the same corpus through every contender in turn (the order
rotates each round): --concurrency parallel SMTP clients into the public
smtpd, timed from the first connection until every clean message is in
the Maildir and the queue is empty.  Reported: messages per second per
round, the median, and each contender's ratio to clamsmtp.
"""
import argparse
import base64
import os
import random
import shutil
import smtplib
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import mxtest  # noqa: E402
import peers  # noqa: E402
import postfix  # noqa: E402

FILTER = os.path.join(mxtest.BUILDDIR, "wrappers", "filter", "mxscan-filter")


def log(msg):
    print(msg, flush=True)


def make_corpus(n, size, infected_share, rng):
    """N messages (bytes, is_infected), every one distinct."""
    out = []
    n_inf = int(round(n * infected_share))
    flags = [True] * n_inf + [False] * (n - n_inf)
    rng.shuffle(flags)
    for i, inf in enumerate(flags):
        blob = bytes(rng.getrandbits(8) for _ in range(size))
        if inf:
            cut = rng.randrange(len(blob) + 1)
            blob = blob[:cut] + mxtest.EICAR + blob[cut:]
        words = " ".join("w%x" % rng.getrandbits(24) for _ in range(60))
        b = "=_bench_%d_%x" % (i, rng.getrandbits(48))
        msg = ("From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\n"
               "Subject: bench %d\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n"
               "Message-ID: <%d.%x@bench.example.test>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
               "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n"
               "--%s\r\nContent-Type: application/octet-stream; name=\"f%d.bin\"\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n"
               % (i, i, rng.getrandbits(64), b, b, words, b, i)).encode()
        msg += base64.encodebytes(blob).replace(b"\n", b"\r\n")
        msg += ("--%s--\r\n" % b).encode()
        out.append((msg, inf))
    return out


def push(port, corpus, concurrency):
    """Send CORPUS with CONCURRENCY parallel SMTP sessions; returns the
    number of messages the smtpd refused."""
    lock = threading.Lock()
    todo = list(range(len(corpus)))
    errors = []

    def worker():
        s = smtplib.SMTP("127.0.0.1", port, timeout=120)
        s.ehlo("bench.example.test")
        try:
            while True:
                with lock:
                    if not todo:
                        return
                    i = todo.pop()
                try:
                    s.sendmail("alice@example.test", ["bob@example.test"], corpus[i][0])
                except smtplib.SMTPException as e:
                    errors.append(str(e))
        finally:
            try:
                s.quit()
            except smtplib.SMTPException:
                pass

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


class Contender:
    name = "?"

    def __init__(self, work, scand, args):
        self.work = work
        self.dir = os.path.join(work, self.name.replace(" ", "-"))
        os.makedirs(self.dir)
        self.args = args
        self.proc = None
        self.pf = None

    def start_postfix(self, mode, filter_port=None, reinject=None):
        self.pf = postfix.Postfix(mode=mode, filter_port=filter_port, reinject_port=reinject,
                                  workdir=os.path.join(self.dir, "postfix"),
                                  scan_maxproc=self.args.maxproc)
        os.makedirs(self.pf.dir)
        self.pf.start()

    def stop(self):
        if self.proc is not None:
            mxtest.stop_process(self.proc)
        if self.pf is not None:
            self.pf.keep = self.args.keep
            self.pf.stop()

    def run(self, corpus):
        """Seconds from the first connection until every clean message is
        delivered and the queue is empty; None on a time-out."""
        want = sum(1 for _m, inf in corpus if not inf)
        shutil.rmtree(os.path.join(self.pf.mail_dir, "bob"), ignore_errors=True)
        t0 = time.monotonic()
        errors = push(self.pf.smtp_port, corpus, self.args.concurrency)
        done = mxtest.wait_for(lambda: self.pf.maildir_count("bob") >= want and
                               self.pf.queue_files() == 0, self.args.timeout)
        dt = time.monotonic() - t0
        got = self.pf.maildir_count("bob")
        if errors or not done or got != want:
            log("   %s: %s (delivered %d of %d clean; %d refused: %s)"
                % (self.name, "TIMED OUT" if not done else "WRONG COUNT", got, want,
                   len(errors), "; ".join(errors[:3])))
            return None
        return dt


class MxscanFilter(Contender):
    name = "mxscan-filter"

    def __init__(self, work, scand, args):
        super().__init__(work, scand, args)
        port, reinject = mxtest.free_port(), mxtest.free_port()
        self.start_postfix("after-queue", port, reinject)
        opts = {
            "scanner_endpoints": "unix:" + scand.socket,
            "filter_listen": "127.0.0.1:%d" % port,
            "filter_forward": "127.0.0.1:%d" % reinject,
            "filter_user": "",
            "filter_temp_dir": self.dir,
            "filter_quarantine_dir": os.path.join(self.dir, "quarantine"),
            "filter_infected_action": args.action,
            "filter_max_connections": str(args.maxproc),
        }
        conf = os.path.join(self.dir, "mxscan.conf")
        with open(conf, "w") as f:
            f.write("".join("%s = %s\n" % kv for kv in opts.items()))
        self.proc = subprocess.Popen([FILTER, "-f", "-c", conf],
                                     stdout=open(os.path.join(self.dir, "filter.log"), "ab"),
                                     stderr=subprocess.STDOUT)
        if not mxtest.wait_for(lambda: postfix._port_greets(port), 30):
            self.stop()
            raise RuntimeError("mxscan-filter did not start (log in %s)" % self.dir)


    def timings(self):
        """Median scan_ms and ms (end of DATA to final reply) from the
        filter's per-message log lines."""
        import re
        scan, total = [], []
        with open(os.path.join(self.dir, "filter.log"), errors="replace") as f:
            for line in f:
                m = re.search(r"scan_ms=(\d+), ms=(\d+)", line)
                if m:
                    scan.append(int(m.group(1)))
                    total.append(int(m.group(2)))
        if not scan:
            return None
        return statistics.median(scan), statistics.median(total), len(scan)


class Clamsmtp(Contender):
    name = "clamsmtp"

    def __init__(self, work, scand, args):
        super().__init__(work, scand, args)
        port, reinject = mxtest.free_port(), mxtest.free_port()
        # clamsmtp greets only once it has reached its OutAddress
        self.start_postfix("after-queue", port, reinject)
        try:
            self.smtpd = peers.Clamsmtpd(self.dir, port, reinject, scand.socket, action="drop",
                                         max_connections=max(64, args.maxproc))
        except RuntimeError:
            self.stop()
            raise

    def stop(self):
        if getattr(self, "smtpd", None) is not None:
            self.smtpd.stop()
        super().stop()


class Baseline(Contender):
    name = "postfix alone"

    def __init__(self, work, scand, args):
        super().__init__(work, scand, args)
        self.start_postfix("none")

    def run(self, corpus):
        # no scanner: infected messages are delivered too
        want = len(corpus)
        shutil.rmtree(os.path.join(self.pf.mail_dir, "bob"), ignore_errors=True)
        t0 = time.monotonic()
        errors = push(self.pf.smtp_port, corpus, self.args.concurrency)
        done = mxtest.wait_for(lambda: self.pf.maildir_count("bob") >= want and
                               self.pf.queue_files() == 0, self.args.timeout)
        dt = time.monotonic() - t0
        return dt if done and not errors else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=200, help="messages per round")
    ap.add_argument("--concurrency", type=int, default=8, help="parallel SMTP clients")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=8000, help="attachment bytes per message")
    ap.add_argument("--infected", type=float, default=0.1, help="share of infected messages")
    ap.add_argument("--maxproc", type=int, default=10,
                    help="scan transport maxproc (= filter_max_connections)")
    ap.add_argument("--action", default="discard",
                    help="mxscan-filter's filter_infected_action (discard matches clamsmtp's drop)")
    ap.add_argument("--timeout", type=float, default=300.0, help="per contender and round")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = ap.parse_args()

    missing = postfix.available()
    if missing or not shutil.which("clamsmtpd") or not os.access(FILTER, os.X_OK):
        sys.exit("bench-filter: needs root, postfix, swaks, clamsmtpd and %s (missing: %s)"
                 % (FILTER, ", ".join(missing) or "-"))
    work = mxtest.tmpdir("bench-filter")
    contenders = []
    try:
        db = mxtest.make_test_db(os.path.join(work, "db"))
        os.makedirs(os.path.join(work, "scand"))
        scand = mxtest.Daemon(db, workdir=os.path.join(work, "scand"), options={
            "scand_socket_mode": "0666",  # clamsmtp connects as user clamsmtp
            "scand_cache_size": os.environ.get("MX_BENCH_CACHE", "0"),
            "scand_scan_roots": work,     # clamsmtp's SCAN of its temp files
        })
        classes = [MxscanFilter, Clamsmtp] + ([] if args.no_baseline else [Baseline])
        for c in classes:
            contenders.append(c(work, scand, args))
        log("bench-filter: %d messages/round (%d%% infected, %d-byte attachments), "
            "%d SMTP clients, scan maxproc %d, %d rounds; mxscan-filter action %s"
            % (args.messages, round(args.infected * 100), args.size, args.concurrency,
               args.maxproc, args.rounds, args.action))
        rng = random.Random(args.seed)
        results = {c.name: [] for c in contenders}
        for r in range(args.rounds):
            corpus = make_corpus(args.messages, args.size, args.infected, rng)
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            line = []
            for c in order:
                dt = c.run(corpus)
                rate = args.messages / dt if dt else None
                results[c.name].append(rate)
                line.append("%s %s" % (c.name, "%.1f msg/s (%.2fs)" % (rate, dt) if dt
                                       else "failed"))
            log("round %d: %s" % (r + 1, "; ".join(line)))
        log("")
        log("%-15s %10s %10s %10s %12s" % ("contender", "median", "min", "max", "vs clamsmtp"))
        ref = [x for x in results["clamsmtp"] if x]
        ref_med = statistics.median(ref) if ref else None
        for c in contenders:
            vals = [x for x in results[c.name] if x]
            if not vals:
                log("%-15s %10s" % (c.name, "failed"))
                continue
            med = statistics.median(vals)
            log("%-15s %10.1f %10.1f %10.1f %12s" % (
                c.name, med, min(vals), max(vals),
                "%.2fx" % (med / ref_med) if ref_med else "-"))
        log("(messages per second through Postfix, from the first SMTP connection until "
            "every clean message is in the Maildir and the queue is empty)")
        for c in contenders:
            if isinstance(c, MxscanFilter) and c.timings():
                sm, tm, n = c.timings()
                log("mxscan-filter's own log, %d messages: median scan_ms %s, median ms "
                    "(end of DATA to final reply, scan + reinjection) %s" % (n, sm, tm))
        if ref:
            per_round = [a / b for a, b in zip(results["mxscan-filter"], results["clamsmtp"])
                         if a and b]
            if per_round:
                log("mxscan-filter / clamsmtp per round: " +
                    " ".join("%.2f" % x for x in per_round))
    finally:
        for c in contenders:
            c.stop()
        for d in mxtest.DAEMONS:
            d.stop()
        if args.keep:
            log("work directory kept: " + work)
        else:
            mxtest.rmtree(work)


if __name__ == "__main__":
    main()
