#!/bin/bash
# bench-instream.sh - side-by-side INSTREAM benchmark of mxscand and stock
# clamd: throughput per client concurrency (interleaved rounds, median and
# ratio) and memory (VmHWM/VmRSS) at idle after load, under 100 clients and
# across a RELOAD under load.
#
# Builds nothing: the binaries come from MX_BUILDDIR (default build-dev,
# relative to the repository root).  Build them first with
#   make -C build-dev -j2 tuning/mxbench scanner/mxscand wrappers/mxscan/mxscan
# Needs root (clamd runs with "User root"), Debian's clamav-daemon, coreutils
# and awk; it installs nothing.
set -euo pipefail
# mxscand's verdict cache is off unless MX_BENCH_CACHE=N is set: the runs
# repeat their corpus, and the benchmark measures scanning, not lookups
# (both daemons keep libclamav's own clean-file cache).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILDDIR=${MX_BUILDDIR:-build-dev}
case $BUILDDIR in /*) ;; *) BUILDDIR=$ROOT/$BUILDDIR ;; esac
MXBENCH=$BUILDDIR/tuning/mxbench
MXSCAND=$BUILDDIR/scanner/mxscand
MXSCAN=$BUILDDIR/wrappers/mxscan/mxscan
PATH=$PATH:/usr/sbin:/sbin

DURATION=5 ROUNDS=3 CONCS="1 2 4" THREADS=4 NFILES=200 BIGCONC=100
TIMEOUT=30 SIGS=0 DBDIR='' OUT='' KEEP=0 NEIGHBOURS=0 NB_PIDS=()

usage() {
	cat <<EOF
Usage: tuning/bench-instream.sh [options]
Benchmark mxscand against stock clamd with INSTREAM requests (tuning/mxbench).

  -d, --duration SECS  length of each timed run (default $DURATION)
  -r, --rounds R       interleaved rounds per concurrency (default $ROUNDS)
      --conc "LIST"    client concurrencies (default "$CONCS")
      --threads N      scan threads of both daemons (default $THREADS)
      --files N        corpus size (default $NFILES)
      --timeout SECS   mxbench time limit of one request (default $TIMEOUT)
      --db DIR         use this ClamAV database directory instead of the
                       generated two-signature test database
      --sigs N         add N random body signatures to the generated
                       database, to give the engine (and a reload) some weight
      --neighbours N   run N CPU-bound busy loops beside both daemons during
                       the throughput rounds (a mail relay is never idle;
                       default $NEIGHBOURS)
      --out DIR        results directory (default: a new /tmp/mxbench.XXXX)
      --keep           keep the work directory (database, corpus, configs)
  -h, --help           this help

Environment: MX_BUILDDIR (default build-dev, relative to the repository root).
Results in DIR: runs.csv (every mxbench run), memory.csv, summary.txt,
mxbench-stderr.log and both daemons' logs.  A daemon that dies is reported
and restarted.  Exit status: 0 clean run, 1 errors or a daemon died, 2 set-up.
EOF
}

die() { echo "bench-instream: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	-d|--duration) DURATION=${2:?}; shift ;;
	-r|--rounds) ROUNDS=${2:?}; shift ;;
	--conc) CONCS=${2:?}; shift ;;
	--threads) THREADS=${2:?}; shift ;;
	--files) NFILES=${2:?}; shift ;;
	--timeout) TIMEOUT=${2:?}; shift ;;
	--db) DBDIR=${2:?}; shift ;;
	--sigs) SIGS=${2:?}; shift ;;
	--out) OUT=${2:?}; shift ;;
	--keep) KEEP=1 ;;
	--neighbours) NEIGHBOURS=${2:?}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

# --- prerequisites (reported, never installed) ------------------------------
for b in "$MXBENCH" "$MXSCAND" "$MXSCAN"; do
	[ -x "$b" ] || die "$b is missing; build it: make -C $BUILDDIR -j2 tuning/mxbench scanner/mxscand wrappers/mxscan/mxscan"
done
command -v clamd >/dev/null || die "clamd not found; please install Debian's clamav-daemon (apt-get install clamav-daemon)"
for t in awk sort base64 od truncate fold; do
	command -v $t >/dev/null || die "$t not found; please install coreutils / gawk"
done
[ -z "$DBDIR" ] || [ -d "$DBDIR" ] || die "--db $DBDIR: not a directory"
[ "$(id -u)" = 0 ] || die "must run as root (clamd is configured with User root)"

WORK=$(mktemp -d /tmp/mxbench-work.XXXXXX)
chmod 755 "$WORK"
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/mxbench.XXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
MX_PID='' CL_PID=''

# running PID - true while PID exists and is not a zombie.
running() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
stop_pid() {
	local pid=$1 i
	running "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do running "$pid" || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
# neighbours_stop - end the busy loops of --neighbours.
neighbours_stop() {
	local p
	for p in "${NB_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	NB_PIDS=()
}
cleanup() {
	neighbours_stop
	stop_pid "$MX_PID"
	stop_pid "$CL_PID"
	cp -f "$WORK"/mxscand/mxscand.log "$WORK"/clamd/clamd.log "$OUT"/ 2>/dev/null || true
	if [ "$KEEP" = 1 ]; then echo "work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- database and corpus ----------------------------------------------------
# EICAR in two halves so that this script is not itself detected.
EICAR_A='X5O!P%@AP[4\PZX54(P^)7CC)7}$'
# shellcheck disable=SC2016  # literal $H, not an expansion
EICAR_B='EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
EICAR=$EICAR_A$EICAR_B
if [ -z "$DBDIR" ]; then
	# As tests/lib/mxtest.py make_test_db: EICAR (body) and clam.exe (hash).
	DBDIR=$WORK/db
	mkdir -p "$DBDIR"
	printf 'Eicar-Test-Signature:0:0:%s\n' \
		"$(printf '%s' "$EICAR" | od -An -v -tx1 | tr -d ' \n')" >"$DBDIR/test.ndb"
	if [ "$SIGS" -gt 0 ]; then
		head -c $((SIGS * 16)) /dev/urandom | od -An -v -tx1 | tr -d ' \n' | fold -w 32 |
			awk '{ print "Bench.Synthetic." NR ":0:*:" $0 }' >>"$DBDIR/test.ndb"
	fi
	printf 'aa15bcf478d165efd2065190eb473bcb:544:ClamAV-Test-File\n' >"$DBDIR/test.hdb"
fi
DBDIR=$(cd "$DBDIR" && pwd)

# Mail-like sizes (2 KB .. 1 MB): half under 16 KB, a long tail.  Content
# is mail headers and base64 of random bytes, a quarter raw random bytes;
# every tenth file starts with EICAR (the test signature is anchored at 0).
CORPUS=$WORK/corpus
mkdir -p "$CORPUS"
RANDOM=4242
NINFECTED=0
for i in $(seq -w 1 "$NFILES"); do
	r=$((RANDOM % 100))
	if [ $r -lt 50 ]; then size=$((2048 + RANDOM % 14336))
	elif [ $r -lt 80 ]; then size=$((16384 + RANDOM * 3))
	elif [ $r -lt 95 ]; then size=$((114688 + RANDOM * 12))
	else size=$((524288 + RANDOM * 16)); fi
	f=$CORPUS/msg$i.eml
	infected=$((10#$i % 10 == 0))
	{
		[ $infected = 0 ] || printf '%s\n' "$EICAR"
		printf 'From: bench%s@example.org\nTo: user@example.net\nSubject: message %s\n' "$i" "$i"
		printf 'MIME-Version: 1.0\nContent-Type: application/octet-stream\n\n'
		if [ $((RANDOM % 4)) = 0 ]; then head -c "$size" /dev/urandom
		else head -c $((size * 3 / 4)) /dev/urandom | base64; fi
	} >"$f"
	truncate -s "$size" "$f"
	NINFECTED=$((NINFECTED + infected))
done
FILES=("$CORPUS"/*.eml)
echo "corpus: ${#FILES[@]} files, $(du -sk "$CORPUS" | cut -f1) KiB, $NINFECTED with EICAR"
echo "database: $DBDIR ($(find "$DBDIR" -maxdepth 1 -type f | wc -l) files$([ "$SIGS" = 0 ] || echo ", $SIGS synthetic signatures"))"

# --- daemons ----------------------------------------------------------------
mkdir -p "$WORK/mxscand" "$WORK/clamd"
MX_SOCK=$WORK/mxscand/mxscand.sock CL_SOCK=$WORK/clamd/clamd.sock
MX_LOG=$WORK/mxscand/mxscand.log CL_LOG=$WORK/clamd/clamd.log
cat >"$WORK/mxscand/mxscan.conf" <<EOF
database_root = $DBDIR
scand_socket = $MX_SOCK
scand_user =
scand_cache_size = ${MX_BENCH_CACHE:-0}
scand_temp_dir = $WORK/mxscand
scand_threads = $THREADS
EOF
cat >"$WORK/clamd/clamd.conf" <<EOF
Foreground yes
LocalSocket $CL_SOCK
DatabaseDirectory $DBDIR
User root
LogFile $CL_LOG
TemporaryDirectory $WORK/clamd
PidFile $WORK/clamd/clamd.pid
MaxThreads $THREADS
EOF

pid_of() { if [ "$1" = mxscand ]; then echo "$MX_PID"; else echo "$CL_PID"; fi; }
sock_of() { if [ "$1" = mxscand ]; then echo "$MX_SOCK"; else echo "$CL_SOCK"; fi; }
log_of() { if [ "$1" = mxscand ]; then echo "$MX_LOG"; else echo "$CL_LOG"; fi; }

# start DAEMON - start it and wait for the readiness probe (PING -> PONG).
start() {
	local pid i
	if [ "$1" = mxscand ]; then
		"$MXSCAND" -f -c "$WORK/mxscand/mxscan.conf" >>"$MX_LOG" 2>&1 &
		MX_PID=$!
	else
		clamd -c "$WORK/clamd/clamd.conf" >>"$WORK/clamd/stdout.log" 2>&1 &
		CL_PID=$!
	fi
	pid=$(pid_of "$1")
	for i in $(seq 2400); do
		running "$pid" || die "$1 exited before it was ready (log copied to $OUT)"
		"$MXSCAN" -o "scanner_endpoints=unix:$(sock_of "$1")" --ping >/dev/null 2>&1 && return 0
		sleep 0.05	# probe interval
	done
	die "$1 not ready after 120 s"
}

# up DAEMON WHEN - true if it runs; if it died, report it and restart it.
DEATHS=
declare -A RESTARTED=()
up() {
	running "$(pid_of "$1")" && return 0
	wait "$(pid_of "$1")" 2>/dev/null || true
	DEATHS="$DEATHS $1($2)"
	RESTARTED[$1]=1
	echo "WARNING: $1 died during $2; last log lines:" >&2
	grep -v 'verdict=' "$(log_of "$1")" | tail -n 2 | sed 's/^/    /' >&2
	start "$1"
	echo "  $1 restarted (pid $(pid_of "$1"))"
}

start mxscand
start clamd
echo "mxscand pid $MX_PID, clamd pid $CL_PID ($(clamd --version)); $THREADS scan threads each; $(nproc) CPUs"

# mem PID FIELD - a /proc/PID/status value in kB ("dead" once it is gone).
mem() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo dead; }
# reset_hwm PID - restart VmHWM from the current RSS (Linux >= 4.0).
reset_hwm() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || echo "note: cannot reset VmHWM of $1" >&2; }
# kv LINE KEY - a value from an mxbench summary line.
kv() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

RUNS=$OUT/runs.csv MEMCSV=$OUT/memory.csv ERRLOG=$OUT/mxbench-stderr.log
echo "test,daemon,conc,round,requests,ok,found,errors,seconds,rps,mbps,p50_ms,p95_ms,p99_ms,exit,died" >"$RUNS"
echo "daemon,phase,vmhwm_kb,vmrss_kb,max_sampled_rss_kb,note" >"$MEMCSV"
: >"$ERRLOG"

# record TEST DAEMON CONC ROUND LINE RC - one CSV row and one progress line.
record() {
	local row="$1,$2,$3,$4" k died=0
	[ -n "$5" ] || echo "WARNING: mxbench gave no summary against $2 (exit $6)" >&2
	for k in requests ok found errors seconds rps mbps p50_ms p95_ms p99_ms; do
		row="$row,$(kv "$5" $k)"
	done
	running "$(pid_of "$2")" || died=1
	echo "$row,$6,$died" >>"$RUNS"
	printf '  %-7s %-7s %s\n' "$1" "$2" "$5"
	LAST=$5
}
# bench TEST DAEMON CONC ROUND ARGS... - one mxbench run, logged to the CSV.
bench() {
	local line rc=0
	up "$2" "before $1 c$3"
	echo "== $1 $2 conc=$3 round=$4" >>"$ERRLOG"
	line=$("$MXBENCH" -t "$TIMEOUT" -s "unix:$(sock_of "$2")" -c "$3" "${@:5}" "${FILES[@]}" \
		2>>"$ERRLOG") || rc=$?
	record "$1" "$2" "$3" "$4" "$line" "$rc"
	running "$(pid_of "$2")" || up "$2" "$1 c$3 round $4"
}

# --- warm-up and sanity check -----------------------------------------------
echo "warm-up (one pass over the corpus, conc 2):"
for d in mxscand clamd; do
	bench warmup $d 2 0 -n "${#FILES[@]}"
	[ "$(kv "$LAST" found)" = "$NINFECTED" ] ||
		echo "WARNING: $d found $(kv "$LAST" found), expected $NINFECTED" >&2
done

# --- throughput, interleaved ------------------------------------------------
echo "throughput: ${DURATION}s runs, $ROUNDS rounds, concurrency $CONCS, $NEIGHBOURS CPU-bound neighbours:"
for i in $(seq "$NEIGHBOURS"); do
	sh -c 'while :; do :; done' &
	NB_PIDS+=($!)
done
for c in $CONCS; do
	for r in $(seq "$ROUNDS"); do
		for d in mxscand clamd; do bench rps $d "$c" "$r" -d "$DURATION"; done
	done
done
neighbours_stop

# --- memory -----------------------------------------------------------------
note() { [ -z "${RESTARTED[$1]:-}" ] || echo "restarted after a crash"; }
echo "memory:"
for d in mxscand clamd; do
	p=$(pid_of "$d")
	echo "$d,idle-after-load,$(mem "$p" VmHWM),$(mem "$p" VmRSS),,$(note $d)" >>"$MEMCSV"
done
for d in mxscand clamd; do
	up "$d" "before c$BIGCONC"
	p=$(pid_of "$d")
	reset_hwm "$p"
	bench "c$BIGCONC" "$d" "$BIGCONC" 1 -d "$DURATION"
	echo "$d,c$BIGCONC-load,$(mem "$p" VmHWM),$(mem "$p" VmRSS),,$(note $d)" >>"$MEMCSV"
done

# reload_count DAEMON - finished reloads (and the first load) in its log.
reload_count() {
	if [ "$1" = mxscand ]; then grep -c 'engine generation [0-9]* ready' "$MX_LOG" || true
	else grep -c 'Database correctly reloaded' "$CL_LOG" || true; fi
}
RELOAD_CONC=${CONCS##* }
for d in mxscand clamd; do
	up "$d" "before reload"
	p=$(pid_of "$d")
	before=$(reload_count $d)
	reset_hwm "$p"
	maxrss=0 done_at='' t=0
	echo "== reload $d conc=$RELOAD_CONC" >>"$ERRLOG"
	"$MXBENCH" -t "$TIMEOUT" -s "unix:$(sock_of $d)" -c "$RELOAD_CONC" -d "$DURATION" \
		"${FILES[@]}" >"$WORK/reload-$d.out" 2>>"$ERRLOG" &
	bpid=$!
	sleep 1	# let the load settle before the reload
	reply=$("$MXSCAN" -o "scanner_endpoints=unix:$(sock_of $d)" --reload 2>&1) || true
	while [ $t -lt 1200 ]; do
		rss=$(mem "$p" VmRSS)
		[ "$rss" = dead ] && break
		[ "$rss" -gt "$maxrss" ] && maxrss=$rss
		[ -n "$done_at" ] || [ "$(reload_count $d)" -le "$before" ] || done_at=$t
		[ -n "$done_at" ] && ! running "$bpid" && break
		sleep 0.1	# RSS sampling interval
		t=$((t + 1))
	done
	rc=0; wait "$bpid" || rc=$?
	echo "  reload  $d RELOAD -> ${reply:-no reply}${done_at:+; new engine after ~$((done_at / 10)).$((done_at % 10)) s}"
	[ -n "$done_at" ] || echo "WARNING: $d did not log a finished reload" >&2
	record reload "$d" "$RELOAD_CONC" 1 "$(cat "$WORK/reload-$d.out")" "$rc"
	echo "$d,reload-under-load,$(mem "$p" VmHWM),$(mem "$p" VmRSS),$maxrss,$(note $d)" >>"$MEMCSV"
	running "$p" || up "$d" "reload"
done

# --- report -----------------------------------------------------------------
# col DAEMON CONC COLUMN [MARK] - a runs.csv column of the timed rounds,
# "/"-joined; with MARK, "*" flags a run with errors and "!" a daemon death.
col() {
	awk -F, -v d="$1" -v c="$2" -v k="$3" -v m="${4:-}" '$1 == "rps" && $2 == d && $3 == c {
		printf "%s%s%s", s, $k, (!m ? "" : $16 == 1 ? "!" : $8 > 0 ? "*" : ""); s = "/" }' "$RUNS"
}
median() { tr / '\n' | sort -g | awk 'NF { v[++n] = $1 } END { if (!n) print "-";
	else if (n % 2) print v[(n + 1) / 2]; else printf "%.1f\n", (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
total() { tr / '\n' | awk '{ s += $1 } END { print s + 0 }'; }
memv() { awk -F, -v d="$1" -v p="$2" -v k="$3" '$1 == d && $2 == p { print $k }' "$MEMCSV"; }
{
	echo
	echo "Throughput, requests/s (INSTREAM, ${DURATION}s runs, $THREADS scan threads, $(nproc) CPUs, $NEIGHBOURS CPU-bound neighbours):"
	printf '%-5s %-26s %8s %-26s %8s %6s %11s\n' conc "mxscand rounds" median "clamd rounds" median ratio "errors m/c"
	for c in $CONCS; do
		m=$(col mxscand "$c" 10 | median)
		k=$(col clamd "$c" 10 | median)
		printf '%-5s %-26s %8s %-26s %8s %6s %11s\n' "$c" "$(col mxscand "$c" 10 m)" "$m" \
			"$(col clamd "$c" 10 m)" "$k" \
			"$(awk -v a="$m" -v b="$k" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
			"$(col mxscand "$c" 8 | total)/$(col clamd "$c" 8 | total)"
	done
	echo "(* = run with failed requests, ! = the daemon died in the run; rps counts answers only)"
	echo
	echo "Memory, kB (VmHWM = peak within the phase; reset before each phase):"
	printf '%-18s %11s %11s %11s %11s %11s %11s\n' phase mx_hwm mx_rss mx_maxrss cl_hwm cl_rss cl_maxrss
	for ph in idle-after-load "c$BIGCONC-load" reload-under-load; do
		printf '%-18s %11s %11s %11s %11s %11s %11s\n' "$ph" "$(memv mxscand "$ph" 3)" \
			"$(memv mxscand "$ph" 4)" "$(memv mxscand "$ph" 5)" "$(memv clamd "$ph" 3)" \
			"$(memv clamd "$ph" 4)" "$(memv clamd "$ph" 5)"
	done
	echo
	awk -F, 'NR > 1 && $8 != 0 { printf "errors: %s %s conc %s round %s: %s of %s requests%s\n",
		$1, $2, $3, $4, $8, $5, ($16 == 1 ? " (daemon died)" : "") }' "$RUNS"
	[ -z "$DEATHS" ] || echo "DIED (and restarted):$DEATHS; memory after a restart is a fresh process's"
	echo "results: $OUT (runs.csv memory.csv mxbench-stderr.log logs)"
} | tee "$OUT/summary.txt"
[ -z "$DEATHS" ] && awk -F, 'NR > 1 && $8 != 0 { exit 1 }' "$RUNS"
