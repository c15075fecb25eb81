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
                        [--rounds 2] [--sigs 300000] [--hashes 1000000]

Needs root (clamd runs as root), Debian's clamav-daemon, and mxscand built
in MX_BUILDDIR (default build-dev).  Prints messages per second per phase
and daemon and the ratios; exit 1 when any verdict is wrong.
"""
import argparse
import base64
import concurrent.futures
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


def run(sock, cmd, msgs, conc, want_found):
    payloads = [b"z" + cmd + b"\0" + mxtest.instream_bytes(m) for m in msgs]

    def one(p):
        r = mxtest.request(sock, p, timeout=120)
        last = r.rstrip(b"\0").split(b"\n")[-1]
        return last.endswith(b" FOUND") == want_found and (want_found or last.endswith(b": OK"))

    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=conc) as ex:
        ok = list(ex.map(one, payloads))
    return len(msgs) / (time.time() - t0), ok.count(False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--storm", type=int, default=1000)
    ap.add_argument("--ordinary", type=int, default=200)
    ap.add_argument("--conc", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sigs", type=int, default=300000)
    ap.add_argument("--hashes", type=int, default=1000000)
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    rnd = random.Random(42)
    work = mxtest.tmpdir("storm")
    db = os.path.join(work, "db")
    print("database: %d body + %d hash synthetic signatures" % (a.sigs, a.hashes), flush=True)
    make_db(db, a.sigs, a.hashes, rnd)

    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("document.scr", os.urandom(400000) + mxtest.EICAR)
    worm = z.getvalue()
    storm = [message(i, worm, "document.zip", "application/zip", rnd) for i in range(a.storm)]
    ordinary = []
    for i in range(a.ordinary):
        size = int(rnd.choice([2, 8, 30, 100, 300, 800]) * 1000 * rnd.uniform(0.5, 1.5))
        ordinary.append(message(100000 + i, os.urandom(size), "file%d.pdf" % i, "application/pdf", rnd))
    print("storm: %d messages of %d KB; ordinary: %d messages, %d KB in all"
          % (len(storm), len(storm[0]) // 1024, len(ordinary), sum(map(len, ordinary)) // 1024), flush=True)

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
            order = [("mxscand", mx.socket, b"MIMESCAN"), ("clamd", cd.socket, b"INSTREAM")]
            if rnd_no % 2:
                order.reverse()
            for phase, msgs, found in (("storm", storm, True), ("ordinary", ordinary, False)):
                for name, sock, cmd in order:
                    if name == "mxscand":
                        g = int(mx.health()["engine_generation"])
                        mx.request(b"zRELOAD\0")  # a fresh engine and an empty cache each run
                        mxtest.wait_for(lambda: int(mx.health()["engine_generation"]) > g, 600)
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
