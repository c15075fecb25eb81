#!/usr/bin/env python3
"""profile-mimescan.py - where mxscand's CPU goes when MIMESCAN reads
ordinary mail: perf samples of one mxscand while the C client sends it
the ordinary corpus of bench-storm.py (a text part and one attachment of
1 to 1,200 KB, unique per message), printed per shared object and per
function.

  tuning/profile-mimescan.py [--messages 300] [--sigs 20000] [--hashes 1000000]
                             [--conc 2] [--top 15]

Needs root, Linux perf (Debian package linux-perf) and mxscand built in
MX_BUILDDIR (default build-dev).  The database is bench-storm.py's: the
test signatures plus --sigs random body and --hashes random hash
signatures.
"""
import argparse
import importlib.util
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("MX_BUILDDIR", os.path.join(HERE, "..", "build-dev"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import mxtest  # noqa: E402


def report(data, sort, top):
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "-g", "none", "--sort", sort,
                          "--stdio"], capture_output=True, text=True).stdout
    rows = [ln for ln in out.splitlines() if ln.strip() and not ln.startswith("#")]
    print("\n".join(rows[:top]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--sigs", type=int, default=20000)
    ap.add_argument("--hashes", type=int, default=1000000)
    ap.add_argument("--conc", type=int, default=2)
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("bench_storm", os.path.join(HERE, "bench-storm.py"))
    bs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bs)
    rnd = random.Random(5)
    work = mxtest.tmpdir("profile")
    try:
        db = os.path.join(work, "db")
        mxtest.make_synthetic_db(db, a.sigs, a.hashes, rnd)
        os.makedirs(os.path.join(work, "mail"))
        files = []
        for i in range(a.messages):
            size = int(rnd.choice([2, 8, 30, 100, 300, 800]) * 1000 * rnd.uniform(0.5, 1.5))
            path = os.path.join(work, "mail", "%06d.eml" % i)
            with open(path, "wb") as f:
                f.write(bs.message(100000 + i, os.urandom(size), "file%d.pdf" % i, "application/pdf", rnd))
            files.append(path)
        d = mxtest.Daemon(db, options={"scand_threads": str(a.conc)})
        data = os.path.join(work, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-F", "499", "-o", data, "-p", str(d.proc.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not mxtest.wait_for(lambda: os.path.exists(data), 10):
            sys.exit("perf record did not start")
        r = subprocess.run([bs.MXBENCH, "-s", "unix:" + d.socket, "-c", str(a.conc), "-m", "mimescan",
                            "-n", str(len(files)), "-q"] + files, capture_output=True, text=True)
        perf.send_signal(2)
        perf.wait()
        d.stop()
        print(r.stdout.strip())
        print("\nby shared object:")
        report(data, "dso", a.top)
        print("\nby function:")
        report(data, "dso,symbol", a.top)
    finally:
        mxtest.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
