#!/usr/bin/env python3
"""bench-storm.py - a worm storm through mxscand (MIMESCAN and INSTREAM) and
stock clamd (INSTREAM), side by side in one run.

The storm is N distinct messages (own Message-ID, subject and text) that
all carry the same infected attachment, a zip of about 400 KB holding the
EICAR string among random data (about 540 KB once base64-encoded): what a
mass mailer sends.  The clean storm is the same with a clean attachment
(a newsletter, a circulated document).  Ordinary traffic is M messages
with unique attachments of mail-like sizes.  The daemons load the same
database (the test signatures plus --sigs random body signatures and
--hashes random hash signatures, to give the engine the weight of a real
one) and are driven by the same client with the same concurrency; the
phases are interleaved over --rounds rounds and the medians reported.

--before DIR adds an mxscand from another build directory (its
scanner/mxscand, e.g. a build of an earlier commit) for MIMESCAN and
INSTREAM, so a change is measured before and after in the same run.

Beside messages per second, the CPU time each daemon spent (user plus
system, from /proc/PID/stat) is reported per message: what a storm costs
the host, not only how fast it is answered.

--engine-cache adds a second mxscand with scand_engine_cache = no
(mxscand's verdict cache alone, without libclamav's clean-file cache), so
what the default (yes) buys is measured in the same run: whole messages
sent by INSTREAM, as clamd clients send them, are where libclamav's
per-layer cache can save a rescan of a repeated attachment.

  tuning/bench-storm.py [--storm 1000] [--ordinary 200] [--conc 4]
                        [--rounds 2] [--sigs 20000] [--hashes 1000000]
                        [--engine-cache] [--before DIR]

Needs root (clamd runs as root), Debian's clamav-daemon, and mxscand built
in MX_BUILDDIR (default build-dev).  Prints messages per second per phase
and daemon and the ratios; exit 1 when any verdict is wrong.
"""
import argparse
import base64
import io
import os
import random
import statistics
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("MX_BUILDDIR", os.path.join(HERE, "..", "build-dev"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import mxtest  # noqa: E402


def message(i, attachment, name, ctype, rnd):
    text = ("Hello %d,\n\nplease see the attached document.\n\n" % i +
            " ".join(rnd.choice(["report", "invoice", "meeting", "figures", "draft", "notes"])
                     for _ in range(60)) + "\n")
    return ("From: sender%d@example.net\r\nTo: user@example.org\r\n"
            "Subject: Re: your document %d\r\nMessage-ID: <%d.%d@example.net>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n"
            "--b%d\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n"
            "--b%d\r\nContent-Type: %s; name=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n%s\r\n--b%d--\r\n"
            % (i, i, i, rnd.getrandbits(32), i, i, text.replace("\n", "\r\n"), i, ctype, name, name,
               base64.encodebytes(attachment).decode().replace("\n", "\r\n"), i)).encode()


MXBENCH = os.path.join(os.environ["MX_BUILDDIR"], "tuning", "mxbench")


def cpu_seconds(pid):
    """User plus system CPU time of PID so far (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(sock, mode, files, conc, want_found, pid):
    """One pass over FILES with mxbench (the C client): messages per second,
    the number of wrong verdicts, and the daemon's CPU ms per message."""
    import subprocess
    cpu0 = cpu_seconds(pid)
    r = subprocess.run([MXBENCH, "-s", "unix:" + sock, "-c", str(conc), "-m", mode, "-n", str(len(files)),
                        "-q"] + files, capture_output=True, text=True)
    kv = dict(x.split("=", 1) for x in r.stdout.split() if "=" in x)
    if "rps" not in kv:
        sys.exit("mxbench failed: %s %s" % (r.stdout, r.stderr))
    found, ok, errors = int(kv["found"]), int(kv["ok"]), int(kv["errors"])
    wrong = errors + (ok if want_found else found)
    return float(kv["rps"]), wrong, (cpu_seconds(pid) - cpu0) * 1000.0 / len(files)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--storm", type=int, default=1000)
    ap.add_argument("--ordinary", type=int, default=200)
    ap.add_argument("--conc", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sigs", type=int, default=20000)
    ap.add_argument("--hashes", type=int, default=1000000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--engine-cache", action="store_true",
                    help="also run an mxscand with scand_engine_cache = no")
    ap.add_argument("--before", metavar="DIR",
                    help="also run the mxscand of build directory DIR (MIMESCAN and INSTREAM)")
    a = ap.parse_args()
    rnd = random.Random(42)
    work = mxtest.tmpdir("storm")
    db = os.path.join(work, "db")
    print("database: %d body + %d hash synthetic signatures" % (a.sigs, a.hashes), flush=True)
    mxtest.make_synthetic_db(db, a.sigs, a.hashes, rnd)

    def corpus(rno):
        """Fresh mail for round RNO, so no daemon's cache (mxscand's verdict
        cache, libclamav's clean cache in both) carries over between rounds."""
        d = os.path.join(work, "mail%d" % rno)
        os.makedirs(d)
        def zipped(tail):
            z = io.BytesIO()
            with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
                zf.writestr("document.scr", os.urandom(400000) + tail)
            return z.getvalue()
        worm, circular = zipped(mxtest.EICAR), zipped(b"nothing to see")
        storm, clean, ordinary = [], [], []

        def save(data, n):
            path = os.path.join(d, "%06d.eml" % n)
            with open(path, "wb") as f:
                f.write(data)
            return path
        for i in range(a.storm):
            storm.append(save(message(i, worm, "document.zip", "application/zip", rnd), i))
            clean.append(save(message(200000 + i, circular, "document.zip", "application/zip", rnd),
                              200000 + i))
        for i in range(a.ordinary):
            size = int(rnd.choice([2, 8, 30, 100, 300, 800]) * 1000 * rnd.uniform(0.5, 1.5))
            ordinary.append(save(message(100000 + i, os.urandom(size), "file%d.pdf" % i, "application/pdf",
                                         rnd), 100000 + i))
        return storm, clean, ordinary

    opts = {"scand_threads": str(a.threads), "scand_stream_max_length": "50m"}
    # One daemon per target: MIMESCAN and INSTREAM on one mxscand would
    # answer each other's messages from the shared caches.
    daemons, targets = [], []
    current = mxtest.MXSCAND
    for name, extra, mode in (("mxscand MIMESCAN", {}, "mimescan"), ("mxscand INSTREAM", {}, "instream"),
                              ("before MIMESCAN", {}, "mimescan"), ("before INSTREAM", {}, "instream"),
                              ("no-ec MIMESCAN", {"scand_engine_cache": "no"}, "mimescan"),
                              ("no-ec INSTREAM", {"scand_engine_cache": "no"}, "instream")):
        if ("no-ec" in name and not a.engine_cache) or (name.startswith("before") and not a.before):
            continue
        t0 = time.time()
        mxtest.MXSCAND = (os.path.join(os.path.abspath(a.before), "scanner", "mxscand")
                          if name.startswith("before") else current)
        d = mxtest.Daemon(db, options=dict(opts, **extra))
        mxtest.MXSCAND = current
        print("load: %s %.1f s" % (name, time.time() - t0), flush=True)
        daemons.append(d)
        targets.append((name, d.socket, mode, d.proc.pid))
    mx = daemons[0]
    t0 = time.time()
    cd = mxtest.Clamd(db, extra=["MaxThreads %d" % a.threads, "StreamMaxLength 50M"])
    daemons.append(cd)
    print("load: clamd %.1f s" % (time.time() - t0), flush=True)
    targets.append(("clamd INSTREAM", cd.socket, "instream", cd.proc.pid))
    phases = ("storm", "clean storm", "ordinary")
    res, cpu = {}, {}
    bad = 0
    try:
        for rnd_no in range(a.rounds):
            order = list(targets)
            storm, clean, ordinary = corpus(rnd_no)
            if rnd_no == 0:
                print("storm and clean storm: %d messages of %d KB each; ordinary: %d messages, "
                      "%d KB in all" % (len(storm), os.path.getsize(storm[0]) // 1024, len(ordinary),
                                        sum(map(os.path.getsize, ordinary)) // 1024), flush=True)
            if rnd_no % 2:
                order.reverse()
            for phase, msgs, found in zip(phases, (storm, clean, ordinary), (True, False, False)):
                for name, sock, cmd, pid in order:
                    rate, wrong, ms = run(sock, cmd, msgs, a.conc, found, pid)
                    bad += wrong
                    res.setdefault((phase, name), []).append(rate)
                    cpu.setdefault((phase, name), []).append(ms)
                    print("  round %d %-11s %-19s %8.1f msg/s  %7.2f CPU ms/msg  wrong %d"
                          % (rnd_no + 1, phase, name, rate, ms, wrong), flush=True)
        h = mx.health()
        print("\nmessages per second (median of %d rounds, %d clients, %d scan threads each), "
              "and the ratio to clamd:" % (a.rounds, a.conc, a.threads))
        print("%-20s" % "" + "".join("%22s" % p for p in phases))
        for name, _, _, _ in targets:
            row = "%-20s" % name
            for phase in phases:
                m = statistics.median(res[(phase, name)])
                c = statistics.median(res[(phase, "clamd INSTREAM")])
                row += "%13.1f (%5.1fx)" % (m, m / c)
            print(row)
        print("\ndaemon CPU (user + system) per message, ms (median of %d rounds):" % a.rounds)
        print("%-20s" % "" + "".join("%22s" % p for p in phases))
        for name, _, _, _ in targets:
            print("%-20s" % name + "".join("%22.2f" % statistics.median(cpu[(phase, name)])
                                           for phase in phases))
        print("mxscand (MIMESCAN) cache: %s entries, %s hits, %s misses; RSS mxscand %d kB, clamd %d kB"
              % (h["cache_entries"], h["cache_hits"], h["cache_misses"], mx.rss_kb(), cd.rss_kb()))
        print("wrong verdicts: %d" % bad)
    finally:
        for d in daemons:
            d.stop()
        mxtest.rmtree(work)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
