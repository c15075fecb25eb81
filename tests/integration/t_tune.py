#!/usr/bin/env python3
"""t_tune - mxscan-tune: corpus, gendb, a short sweep and plan.

corpus: the manifest matches the files, every part is unique (and
--repeat repeats), sizes spread, several types, and the infected share
seen by mxscand is the requested one, part by part.  gendb: the counts
asked for, and mxscand loads the result and finds EICAR with it.  sweep:
a few seconds against that mxscand; the CSV has the documented header
and sane rows (concurrency ascending, counts adding up, p50 <= p95 <=
p99, no errors, no wrong verdict, about half infected, scanner CPU found),
the SVG parses as XML with both series, --corpus checks the manifest's
verdicts, and the recommendation is a
measured step in 1..N that the documented rule reproduces from the CSV,
printed as maxjobs/job_limit/maxproc/scand_threads.  plan: the M/M/1 row
of a fixed service time matches the closed form, a small load fits one
host and a huge one asks for several.  Timings are never pass/fail."""
import csv
import hashlib
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import instream_bytes  # noqa: E402

TUNE = os.path.join(mxtest.BUILDDIR, "tuning", "mxscan-tune")
HEADER = ("concurrency,requests,ok,found,errors,wrong,seconds,parts_per_s,mb_per_s,p50_ms,"
          "p95_ms,p99_ms,mean_ms,scanner_user_pct,scanner_sys_pct,host_user_pct,host_sys_pct,"
          "host_idle_pct,client_cpu_pct")

tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global work
    work = mxtest.tmpdir("ttune")


def tune(*args, timeout=60):
    r = subprocess.run([TUNE] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, cwd=work)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def test_usage(tap):
    """Help and usage."""
    for cmd in ("corpus", "gendb", "sweep", "plan", "compare"):
        rc, out, _ = tune(cmd, "-h")
        tap.ok(rc == 0 and out.startswith("Usage: mxscan-tune " + cmd), "%s -h prints its usage" % cmd,
               out[:300])
    rc, _, err = tune("plan", "--messages-per-day", "1000")
    tap.ok(rc == 2 and "--from" in err, "plan without a service time is a usage error", err)
    rc, _, err = tune("nosuch")
    tap.ok(rc == 2 and "unknown command" in err, "an unknown command is refused", err)


def test_corpus(tap):
    """Corpus."""
    global N, cdir, infected, r, rows
    cdir = os.path.join(work, "corpus")
    N = 80
    rc, out, err = tune("corpus", "-n", str(N), "--seed", "7", cdir)
    tap.ok(rc == 0, "corpus -n %d" % N, err)
    with open(os.path.join(cdir, "MANIFEST.csv")) as f:
        rows = list(csv.DictReader(f))
    tap.eq(len(rows), N, "the manifest lists every part")
    sizes_ok = all(os.path.getsize(os.path.join(cdir, r["name"])) == int(r["bytes"]) for r in rows)
    tap.ok(sizes_ok, "manifest sizes match the files")
    digests = set()
    for r in rows:
        with open(os.path.join(cdir, r["name"]), "rb") as f:
            digests.add(hashlib.sha256(f.read()).hexdigest())
    tap.eq(len(digests), N, "every part is unique")
    sizes = [int(r["bytes"]) for r in rows if r["type"] != "eicar"]
    tap.ok(max(sizes) > 20 * min(sizes) and max(sizes) > 50000,
           "sizes spread (%d .. %d bytes)" % (min(sizes), max(sizes)))
    types = {r["type"] for r in rows}
    tap.ok(len(types) >= 5, "at least five kinds of parts: %s" % sorted(types))
    infected = [r for r in rows if r["infected"] == "1"]
    tap.ok(0.3 * N <= len(infected) <= 0.7 * N, "about half infected by default (%d of %d)"
           % (len(infected), N))


def test_gendb(tap):
    """gendb, and the daemon on it."""
    global mx, r
    db = os.path.join(work, "db")
    rc, out, err = tune("gendb", "--hashes", "20000", "--bodies", "2000", db)
    tap.ok(rc == 0, "gendb --hashes 20000 --bodies 2000", err)

    def lines(name):
        with open(os.path.join(db, name)) as f:
            return sum(1 for _ in f)

    tap.ok(lines("synthetic.hdb") == 20000 and lines("synthetic.ndb") == 2000,
           "gendb wrote the signature counts asked for")
    mx = mxtest.Daemon(db, options={"scand_threads": "4"})
    tap.ok(mx.request(b"zINSTREAM\0" + instream_bytes(mxtest.EICAR)).endswith(b"FOUND\0"),
           "mxscand loads the generated database and finds EICAR with it")

    verdict_ok = True
    found = 0
    for r in rows:
        with open(os.path.join(cdir, r["name"]), "rb") as f:
            reply = mx.request(b"zINSTREAM\0" + instream_bytes(f.read()))
        is_found = reply.endswith(b"FOUND\0")
        found += is_found
        if is_found != (r["infected"] == "1") or not (is_found or reply.endswith(b"OK\0")):
            verdict_ok = False
            tap.diag("%s (%s): %r" % (r["name"], r["type"], reply[-80:]))
    tap.ok(verdict_ok, "mxscand finds exactly the parts the manifest calls infected")
    tap.eq(found, len(infected), "observed infected share %d/%d" % (found, N))

    rdir = os.path.join(work, "repeat")
    rc, _, err = tune("corpus", "-n", "30", "--repeat", "3", "--infected-ratio", "0", rdir)
    rdig = set()
    for name in os.listdir(rdir):
        if name != "MANIFEST.csv":
            with open(os.path.join(rdir, name), "rb") as f:
                rdig.add(hashlib.sha256(f.read()).hexdigest())
    tap.ok(rc == 0 and len(rdig) == 10, "--repeat 3: 30 parts, 10 distinct (%d)" % len(rdig))


def test_sweep(tap):
    """Sweep."""
    global STEPS, csvf, peak, r
    STEPS = [1, 2, 4]
    P99_MAX = 5000
    csvf = os.path.join(work, "sweep.csv")
    svgf = os.path.join(work, "sweep.svg")
    rc, out, err = tune("sweep", "-e", "unix:" + mx.socket, "--steps", ",".join(map(str, STEPS)),
                        "-d", "1", "-w", "0.3", "--p99-max", str(P99_MAX), "--median-size", "8192",
                        "--max-size", "262144", "--csv", csvf, "--svg", svgf, timeout=120)
    tap.ok(rc == 0, "sweep of 3 one-second steps runs", out + err)
    tap.diag(out)
    with open(csvf) as f:
        text = f.read()
    tap.eq(text.splitlines()[0], HEADER, "CSV header is the documented one")
    srows = list(csv.DictReader(text.splitlines()))
    tap.eq([int(r["concurrency"]) for r in srows], STEPS, "one row per step, ascending")
    sane = []
    for r in srows:
        n = {k: float(v) for k, v in r.items() if v != ""}
        if n["ok"] + n["found"] + n["errors"] != n["requests"]:
            sane.append("counts do not add up: %r" % r)
        if not (0 < n["p50_ms"] <= n["p95_ms"] <= n["p99_ms"]):
            sane.append("percentiles not ordered: %r" % r)
        if n["errors"] or n["wrong"]:
            sane.append("errors or wrong verdicts: %r" % r)
        if not (n["parts_per_s"] > 0 and n["mb_per_s"] > 0 and n["seconds"] > 0.5):
            sane.append("no throughput: %r" % r)
        if n["ok"] + n["found"] >= 40 and not 0.25 <= n["found"] / (n["ok"] + n["found"]) <= 0.75:
            sane.append("infected share off: %r" % r)
        if "scanner_user_pct" not in n or not 0 <= n["scanner_user_pct"] <= 100 * os.cpu_count() + 50:
            sane.append("no scanner CPU (pid of the socket's owner not found?): %r" % r)
    tap.ok(not sane, "every CSV row is sane", "\n".join(sane))

    m = re.search(r"^recommend: (.*)$", out, re.M)
    rec = dict(kv.split("=", 1) for kv in m.group(1).split()) if m else {}
    conc = int(rec.get("concurrency", 0))
    tap.ok(conc in STEPS, "the recommendation is a measured step in 1..%d (%d)" % (STEPS[-1], conc))
    tap.ok(all(rec.get(k) == str(conc) for k in ("maxjobs", "job_limit", "maxproc", "scand_threads")),
           "maxjobs, job_limit, maxproc and scand_threads follow it", rec)
    pps = [float(r["parts_per_s"]) for r in srows]
    p99 = [float(r["p99_ms"]) for r in srows]
    peak = max(pps)
    want = [c for c, x, l in zip(STEPS, pps, p99) if x >= 0.95 * peak and l <= P99_MAX]
    tap.ok(rec.get("status") != "ok" or (want and conc == min(want)),
           "the documented rule (smallest step at 95%% of peak within p99) gives %s" % want, rec)
    tap.ok(all(s in out for s in ("maxjobs %d" % conc, "job_limit=%d" % conc, "imta.cnf",
                                  "job_controller.cnf", "master.cf", "scand_threads = %d" % conc)),
           "the MTA settings are printed")

    try:
        root = ET.parse(svgf).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        polys = root.findall(ns + "polyline")
        circles = root.findall(ns + "circle")
        texts = [t.text or "" for t in root.iter(ns + "text")]
        tap.ok(root.tag == ns + "svg" and root.find(ns + "title") is not None, "SVG parses, <svg> with a <title>")
        tap.ok(len(polys) == 2 and all(len(p.get("points").split()) == len(STEPS) for p in polys),
               "two series (throughput, p99), one point per step")
        tap.eq(len(circles), 2 * len(STEPS), "a marker per point and series")
        tap.ok(any("parts/s" in t for t in texts) and any("p99" in t for t in texts)
               and any(t.startswith("recommended") for t in texts), "axis labels and the recommendation")
    except ET.ParseError as e:
        tap.ok(False, "SVG parses as XML", str(e))


def test_sweep_corpus(tap):
    """--corpus: the files of a corpus, verdicts checked against its manifest."""
    # --corpus: the files of a corpus, verdicts checked against its manifest
    ccsv = os.path.join(work, "corpus-sweep.csv")
    rc, out, err = tune("sweep", "-e", "unix:" + mx.socket, "--steps", "2", "-d", "0.5", "-w", "0",
                        "--corpus", cdir, "--csv", ccsv, "--svg", os.path.join(work, "c.svg"))
    with open(ccsv) as f:
        crow = list(csv.DictReader(f))
    tap.ok(rc == 0 and len(crow) == 1 and int(crow[0]["found"]) > 0 and crow[0]["wrong"] == "0"
           and crow[0]["errors"] == "0", "sweep --corpus: the manifest's verdicts hold", out + err)


def test_plan(tap):
    """Plan."""
    global p
    # M/M/1 check: 43200 messages/day x 1 part, no peak => 0.5 parts/s; 1 s
    # service => rho 0.5: P(wait) 0.5, mean wait 1000 ms, queue 0.5.
    rc, out, err = tune("plan", "--messages-per-day", "43200", "--peak-factor", "1",
                        "--parts-per-message", "1", "--service-ms", "1000", "--max-jobs", "4")
    row = re.search(r"^\s+1\s+1000\.0\s+0\.50\s+50%\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)", out, re.M)
    tap.ok(rc == 0 and row and abs(float(row.group(1)) - 0.5) < 1e-3
           and abs(float(row.group(2)) - 1000) < 0.5 and abs(float(row.group(3)) - 0.5) < 1e-2,
           "plan: the one-job row is M/M/1 (P(wait) 0.5, wait 1000 ms, queue 0.5)", out + err)
    small = peak * 0.2 * 86400 / 2 / 3
    rc, out, err = tune("plan", "--from", csvf, "--messages-per-day", "%d" % small)
    m = re.search(r"^plan: (.*)$", out, re.M)
    p = dict(kv.split("=", 1) for kv in m.group(1).split()) if m else {}
    tap.ok(rc == 0 and p.get("carries") == "yes" and 1 <= int(p.get("jobs", 0)) <= STEPS[-1],
           "plan: a fifth of the peak fits this host with 1..%d jobs" % STEPS[-1], out + err)
    rc, out, err = tune("plan", "--from", csvf, "--messages-per-day", "%d" % (small * 50))
    m = re.search(r"^plan: (.*)$", out, re.M)
    p = dict(kv.split("=", 1) for kv in m.group(1).split()) if m else {}
    tap.ok(rc == 0 and p.get("carries") == "no" and int(p.get("hosts", 0)) >= 8,
           "plan: ten times the peak needs several hosts (%s)" % p.get("hosts"), out + err)
    tap.ok("overload" in out, "plan marks job counts that cannot keep up")


def test_mxspawn(tap):
    """mxspawn (bench-conversion.sh's per-part timer)."""
    global k, r, rows
    SPAWN = os.path.join(mxtest.BUILDDIR, "tuning", "mxspawn")
    sdir = os.path.join(work, "spawn")
    os.makedirs(sdir)
    slist = os.path.join(sdir, "list.tsv")
    with open(slist, "w") as f:
        for k in range(6):
            part = os.path.join(sdir, "p%d" % k)
            with open(part, "w") as g:
                g.write("%d\n" % k)
            f.write("%s\t2\t0\n" % part)
    # The command sees the part as the channel would show it and exits with
    # the part's own number, so every status and output is the part's own.
    script = ('cat "$INPUT_FILE" >"$OUTPUT_FILE"; '
              'printf "%s|%s|%s/%s|%s|%s\\n" "$PART_NUMBER" "$NAME" "$INPUT_TYPE" "$INPUT_SUBTYPE" '
              '"${EICAR-unset}" "$1" >"$OUTPUT_OPTIONS"; '
              'echo "part $PART_NUMBER" >&2; exit $(cat "$INPUT_FILE")')
    sout = os.path.join(sdir, "out")
    os.makedirs(sout)
    r = subprocess.run([SPAWN, "-j", "3", "-a", slist, sout, "--", "sh", "-c", script, "sh"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, EICAR="not for the parts"))
    rows = [l.split(",") for l in r.stdout.decode().splitlines()]
    runs = {int(x[0]): (float(x[1]), int(x[2])) for x in rows if x[0] != "wall"}
    tap.ok(r.returncode == 0 and sorted(runs) == list(range(6))
           and all(runs[k][1] == k for k in runs) and all(runs[k][0] > 0 for k in runs)
           and rows[-1][0] == "wall" and float(rows[-1][1]) > 0,
           "mxspawn -j 3: one line per part with its own exit status, then the wall time",
           r.stdout.decode() + r.stderr.decode())
    good = True
    for k in range(6):
        part = os.path.join(sdir, "p%d" % k)
        with open(os.path.join(sout, "out%05d" % k)) as f:
            copied = f.read() == "%d\n" % k
        with open(os.path.join(sout, "opt%05d" % k)) as f:
            env_line = f.read().strip()
        if not copied or env_line != "%d|p%d|application/octet-stream|unset|%s" % (k + 1, k, part):
            good = False
            tap.diag("part %d: copied=%s options=%r" % (k, copied, env_line))
    tap.ok(good, "mxspawn: each run gets its part's INPUT_FILE, OUTPUT_FILE, OUTPUT_OPTIONS, "
           "PART_NUMBER, NAME and labels, -a appends the path, EICAR is not passed on")
    with open(os.path.join(sout, "stderr")) as f:
        errs = sorted(f.read().split("\n"))
    tap.ok(errs[1:] == ["part %d" % k for k in range(1, 7)],
           "mxspawn: the runs' standard error is collected in OUTDIR/stderr", repr(errs))
    sout2 = os.path.join(sdir, "out2")
    os.makedirs(sout2)
    r = subprocess.run([SPAWN, "-n", "2", "-t", "1", slist, sout2, "--", "sleep", "30"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    rows = [l.split(",") for l in r.stdout.decode().splitlines() if not l.startswith("wall")]
    tap.ok(r.returncode == 0 and len(rows) == 2 and all(x[2] == "-1" for x in rows)
           and all(1000 <= float(x[1]) < 10000 for x in rows),
           "mxspawn -n 2 -t 1: only two parts, each killed after about a second (status -1)",
           r.stdout.decode() + r.stderr.decode())

    if mx.stop() == 0:
        mxtest.rmtree(mx.dir)  # kept when it failed: tap.done() shows its log
    mxtest.rmtree(work)


if __name__ == "__main__":
    mxtest.run(globals())
