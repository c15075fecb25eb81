#!/bin/bash
# bench-conversion.sh - per-part cost of the conversion channel's scanner
# command.  The Messaging Server conversion channel execs one command per
# matching MIME part; this compares, part by part:
#   mxscan-conversion   mxscan-conversion -> mxscand (FILDES on the UNIX socket)
#   clamdscan           clamdscan --fdpass -> stock clamd, same database
#   clamscan            clamscan -d DB: loads the database for every part
#                       (what a per-part site script calling clamscan paid)
#   sh+clamdscan        an old-style site script: sh running clamdscan, then
#                       cp (clean) or a notice plus OUTPUT_OPTIONS (infected)
#   spawn-floor         /bin/true: starting a small dynamically linked program
# on a generated database big enough for its load time to matter, one part
# at a time (one conversion job) and with --jobs parts at once; rounds are
# interleaved and medians reported, and every verdict is checked.  The
# daemons are started once per round (alternating order) for their load
# time; the last pair serves the runs.
#
# Builds nothing: the binaries come from MX_BUILDDIR (default build-dev,
# relative to the repository root).  Build them first with
#   make -C build-dev -j2 scanner/mxscand wrappers/conversion/mxscan-conversion tuning/mxspawn
# Needs Debian's clamav-daemon and clamdscan (clamd, clamdscan, clamscan) and
# python3; it installs nothing.
set -euo pipefail
# mxscand's verdict cache is off unless MX_BENCH_CACHE=N is set: the runs
# repeat their corpus, and the benchmark measures scanning, not lookups
# (both daemons keep libclamav's own clean-file cache).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILDDIR=${MX_BUILDDIR:-build-dev}
case $BUILDDIR in /*) ;; *) BUILDDIR=$ROOT/$BUILDDIR ;; esac
MXSCAND=$BUILDDIR/scanner/mxscand
MXCONV=$BUILDDIR/wrappers/conversion/mxscan-conversion
export MXSPAWN=$BUILDDIR/tuning/mxspawn
PATH=$PATH:/usr/sbin:/sbin

SIGS=200000 NDB=5000 PARTS=200 JOBS=4 ROUNDS=2 CLAMSCAN_PARTS=10 THREADS=4
START_TIMEOUT=300 PART_TIMEOUT=300 OUT='' KEEP=0 TMPBASE=/tmp CONV_OPTIONS=''

usage() {
	cat <<EOF
Usage: tuning/bench-conversion.sh [options]
Per-part benchmark of the conversion-channel command: mxscan-conversion ->
mxscand against clamdscan -> clamd, clamscan per part and a shell-script
wrapper around clamdscan, on a large generated signature database.

      --sigs N            random MD5 hash signatures (.hdb) (default $SIGS)
      --ndb N             random 16-byte body signatures (.ndb) (default $NDB)
      --parts N           parts in the corpus, 1 KB .. 500 KB, 10% with
                          EICAR (default $PARTS)
      --jobs J            parts at once in the parallel runs (default $JOBS)
      --rounds R          interleaved rounds; medians are reported (default $ROUNDS)
      --clamscan-parts N  parts given to clamscan, which loads the whole
                          database for each (default $CLAMSCAN_PARTS; 0 skips it)
      --threads N         scan threads of both daemons (default $THREADS)
      --out DIR           results directory (default: a new /tmp/mxconv-bench.XXXX)
      --tmpdir DIR        where the work directory is made: database, corpus,
                          the parts' outputs and both daemons' temporary
                          directories (default /tmp; a tmpfs such as /dev/shm
                          takes the file system's inode allocation out of
                          every method's figures alike)
      --keep              keep the work directory (database, corpus, configs)
      --conv-option N=V   a line "N = V" in mxscan-conversion's configuration
                          (repeatable), e.g. banned_names=exe to measure
                          the mail policy's cost
  -h, --help              this help

Environment: MX_BUILDDIR (default build-dev, relative to the repository root).
Results in DIR: summary.txt, summary.csv (the table), runs.csv (every run),
parts.csv (every part of every run), daemons.csv (load time, memory),
loads.csv (every daemon start), peak-rss.csv (peak RSS of one invocation
of each method, with GNU time) and both daemons' logs.  Each part is
timed by the C helper tuning/mxspawn from posix_spawn() to waitpid(), so
the time includes the exec; the spawn-floor row (/bin/true, a small
dynamically linked program) shows what starting a process costs.  Exit status: 0 every verdict right, 1 a wrong verdict, a failed
part or a daemon death, 2 set-up error (missing tools included).
EOF
}

die() { echo "bench-conversion: $*" >&2; exit 2; }
posint() { case $2 in '' | *[!0-9]*) die "$1 needs a number, not '$2'" ;; esac; }

while [ $# -gt 0 ]; do
	case $1 in
	--sigs) SIGS=${2-}; posint "$1" "$SIGS"; shift ;;
	--ndb) NDB=${2-}; posint "$1" "$NDB"; shift ;;
	--parts) PARTS=${2-}; posint "$1" "$PARTS"; shift ;;
	--jobs) JOBS=${2-}; posint "$1" "$JOBS"; shift ;;
	--rounds) ROUNDS=${2-}; posint "$1" "$ROUNDS"; shift ;;
	--clamscan-parts) CLAMSCAN_PARTS=${2-}; posint "$1" "$CLAMSCAN_PARTS"; shift ;;
	--threads) THREADS=${2-}; posint "$1" "$THREADS"; shift ;;
	--out) OUT=${2:?--out needs a directory}; shift ;;
	--tmpdir) TMPBASE=${2:?--tmpdir needs a directory}; shift ;;
	--keep) KEEP=1 ;;
	--conv-option)
		case ${2-} in *=*) ;; *) die "--conv-option needs N=V" ;; esac
		CONV_OPTIONS="$CONV_OPTIONS${2%%=*} = ${2#*=}"$'\n'; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
[ "$PARTS" -ge 1 ] || die "--parts must be at least 1"
[ "$JOBS" -ge 1 ] || die "--jobs must be at least 1"
[ "$ROUNDS" -ge 1 ] || die "--rounds must be at least 1"
[ "$THREADS" -ge 1 ] || die "--threads must be at least 1"
[ "$CLAMSCAN_PARTS" -le "$PARTS" ] || CLAMSCAN_PARTS=$PARTS

# --- prerequisites (reported, never installed) ------------------------------
for b in "$MXSCAND" "$MXCONV" "$MXSPAWN"; do
	[ -x "$b" ] || die "$b is missing; build it: make -C $BUILDDIR -j2 scanner/mxscand wrappers/conversion/mxscan-conversion tuning/mxspawn"
done
missing=
for t in clamd clamdscan clamscan; do command -v $t >/dev/null || missing="$missing $t"; done
[ -z "$missing" ] || die "not found:$missing; please install Debian's clamav-daemon, clamdscan and clamav packages (this script installs nothing)"
PYTHON=$(command -v python3) || die "python3 not found"
for t in od sh cp; do command -v $t >/dev/null || die "$t not found"; done

[ -d "$TMPBASE" ] || die "--tmpdir $TMPBASE is not a directory"
WORK=$(mktemp -d "$TMPBASE/mxconv-work.XXXXXX")
chmod 755 "$WORK"
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/mxconv-bench.XXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
MX_PID='' CL_PID=''

# running PID - true while PID exists and is not a zombie.
running() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# shellcheck disable=SC2317  # stop_pid and cleanup run from the EXIT trap
stop_pid() {
	local pid=$1
	running "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317
cleanup() {
	local f
	# Every daemon started, also one whose start was interrupted.
	for f in "$WORK"/*.started; do [ ! -f "$f" ] || stop_pid "$(cat "$f")"; done
	cp -f "$WORK"/mxscand/mxscand.log "$WORK"/clamd/clamd.log "$OUT"/ 2>/dev/null || true
	if [ "$KEEP" = 1 ]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# A signal interrupts the wait for the helper (see pyw) and stops it too.
CHILD=''
# shellcheck disable=SC2317
on_signal() {
	if [ -n "$CHILD" ]; then
		kill -TERM "$CHILD" 2>/dev/null || true
		wait "$CHILD" 2>/dev/null || true
	fi
	exit 130
}
trap on_signal INT TERM

# --- the helper: generation, daemon start, timed runs, report --------------
HELPER=$WORK/bench.py
cat >"$HELPER" <<'PY'
import concurrent.futures, csv, filecmp, os, random, socket, statistics
import subprocess, sys, time

def gen_db(dbdir, nsigs, nndb):
    eicar = os.environ["EICAR"].encode()
    rnd = random.Random(1234)
    with open(os.path.join(dbdir, "bench.hdb"), "w") as f:
        f.writelines("%032x:%d:Bench.Hash.%d\n" % (rnd.getrandbits(128), rnd.randint(1000, 500000), i)
                     for i in range(1, nsigs + 1))
    with open(os.path.join(dbdir, "bench.ndb"), "w") as f:
        f.write("Eicar-Test-Signature:0:*:%s\n" % eicar.hex())
        f.writelines("Bench.Body.%d:0:*:%032x\n" % (i, rnd.getrandbits(128)) for i in range(1, nndb + 1))

WORDS = ("the of and to in is that for it as was with be by on not he this are or his "
         "from at which but have an they you were her she there been one all we their "
         "invoice meeting report attached please regards thanks quarter budget").split()

def gen_corpus(cdir, n):
    """Mail-part sizes: half 1-16 KB, a tail to 500 KB; 40% text, 60% binary;
    10% (part 1 always) start with EICAR.  Writes parts.tsv: path size infected."""
    eicar = os.environ["EICAR"].encode()
    rnd = random.Random(4242)
    ninf = max(1, round(n / 10))
    infected = {0} | set(rnd.sample(range(1, n), ninf - 1)) if n > 1 else {0}
    rows = []
    for i in range(n):
        r = rnd.random()
        if r < 0.5: size = rnd.randint(1024, 16384)
        elif r < 0.8: size = rnd.randint(16384, 65536)
        elif r < 0.95: size = rnd.randint(65536, 262144)
        else: size = rnd.randint(262144, 512000)
        if rnd.random() < 0.4:
            out, total = [], 0
            while total < size:
                line = " ".join(rnd.choice(WORDS) for _ in range(12)).encode() + b"\r\n"
                out.append(line); total += len(line)
            data = b"".join(out)
        else:
            data = rnd.randbytes(size)
        if i in infected:
            data = eicar + b"\r\n" + data
        data = data[:size]
        path = os.path.join(cdir, "part%05d" % (i + 1))
        with open(path, "wb") as f:
            f.write(data)
        rows.append((path, len(data), int(i in infected)))
    with open(os.path.join(cdir, "parts.tsv"), "w") as f:
        for row in rows:
            f.write("%s\t%d\t%d\n" % row)
    print(len(rows), sum(r[1] for r in rows) // 1024, sum(r[2] for r in rows))

def ping(sock):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    try:
        s.connect(sock)
        s.sendall(b"zPING\0")
        buf = b""
        while not buf.endswith(b"\0"):
            b = s.recv(64)
            if not b: break
            buf += b
        return buf == b"PONG\0"
    except OSError:
        return False
    finally:
        s.close()

def alive(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return not any(l.startswith("State:") and "Z" in l.split()[1] for l in f)
    except OSError:
        return False

def start(sock, log, timeout, pidfile, cmd):
    """Start a daemon, wait for PONG; print 'PID LOAD_MS' (the daemon is left running)."""
    with open(log, "ab") as lf:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf)
    with open(pidfile, "w") as f:
        f.write("%d\n" % p.pid)
    while True:
        if ping(sock):
            print(p.pid, round((time.perf_counter() - t0) * 1000))
            return 0
        if p.poll() is not None or not alive(p.pid):
            print("exited with status %s before it was ready" % p.returncode, file=sys.stderr)
            return 1
        if time.perf_counter() - t0 > timeout:
            print("not ready after %d s" % timeout, file=sys.stderr)
            p.kill()
            return 1
        time.sleep(0.02)

def verdict(check, part, rc, outf, optf):
    """Return 'clean', 'infected' or 'error: ...' for one part's result."""
    if check == "exit":
        return {0: "clean", 1: "infected"}.get(rc, "error: exit %d" % rc)
    if check == "none":
        return "clean" if rc == 0 else "error: exit %d" % rc
    opts = ""
    if os.path.exists(optf):
        with open(optf, errors="replace") as f:
            opts = f.read()
    if rc != 0:
        return "error: exit %d %s" % (rc, opts.strip().replace("\n", " "))
    if "STATUS=" in opts:
        return "error: " + opts.strip().replace("\n", " ")
    if "OUTPUT_TYPE=text" in opts:
        return "infected"
    if os.path.exists(outf) and filecmp.cmp(part, outf, shallow=False):
        return "clean" if not opts.strip() else "error: options %s" % opts.strip()
    return "error: OUTPUT_FILE is not a copy of INPUT_FILE"

def run(method, mode, rnd, jobs, listf, limit, outdir, check, append, partscsv, timeout, cmd):
    """Time one pass with mxspawn (a C timer: posix_spawn to waitpid per
    part), then check every part's verdict."""
    with open(listf) as f:
        parts = [l.rstrip("\n").split("\t") for l in f][:limit]
    os.makedirs(outdir, exist_ok=True)
    argv = [os.environ["MXSPAWN"], "-j", str(jobs if mode == "par" else 1), "-n", str(len(parts)),
            "-t", str(timeout)] + (["-a"] if append else []) + [listf, outdir, "--"] + cmd
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, check=True)
    results, wall = [], None
    for line in r.stdout.decode().splitlines():
        k, ms, rc = line.split(",") + ([""] if line.startswith("wall,") else [])
        if k == "wall":
            wall = float(ms)
        else:
            results.append((int(k), float(ms), int(rc), ""))
    errlog = os.path.join(outdir, "stderr")
    if os.path.exists(errlog) and os.path.getsize(errlog):
        with open(errlog, errors="replace") as f:
            tail = f.read()[-600:].strip()
        if any(rc != 0 and not (check == "exit" and rc == 1) for _, _, rc, _ in results):
            print("  %s %s: standard error of the runs ends: %s" % (method, mode, tail), file=sys.stderr)
    good = wrong = errors = 0
    with open(partscsv, "a", newline="") as f:
        w = csv.writer(f)
        for k, ms, rc, err in results:
            path, size, inf = parts[k]
            v = verdict(check, path, rc, os.path.join(outdir, "out%05d" % k),
                        os.path.join(outdir, "opt%05d" % k))
            expect = "infected" if inf == "1" else "clean"
            if v.startswith("error"):
                errors += 1
                res = v
                print("  %s %s: part %s: %s%s" % (method, mode, k + 1, v, (" (" + err[:200] + ")") if err else ""),
                      file=sys.stderr)
            elif check != "none" and v != expect:
                wrong += 1
                res = "WRONG: %s, expected %s" % (v, expect)
                print("  %s %s: part %s: %s" % (method, mode, k + 1, res), file=sys.stderr)
            else:
                good += 1
                res = "ok"
            w.writerow([method, mode, rnd, os.path.basename(path), size, inf, "%.2f" % ms, rc, res])
    ms = sorted(r[1] for r in results)
    q = lambda p: ms[min(len(ms) - 1, int(p * len(ms)))]
    print(",".join(str(x) for x in [method, mode, rnd, jobs if mode == "par" else 1, len(parts),
                                    "%.3f" % wall, "%.2f" % (len(parts) / wall),
                                    "%.2f" % statistics.mean(ms), "%.2f" % q(0.5), "%.2f" % q(0.95),
                                    "%.2f" % ms[-1], good, wrong, errors]))

SMALL_PART = 16384

def report(out, jobs, order):
    runs = list(csv.DictReader(open(os.path.join(out, "runs.csv"))))
    parts = list(csv.DictReader(open(os.path.join(out, "parts.csv"))))
    med = lambda v: statistics.median(v) if v else None
    def runs_of(m, mode):
        return [r for r in runs if r["method"] == m and r["mode"] == mode and r["round"] != "warmup"]
    # METHOD's sequential mean (or AVG) ms per part on a set of parts,
    # median over rounds.
    def seq_ms(method, names, avg=statistics.mean):
        per = {}
        for p in parts:
            if p["method"] == method and p["mode"] == "seq" and p["round"] != "warmup" \
               and p["part"] in names:
                per.setdefault(p["round"], []).append(float(p["ms"]))
        return med([avg(v) for v in per.values()])
    ref_par = med([float(r["parts_per_s"]) for r in runs_of("mxscan-conversion", "par")])
    peak = {}
    if os.path.exists(os.path.join(out, "peak-rss.csv")):
        peak = {r["method"]: r["peak_rss_kb"] for r in csv.DictReader(open(os.path.join(out, "peak-rss.csv")))}
    rows = []
    for m in order:
        seq, par = runs_of(m, "seq"), runs_of(m, "par")
        if not seq and not par:
            continue
        names = {p["part"] for p in parts if p["method"] == m and p["mode"] == "seq" and p["round"] != "warmup"}
        s_ms = med([float(r["mean_ms"]) for r in seq])
        s_p95 = med([float(r["p95_ms"]) for r in seq])
        p_ps = med([float(r["parts_per_s"]) for r in par])
        r_ms = seq_ms("mxscan-conversion", names)
        m_ms = seq_ms(m, names)
        bad = sum(int(r["wrong"]) + int(r["errors"]) for r in runs if r["method"] == m)
        checked = sum(int(r["parts"]) for r in runs if r["method"] == m)
        rows.append(dict(method=m, parts=(seq or par)[0]["parts"],
                         seq_ms_per_part=s_ms, seq_p95_ms=s_p95,
                         seq_ratio=(m_ms / r_ms) if m_ms and r_ms else None,
                         par_parts_per_s=p_ps,
                         par_ratio=(ref_par / p_ps) if p_ps and ref_par else None,
                         peak_rss_kb=peak.get(m) or "-",
                         verdicts="n/a" if m == "spawn-floor" else
                                  ("all %d right" % checked if not bad else "%d WRONG/FAILED of %d" % (bad, checked))))
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: ("%.3f" % v if isinstance(v, float) else v) for k, v in r.items()})
    fmt = lambda v, p: "-" if v is None else "%.*f" % (p, v)
    print("%-18s %6s %12s %9s %9s %14s %9s %11s  %s" % ("method", "parts", "seq ms/part", "seq p95",
          "x slower", "par parts/s", "x slower", "peak RSS", "verdicts"))
    print("%-18s %6s %12s %9s %9s %14s %9s %11s" % ("", "", "(mean)", "ms", "(seq)", "(%d jobs)" % jobs,
          "(par)", "kB"))
    for r in rows:
        print("%-18s %6s %12s %9s %9s %14s %9s %11s  %s" % (r["method"], r["parts"], fmt(r["seq_ms_per_part"], 1),
              fmt(r["seq_p95_ms"], 1), fmt(r["seq_ratio"], 2), fmt(r["par_parts_per_s"], 1),
              fmt(r["par_ratio"], 2), r["peak_rss_kb"], r["verdicts"]))
    # Small parts: where the command's own start-up, not the scan, is the cost.
    small = {p["part"] for p in parts if int(p["size"]) <= SMALL_PART}
    if small:
        print()
        print("Small parts (<= %d KiB, %d parts; median of the rounds' per-part mean and median):"
              % (SMALL_PART // 1024, len(small)))
        print("%-18s %12s %9s %12s" % ("method", "mean ms", "x slower", "median ms"))
        ref = seq_ms("mxscan-conversion", small)
        for m in order:
            v = seq_ms(m, small)
            if v is None:
                continue
            print("%-18s %12s %9s %12s" % (m, fmt(v, 2), fmt(v / ref if ref else None, 2),
                  fmt(seq_ms(m, small, statistics.median), 2)))

if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "gen-db": gen_db(a[1], int(a[2]), int(a[3]))
    elif a[0] == "gen-corpus": gen_corpus(a[1], int(a[2]))
    elif a[0] == "start": sys.exit(start(a[1], a[2], int(a[3]), a[4], a[6:]))
    elif a[0] == "run":
        run(a[1], a[2], a[3], int(a[4]), a[5], int(a[6]), a[7], a[8], a[9] == "1", a[10], int(a[11]), a[13:])
    elif a[0] == "report": report(a[1], int(a[2]), a[3].split(","))
    else: sys.exit("unknown helper command " + a[0])
PY
py() { "$PYTHON" "$HELPER" "$@"; }
# pyw FILE ARGS... - py ARGS >FILE, in the background so that a signal need
# not wait for it to finish.
pyw() {
	local f=$1 rc=0
	shift
	"$PYTHON" "$HELPER" "$@" >"$f" &
	CHILD=$!
	wait "$CHILD" || rc=$?
	CHILD=''
	return "$rc"
}

# --- database and corpus ----------------------------------------------------
# EICAR in two halves so that this script is not itself detected.
EICAR_A='X5O!P%@AP[4\PZX54(P^)7CC)7}$'
# shellcheck disable=SC2016  # literal $H, not an expansion
EICAR_B='EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
export EICAR=$EICAR_A$EICAR_B
DBDIR=$WORK/db CORPUS=$WORK/corpus
mkdir -p "$DBDIR" "$CORPUS"
py gen-db "$DBDIR" "$SIGS" "$NDB"
read -r NPARTS KIB NINFECTED < <(py gen-corpus "$CORPUS" "$PARTS")
unset EICAR
LIST=$CORPUS/parts.tsv
echo "database: $SIGS hash + $NDB body signatures + EICAR, $(du -sk "$DBDIR" | cut -f1) KiB"
echo "corpus: $NPARTS parts, $KIB KiB, $NINFECTED with EICAR; $(nproc) CPUs, $THREADS scan threads per daemon"

# --- daemons ----------------------------------------------------------------
mkdir -p "$WORK/mxscand" "$WORK/clamd"
MX_SOCK=$WORK/mxscand/mxscand.sock CL_SOCK=$WORK/clamd/clamd.sock
MX_CONF=$WORK/mxscand/mxscan.conf CL_CONF=$WORK/clamd/clamd.conf
CONV_CONF=$WORK/conversion.conf
cat >"$MX_CONF" <<EOF
database_root = $DBDIR
scand_socket = $MX_SOCK
scand_user =
scand_cache_size = ${MX_BENCH_CACHE:-0}
scand_temp_dir = $WORK
scand_threads = $THREADS
scand_scan_roots = $WORK
EOF
{
	echo "Foreground yes"
	echo "LocalSocket $CL_SOCK"
	echo "DatabaseDirectory $DBDIR"
	# clamd refuses "User" unless started as root.
	[ "$(id -u)" != 0 ] || echo "User root"
	echo "LogFile $WORK/clamd/clamd.log"
	echo "TemporaryDirectory $WORK/clamd"
	echo "PidFile $WORK/clamd/clamd.pid"
	echo "MaxThreads $THREADS"
} >"$CL_CONF"
# What the channel's command line would point at with -c.
echo "scanner_endpoints = unix:$MX_SOCK" >"$CONV_CONF"
printf '%s' "$CONV_OPTIONS" >>"$CONV_CONF"

DAEMONS_CSV=$OUT/daemons.csv
echo "daemon,pid,load_ms_median,loads,vmrss_after_load_kb,vmrss_end_kb,vmhwm_end_kb" >"$DAEMONS_CSV"
# mem PID FIELD - a /proc/PID/status value in kB ("dead" once it is gone).
mem() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo dead; }

# start_daemon NAME - start it and wait for PONG; sets MX_PID and MX_LOAD or
# CL_PID and CL_LOAD (ms from the start to the first PONG).
start_daemon() {
	local out
	if [ "$1" = mxscand ]; then
		pyw "$WORK/start.out" start "$MX_SOCK" "$WORK/mxscand/mxscand.log" "$START_TIMEOUT" \
			"$WORK/mxscand.started" -- "$MXSCAND" -f -c "$MX_CONF" || true
		out=$(cat "$WORK/start.out")
		[ -n "$out" ] || die "mxscand did not start; its log: $(tail -n 5 "$WORK/mxscand/mxscand.log")"
		read -r MX_PID MX_LOAD <<<"$out"
	else
		pyw "$WORK/start.out" start "$CL_SOCK" "$WORK/clamd/stdout.log" "$START_TIMEOUT" \
			"$WORK/clamd.started" -- clamd -c "$CL_CONF" || true
		out=$(cat "$WORK/start.out")
		[ -n "$out" ] || die "clamd did not start; its log: $(tail -n 5 "$WORK/clamd/clamd.log" "$WORK/clamd/stdout.log" 2>/dev/null)"
		read -r CL_PID CL_LOAD <<<"$out"
	fi
}
# One start per round, one daemon after the other so that neither load
# competes with the other, the order alternating; the last pair stays up.
LOADS_CSV=$OUT/loads.csv
echo "daemon,start,load_ms,vmrss_after_load_kb" >"$LOADS_CSV"
for r in $(seq "$ROUNDS"); do
	order="mxscand clamd"
	[ $((r % 2)) = 1 ] || order="clamd mxscand"
	for d in $order; do start_daemon "$d"; done
	MX_RSS0=$(mem "$MX_PID" VmRSS) CL_RSS0=$(mem "$CL_PID" VmRSS)
	echo "mxscand,$r,$MX_LOAD,$MX_RSS0" >>"$LOADS_CSV"
	echo "clamd,$r,$CL_LOAD,$CL_RSS0" >>"$LOADS_CSV"
	echo "start $r ($order): mxscand ready after $MX_LOAD ms, VmRSS $MX_RSS0 kB;" \
		"clamd ready after $CL_LOAD ms, VmRSS $CL_RSS0 kB"
	if [ "$r" -lt "$ROUNDS" ]; then stop_pid "$MX_PID"; stop_pid "$CL_PID"; fi
done
echo "mxscand pid $MX_PID, clamd pid $CL_PID ($(clamd --version))"

# The old per-part site script, as the channel would run it (sh SCRIPT).
OLD_SCRIPT=$WORK/old-site-script.sh
cat >"$OLD_SCRIPT" <<EOF
clamdscan --fdpass --no-summary --config-file='$CL_CONF' "\$INPUT_FILE" >/dev/null 2>&1
case \$? in
0) cp "\$INPUT_FILE" "\$OUTPUT_FILE" ;;
1) echo "This part was removed because it contains a virus." >"\$OUTPUT_FILE"
   printf 'OUTPUT_TYPE=text\nOUTPUT_SUBTYPE=plain\n' >"\$OUTPUT_OPTIONS" ;;
*) echo 'STATUS=178028698' >"\$OUTPUT_OPTIONS" ;;
esac
EOF

RUNS=$OUT/runs.csv PARTSCSV=$OUT/parts.csv
echo "method,mode,round,jobs,parts,wall_s,parts_per_s,mean_ms,p50_ms,p95_ms,max_ms,right,wrong,errors" >"$RUNS"
echo "method,mode,round,part,size,infected,ms,exit,result" >"$PARTSCSV"
FAILED=0 DEATHS='' LOST=''

# method_cmd METHOD - sets LIMIT, CHECK (conv|exit|none), APPEND and CMD.
method_cmd() {
	LIMIT=$NPARTS APPEND=0
	case $1 in
	mxscan-conversion) CHECK=conv CMD=("$MXCONV" -c "$CONV_CONF") ;;
	clamdscan) CHECK=exit APPEND=1 CMD=(clamdscan --fdpass --no-summary "--config-file=$CL_CONF") ;;
	clamscan) CHECK=exit APPEND=1 LIMIT=$CLAMSCAN_PARTS CMD=(clamscan --no-summary -d "$DBDIR") ;;
	sh+clamdscan) CHECK=conv CMD=(sh "$OLD_SCRIPT") ;;
	spawn-floor) CHECK=none CMD=(true) ;;
	esac
	[ "${CMD[0]}" != true ] || CMD=("$(command -v true)")
}
# bench METHOD MODE ROUND - one timed pass over the corpus.
bench() {
	local line rc=0 dir=$WORK/out/$1-$2-$3
	method_cmd "$1"
	pyw "$WORK/run.out" run "$1" "$2" "$3" "$JOBS" "$LIST" "$LIMIT" "$dir" "$CHECK" "$APPEND" \
		"$PARTSCSV" "$PART_TIMEOUT" -- "${CMD[@]}" || rc=$?
	line=$(cat "$WORK/run.out")
	rm -rf "$dir"
	if [ -z "$line" ]; then
		echo "WARNING: $1 $2 round $3: no result (exit $rc)" >&2
		FAILED=1 LOST="$LOST $1/$2/$3"
		return 0
	fi
	echo "$line" >>"$RUNS"
	printf '%s\n' "$line" | awk -F, '{ printf "  %-18s %-3s round %-6s %4d parts %8.1f ms/part %8.1f parts/s  %s right, %s wrong, %s failed\n",
		$1, $2, $3, $5, $8, $7, $12, $13, $14 }'
	case $line in *,0,0) ;; *) FAILED=1 ;; esac
	for d in mxscand clamd; do
		local p=$MX_PID
		[ $d = mxscand ] || p=$CL_PID
		case " $DEATHS " in *" $d "*) continue ;; esac
		if ! running "$p"; then
			echo "WARNING: $d died during $1 $2 round $3" >&2
			DEATHS="$DEATHS $d"
			FAILED=1
		fi
	done
}

METHODS="mxscan-conversion clamdscan"
[ "$CLAMSCAN_PARTS" = 0 ] || METHODS="$METHODS clamscan"
METHODS="$METHODS sh+clamdscan spawn-floor"

# --- warm-up (page cache, first scans) and the timed rounds -----------------
echo "warm-up (sequential, not counted):"
for m in $METHODS; do [ "$m" = clamscan ] || bench "$m" seq warmup; done
# Odd rounds run the methods in order, even rounds in reverse.
REVERSED=''
for m in $METHODS; do REVERSED="$m${REVERSED:+ }$REVERSED"; done
for r in $(seq "$ROUNDS"); do
	echo "round $r of $ROUNDS:"
	order=$METHODS
	[ $((r % 2)) = 1 ] || order=$REVERSED
	for m in $order; do
		bench "$m" seq "$r"
		bench "$m" par "$r"
	done
done

# --- peak RSS of one invocation per method (GNU time, on the largest part) -
# Measured apart from the timed runs: a process started from the Python
# helper inherits the helper's RSS high-water mark in its rusage.
PEAKCSV=$OUT/peak-rss.csv
echo "method,part,peak_rss_kb" >"$PEAKCSV"
if [ -x /usr/bin/time ]; then
	BIG=$(sort -t "$(printf '\t')" -k2,2n "$LIST" | tail -n 1 | cut -f 1)
	for m in $METHODS; do
		method_cmd "$m"
		[ "$APPEND" = 0 ] || CMD+=("$BIG")
		rm -f "$WORK/rss.out" "$WORK/rss.opt"
		INPUT_FILE=$BIG OUTPUT_FILE=$WORK/rss.out OUTPUT_OPTIONS=$WORK/rss.opt \
			/usr/bin/time -f %M -o "$WORK/rss.txt" "${CMD[@]}" >/dev/null 2>&1 </dev/null || true
		echo "$m,${BIG##*/},$(tail -n 1 "$WORK/rss.txt")" >>"$PEAKCSV"
	done
else
	echo "note: /usr/bin/time (GNU time) not found: no per-process peak RSS" >&2
fi

# --- report -----------------------------------------------------------------
for d in mxscand clamd; do
	if [ $d = mxscand ]; then p=$MX_PID r0=$MX_RSS0; else p=$CL_PID r0=$CL_RSS0; fi
	loads=$(awk -F, -v d=$d '$1 == d { printf "%s%s", s, $3; s = "/" }' "$LOADS_CSV")
	l=$(tr / '\n' <<<"$loads" | sort -n | awk '{ v[++n] = $1 } END { print n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }')
	echo "$d,$p,$l,$loads,$r0,$(mem "$p" VmRSS),$(mem "$p" VmHWM)" >>"$DAEMONS_CSV"
done
{
	echo
	echo "Per-part cost ($NPARTS parts, $KIB KiB, $NINFECTED infected; $SIGS+$NDB signatures; median of $ROUNDS rounds;"
	echo "work directory in $TMPBASE: $(findmnt -no FSTYPE,OPTIONS -T "$WORK" 2>/dev/null || stat -f -c %T "$WORK")):"
	py report "$OUT" "$JOBS" "${METHODS// /,}"
	echo "x slower: seq = ms/part over mxscan-conversion's on the same parts; par = mxscan-conversion's"
	echo "parts/s (all parts) over the method's.  peak RSS = one run on the largest part (GNU time),"
	echo "the process the channel would exec and its children; the daemons are not included."
	echo
	echo "Daemons (load = start to first PONG, median of $ROUNDS starts; memory of the last, kB):"
	printf '%-8s %8s %-20s %10s %10s %10s\n' daemon load_ms "each start, ms" rss_loaded rss_end hwm_end
	awk -F, 'NR > 1 { printf "%-8s %8s %-20s %10s %10s %10s\n", $1, $3, $4, $5, $6, $7 }' "$DAEMONS_CSV"
	[ -z "$DEATHS" ] || echo "DIED:$DEATHS"
	[ -z "$LOST" ] || echo "RUNS WITHOUT A RESULT (not in the medians):$LOST"
	awk -F, 'NR > 1 && $13 + $14 > 0 { printf "FAILURES: %s %s round %s: %s wrong, %s failed (see parts.csv)\n",
		$1, $2, $3, $13, $14 }' "$RUNS"
	echo "results: $OUT (summary.txt summary.csv runs.csv parts.csv daemons.csv loads.csv peak-rss.csv logs)"
} | tee "$OUT/summary.txt"
exit "$FAILED"
