#!/usr/bin/env python3
"""bench-policy.py - what the mail policy costs on ordinary mail: one
mxscand, the same messages sent as MIMESCAN (policy off) and as MIMEFACTS
(policy on: every name, true type, archive members, all matches), side by
side in one run, plus the whole client path, `mxscan --mime` against
`mxscan --mime --policy` with a policy that bans names and types and has
signature rules (the decision made in the client).

Ordinary mail: messages with a text body, often an HTML alternative, and
zero to two attachments of mail-like kinds and sizes (PDF-like, JPEG-like,
DOCX and ZIP archives, CSV), every one unique, fresh for every round and
mode so no cache carries over; both modes of a round get messages of the
same structure and sizes.  The cost is measured as mxscand's CPU time
(/proc) per message and as throughput, per round as a pair; the median
and the spread of the pairs are reported.  The database is the test signatures plus --sigs
random body signatures and --hashes random hash signatures.  The phases
alternate over --rounds rounds; medians are reported.

  tuning/bench-policy.py [--messages 300] [--conc 2] [--rounds 3]
                         [--sigs 20000] [--hashes 200000] [--cli 60]
                         [--no-cache] [--callgrind N]

Needs mxscand, mxscan and tuning/mxbench built in MX_BUILDDIR (default
build-dev).  Exit 1 when a verdict is wrong.
"""
import argparse
import base64
import io
import os
import random
import statistics
import subprocess
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("MX_BUILDDIR", os.path.join(HERE, "..", "build-dev"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import mxtest  # noqa: E402

MXBENCH = os.path.join(os.environ["MX_BUILDDIR"], "tuning", "mxbench")
POLICY = ["banned_names=exe scr js vbs bat cmd com pif *.*.exe",
          "banned_types=PE ELF MACHO",
          "signature_rules=/^Heuristics\\./ tag /^PUA\\./ tag"]


def words(rnd, n):
    return " ".join(rnd.choice(["report", "invoice", "meeting", "figures", "draft", "notes",
                                "the", "and", "for", "budget", "next", "week"]) for _ in range(n))


def attachment(rnd, brnd):
    """One attachment: its kind and size from RND, its bytes from BRND."""
    kind = rnd.choice(["pdf", "jpg", "docx", "zip", "csv"])
    size = int(rnd.lognormvariate(10.5, 1.0)) % 400000 + 2000
    if kind == "pdf":
        return "report.pdf", "application/pdf", b"%PDF-1.5\n" + brnd.randbytes(size)
    if kind == "jpg":
        return "photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0\0\x10JFIF\0" + brnd.randbytes(size)
    if kind == "csv":
        return "figures.csv", "text/csv", "\n".join(
            ",".join(str(brnd.randint(0, 99999)) for _ in range(8))
            for _ in range(size // 48)).encode()
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        if kind == "docx":
            # the same in every document, as in documents from one template
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("word/document.xml", "<w:document>%s</w:document>" % words(brnd, size // 8))
        else:
            for i in range(rnd.randint(1, 4)):
                zf.writestr("file%d.txt" % i, words(brnd, size // 30))
    ct = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"
          if kind == "docx" else "application/zip")
    return ("letter.docx" if kind == "docx" else "files.zip"), ct, z.getvalue()


def message(i, rnd, brnd=None):
    """Message I: its structure and sizes from RND, the bytes of its text
    and attachments from BRND (RND when None)."""
    brnd = brnd or rnd
    b = "b%d_%x" % (i, rnd.getrandbits(32))
    text = "Hello %d,\r\n\r\n%s\r\n" % (i, words(brnd, rnd.randint(30, 400)))
    parts = ["Content-Type: text/plain; charset=us-ascii\r\n\r\n" + text]
    if rnd.random() < 0.5:
        parts = ["Content-Type: multipart/alternative; boundary=\"a%s\"\r\n\r\n"
                 "--a%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n"
                 "--a%s\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<html><body><p>%s"
                 "</p></body></html>\r\n--a%s--\r\n" % (b, b, text, b, text, b)]
    for _ in range(rnd.choice([0, 1, 1, 1, 2])):
        name, ct, data = attachment(rnd, brnd)
        parts.append("Content-Type: %s; name=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n"
                     "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n%s"
                     % (ct, name, name, base64.encodebytes(data).decode().replace("\n", "\r\n")))
    body = "".join("--%s\r\n%s\r\n" % (b, p) for p in parts) + "--%s--\r\n" % b
    return ("From: sender%d@example.net\r\nTo: user@example.org\r\nSubject: note %d\r\n"
            "Message-ID: <%d.%x@example.net>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n%s"
            % (i, i, i, rnd.getrandbits(32), b, body)).encode()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_bench(sock, mode, files, conc, pid):
    cpu0 = cpu_seconds(pid)
    r = subprocess.run([MXBENCH, "-s", "unix:" + sock, "-c", str(conc), "-m", mode, "-n",
                        str(len(files)), "-q"] + files, capture_output=True, text=True)
    kv = dict(x.split("=", 1) for x in r.stdout.split() if "=" in x)
    if "rps" not in kv:
        sys.exit("mxbench failed: %s %s" % (r.stdout, r.stderr))
    wrong = int(kv["found"]) + int(kv["errors"])
    return float(kv["rps"]), wrong, (cpu_seconds(pid) - cpu0) * 1000.0 / len(files)


def run_cli(sock, files, policy):
    t0 = time.monotonic()
    bad = 0
    for path in files:
        cmd = [mxtest.MXSCAN, "-c", "/dev/null", "-o", "scanner_endpoints=unix:" + sock, "--mime"]
        if policy:
            for o in POLICY:
                cmd += ["-o", o]
            cmd.append("--policy")
        r = subprocess.run(cmd + ["-q", path], capture_output=True)
        bad += r.returncode != 0
    return (time.monotonic() - t0) * 1000.0 / len(files), bad


def callgrind_total(path):
    """The instructions of one callgrind dump (its summary line)."""
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    return 0


def run_callgrind(db, work, a):
    """mxscand under callgrind: the instructions it executes for the same
    kind of mail, MIMESCAN against MIMEFACTS, counted only while each
    phase runs (the database load is not counted).  Deterministic where
    time is not: a fair measure on a shared machine."""
    cdir = os.path.join(work, "callgrind")
    os.makedirs(cdir)
    sock = os.path.join(cdir, "mxscand.sock")
    conf = os.path.join(cdir, "mxscan.conf")
    with open(conf, "w") as f:
        opts = [("database_root", db), ("scand_socket", sock), ("scand_user", ""),
                ("scand_temp_dir", cdir), ("scand_threads", "2")]
        if a.no_cache:
            opts.append(("scand_cache_size", "0"))
        for k, v in opts:
            f.write("%s = %s\n" % (k, v))
    log = open(os.path.join(cdir, "mxscand.log"), "ab")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                             "--callgrind-out-file=" + os.path.join(cdir, "cg.out"),
                             mxtest.MXSCAND, "-f", "-c", conf], stdout=log, stderr=log)
    wrong = 0
    ins = {"mimescan": [], "mimefacts": []}
    try:
        mxtest.wait_ready(sock, timeout=1800, proc=proc)
        ctl = ["callgrind_control"]
        for rno in range(2):
            for mode in (("mimescan", "mimefacts") if rno == 0 else ("mimefacts", "mimescan")):
                mdir = os.path.join(cdir, "r%d-%s" % (rno, mode))
                os.makedirs(mdir)
                mrnd = random.Random(5000 + rno)
                brnd = random.Random(6000 + 2 * rno + (mode == "mimefacts"))
                files = []
                for i in range(a.callgrind):
                    p = os.path.join(mdir, "%05d.eml" % i)
                    with open(p, "wb") as f:
                        f.write(message(i, mrnd, brnd))
                    files.append(p)
                before = set(os.listdir(cdir))
                subprocess.run(ctl + ["-z", str(proc.pid)], capture_output=True, check=True)
                subprocess.run(ctl + ["-i", "on", str(proc.pid)], capture_output=True, check=True)
                _, w, _ = run_bench(sock, mode, files, 1, proc.pid)
                subprocess.run(ctl + ["-d", str(proc.pid)], capture_output=True, check=True)
                subprocess.run(ctl + ["-i", "off", str(proc.pid)], capture_output=True, check=True)
                dumps = sorted(set(os.listdir(cdir)) - before)
                n = sum(callgrind_total(os.path.join(cdir, x))
                        for x in dumps if x.startswith("cg.out"))
                ins[mode].append(n / len(files))
                wrong += w
                print("callgrind round %d %-9s %.1f M instructions/msg"
                      % (rno + 1, mode, n / len(files) / 1e6), flush=True)
    finally:
        proc.terminate()
        proc.wait()
        log.close()
    pairs = [(f / s - 1) * 100 for s, f in zip(ins["mimescan"], ins["mimefacts"])]
    print("policy cost, daemon instructions per message (callgrind): %s"
          % ", ".join("%+.2f%%" % x for x in pairs))
    return wrong


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--conc", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sigs", type=int, default=20000)
    ap.add_argument("--hashes", type=int, default=200000)
    ap.add_argument("--cli", type=int, default=60, help="messages for the mxscan comparison")
    ap.add_argument("--no-cache", action="store_true",
                    help="scand_cache_size = 0: neither mode hashes for the verdict cache")
    ap.add_argument("--callgrind", type=int, default=0,
                    help="messages per mode counted in instructions under callgrind (slow)")
    a = ap.parse_args()
    rnd = random.Random(16)
    work = mxtest.tmpdir("policybench")
    db = os.path.join(work, "db")
    mxtest.make_synthetic_db(db, a.sigs, a.hashes, rnd)
    # mxscand as shipped (verdict cache and libclamav's cache on): the
    # mail is unique, so neither cache answers a part; both modes pay
    # for the lookups.
    extra = {"scand_cache_size": "0"} if a.no_cache else {}
    d = mxtest.Daemon(db, options=dict(extra, scand_threads=str(max(2, a.conc))))
    res = {"mimescan": [], "mimefacts": []}
    cpu = {"mimescan": [], "mimefacts": []}
    ratio, tratio = [], []
    wrong = 0
    total = 0
    for rno in range(a.rounds):
        # The same structure and sizes for both modes in a round, fresh
        # bytes for each mode and round: no cache carries over.
        for mode in (("mimescan", "mimefacts") if rno % 2 == 0 else ("mimefacts", "mimescan")):
            mdir = os.path.join(work, "r%d-%s" % (rno, mode))
            os.makedirs(mdir)
            files = []
            mrnd = random.Random(rno * 7919)
            brnd = random.Random(rno * 7919 + 1 + (mode == "mimefacts"))
            for i in range(a.messages):
                p = os.path.join(mdir, "%05d.eml" % i)
                m = message(i, mrnd, brnd)
                total += len(m)
                with open(p, "wb") as f:
                    f.write(m)
                files.append(p)
            rps, w, ms = run_bench(d.socket, mode, files, a.conc, d.proc.pid)
            res[mode].append(rps)
            cpu[mode].append(ms)
            wrong += w
            print("round %d %-9s %7.1f msg/s  daemon CPU %.2f ms/msg  wrong %d"
                  % (rno + 1, mode, rps, ms, w), flush=True)
        ratio.append((cpu["mimefacts"][-1] / cpu["mimescan"][-1] - 1) * 100)
        tratio.append((res["mimescan"][-1] / res["mimefacts"][-1] - 1) * 100)
    off, on = statistics.median(res["mimescan"]), statistics.median(res["mimefacts"])
    coff, con = statistics.median(cpu["mimescan"]), statistics.median(cpu["mimefacts"])
    print("average message %.0f KB" % (total / (2 * a.rounds * a.messages) / 1024))
    print("MIMESCAN (policy off): %.1f msg/s, %.2f ms CPU/msg (rounds %s)"
          % (off, coff, " ".join("%.2f" % x for x in cpu["mimescan"])))
    print("MIMEFACTS (policy on): %.1f msg/s, %.2f ms CPU/msg (rounds %s)"
          % (on, con, " ".join("%.2f" % x for x in cpu["mimefacts"])))
    print("policy cost, daemon CPU per message: median %+.1f%% of the rounds' pairs "
          "(min %+.1f%%, max %+.1f%%)" % (statistics.median(ratio), min(ratio), max(ratio)))
    print("policy cost, time per message (throughput): median %+.1f%% (min %+.1f%%, max %+.1f%%)"
          % (statistics.median(tratio), min(tratio), max(tratio)))
    if a.cli > 0:
        # Fresh messages for every run (same structure): the caches
        # answer nothing, as for the daemon rounds.
        offs, ons = [], []
        for run in range(4):
            cdir = os.path.join(work, "cli%d" % run)
            os.makedirs(cdir)
            crnd, cbrnd = random.Random(99), random.Random(1000 + run)
            files = []
            for i in range(a.cli):
                p = os.path.join(cdir, "%05d.eml" % i)
                with open(p, "wb") as f:
                    f.write(message(i, crnd, cbrnd))
                files.append(p)
            policy = run in (1, 2)  # off, on, on, off
            m, bad = run_cli(d.socket, files, policy)
            (ons if policy else offs).append(m)
            wrong += bad
        m_off, m_on = statistics.median(offs), statistics.median(ons)
        print("client path, one message at a time: mxscan --mime %.2f ms, --policy %.2f ms "
              "(%+.1f%%)" % (m_off, m_on, (m_on / m_off - 1) * 100))
    if a.callgrind > 0:
        wrong += run_callgrind(db, work, a)
    d.stop()
    if wrong:
        print("WRONG verdicts: %d" % wrong)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
