#!/usr/bin/env python3
"""bench-storm.py - a worm storm through mxscand (MIMESCAN) and stock clamd
(INSTREAM), side by side in one run.

The storm is N distinct messages (own Message-ID, subject and text) that
all carry the same infected attachment, a zip of about 400 KB holding the
EICAR string among random data (about 540 KB once base64-encoded): what a
mass mailer sends.  Ordinary traffic is M messages with unique attachments
of mail-like sizes.  Both daemons load the same database (the test
signatures plus --sigs random body signatures and --hashes random hash
signatures, to give the engine the weight of a real one) and are driven by
the same client with the same concurrency; the phases are interleaved over
--rounds rounds and the medians reported.

  tuning/bench-storm.py [--storm 1000] [--ordinary 200] [--conc 4]
                        [--rounds 2] [--sigs 20000] [--hashes 1000000]

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


def make_db(path, sigs, hashes, rnd):
    mxtest.make_test_db(path)
    with open(os.path.join(path, "synthetic.ndb"), "w") as f:
        for i in range(sigs):
            f.write("Synthetic.Body-%d:0:*:%s\n" % (i, rnd.getrandbits(128).to_bytes(16, "big").hex()))
    with open(os.path.join(path, "synthetic.hdb"), "w") as f:
        for i in range(hashes):
            f.write("%032x:%d:Synthetic.Hash-%d\n" % (rnd.getrandbits(128), 1000 + i % 100000, i))


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


def run(sock, mode, files, conc, want_found):
    """One pass over FILES with mxbench (the C client): messages per second
    and the number of wrong verdicts."""
    import subprocess
    r = subprocess.run([MXBENCH, "-s", "unix:" + sock, "-c", str(conc), "-m", mode, "-n", str(len(files)),
                        "-q"] + files, capture_output=True, text=True)
    kv = dict(x.split("=", 1) for x in r.stdout.split() if "=" in x)
    if "rps" not in kv:
        sys.exit("mxbench failed: %s %s" % (r.stdout, r.stderr))
    found, ok, errors = int(kv["found"]), int(kv["ok"]), int(kv["errors"])
    wrong = errors + (ok if want_found else found)
    return float(kv["rps"]), wrong


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--storm", type=int, default=1000)
    ap.add_argument("--ordinary", type=int, default=200)
    ap.add_argument("--conc", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sigs", type=int, default=20000)
    ap.add_argument("--hashes", type=int, default=1000000)
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    rnd = random.Random(42)
    work = mxtest.tmpdir("storm")
    db = os.path.join(work, "db")
    print("database: %d body + %d hash synthetic signatures" % (a.sigs, a.hashes), flush=True)
    make_db(db, a.sigs, a.hashes, rnd)

    def corpus(rno):
        """Fresh mail for round RNO, so no daemon's cache (mxscand's verdict
        cache, libclamav's clean cache in both) carries over between rounds."""
        d = os.path.join(work, "mail%d" % rno)
        os.makedirs(d)
        z = io.BytesIO()
        with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("document.scr", os.urandom(400000) + mxtest.EICAR)
        worm = z.getvalue()
        storm, ordinary = [], []

        def save(data, n):
            path = os.path.join(d, "%06d.eml" % n)
            with open(path, "wb") as f:
                f.write(data)
            return path
        for i in range(a.storm):
            storm.append(save(message(i, worm, "document.zip", "application/zip", rnd), i))
        for i in range(a.ordinary):
            size = int(rnd.choice([2, 8, 30, 100, 300, 800]) * 1000 * rnd.uniform(0.5, 1.5))
            ordinary.append(save(message(100000 + i, os.urandom(size), "file%d.pdf" % i, "application/pdf",
                                         rnd), 100000 + i))
        return storm, ordinary

    t0 = time.time()
    mx = mxtest.Daemon(db, options={"scand_threads": str(a.threads), "scand_stream_max_length": "50m"})
    t1 = time.time()
    cd = mxtest.Clamd(db, extra=["MaxThreads %d" % a.threads, "StreamMaxLength 50M"])
    t2 = time.time()
    print("load: mxscand %.1f s, clamd %.1f s" % (t1 - t0, t2 - t1), flush=True)
    res = {}
    bad = 0
    try:
        for rnd_no in range(a.rounds):
            order = [("mxscand", mx.socket, "mimescan"), ("clamd", cd.socket, "instream")]
            storm, ordinary = corpus(rnd_no)
            if rnd_no == 0:
                print("storm: %d messages of %d KB; ordinary: %d messages, %d KB in all"
                      % (len(storm), os.path.getsize(storm[0]) // 1024, len(ordinary),
                         sum(map(os.path.getsize, ordinary)) // 1024), flush=True)
            if rnd_no % 2:
                order.reverse()
            for phase, msgs, found in (("storm", storm, True), ("ordinary", ordinary, False)):
                for name, sock, cmd in order:
                    rate, wrong = run(sock, cmd, msgs, a.conc, found)
                    bad += wrong
                    res.setdefault((phase, name), []).append(rate)
                    print("  round %d %-8s %-7s %8.1f msg/s  wrong %d" % (rnd_no + 1, phase, name, rate, wrong),
                          flush=True)
        h = mx.health()
        print("\nmessages per second (median of %d rounds, %d clients, %d scan threads each):"
              % (a.rounds, a.conc, a.threads))
        print("%-9s %10s %10s %8s" % ("phase", "mxscand", "clamd", "ratio"))
        for phase in ("storm", "ordinary"):
            m = statistics.median(res[(phase, "mxscand")])
            c = statistics.median(res[(phase, "clamd")])
            print("%-9s %10.1f %10.1f %7.1fx" % (phase, m, c, m / c))
        print("mxscand cache: %s entries, %s hits, %s misses; RSS mxscand %d kB, clamd %d kB"
              % (h["cache_entries"], h["cache_hits"], h["cache_misses"], mx.rss_kb(), cd.rss_kb()))
        print("wrong verdicts: %d" % bad)
    finally:
        mx.stop()
        cd.stop()
        mxtest.rmtree(work)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
