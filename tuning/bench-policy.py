#!/usr/bin/env python3
"""bench-policy.py - what the mail policy costs on ordinary mail: one
mxscand, the same messages sent as MIMESCAN (policy off) and as MIMEFACTS
(policy on: every name, true type, archive members, all matches), side by
side in one run, plus the whole client path, `mxscan --mime` against
`mxscan --mime --policy` with a policy that bans names and types and has
signature rules (the decision made in the client).

Ordinary mail: messages with a text body, often an HTML alternative, and
zero to two attachments of mail-like kinds and sizes (PDF-like, JPEG-like,
DOCX and ZIP archives, CSV), every one unique, fresh for every round so no
cache carries over.  The database is the test signatures plus --sigs
random body signatures and --hashes random hash signatures.  The phases
alternate over --rounds rounds; medians are reported.

  tuning/bench-policy.py [--messages 300] [--conc 2] [--rounds 3]
                         [--sigs 20000] [--hashes 200000] [--cli 60]

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


def make_db(path, sigs, hashes, rnd):
    mxtest.make_test_db(path)
    with open(os.path.join(path, "synthetic.ndb"), "w") as f:
        for i in range(sigs):
            f.write("Synthetic.Body-%d:0:*:%s\n" % (i, rnd.getrandbits(128).to_bytes(16, "big").hex()))
    with open(os.path.join(path, "synthetic.hdb"), "w") as f:
        for i in range(hashes):
            f.write("%032x:%d:Synthetic.Hash-%d\n" % (rnd.getrandbits(128), 1000 + i % 100000, i))


def words(rnd, n):
    return " ".join(rnd.choice(["report", "invoice", "meeting", "figures", "draft", "notes",
                                "the", "and", "for", "budget", "next", "week"]) for _ in range(n))


def attachment(rnd):
    kind = rnd.choice(["pdf", "jpg", "docx", "zip", "csv"])
    size = int(rnd.lognormvariate(10.5, 1.0)) % 400000 + 2000
    if kind == "pdf":
        return "report.pdf", "application/pdf", b"%PDF-1.5\n" + rnd.randbytes(size)
    if kind == "jpg":
        return "photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0\0\x10JFIF\0" + rnd.randbytes(size)
    if kind == "csv":
        return "figures.csv", "text/csv", "\n".join(
            ",".join(str(rnd.randint(0, 99999)) for _ in range(8)) for _ in range(size // 48)).encode()
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        if kind == "docx":
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("word/document.xml", "<w:document>%s</w:document>" % words(rnd, size // 8))
        else:
            for i in range(rnd.randint(1, 4)):
                zf.writestr("file%d.txt" % i, words(rnd, size // 30))
    ct = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"
          if kind == "docx" else "application/zip")
    return ("letter.docx" if kind == "docx" else "files.zip"), ct, z.getvalue()


def message(i, rnd):
    b = "b%d_%x" % (i, rnd.getrandbits(32))
    text = "Hello %d,\r\n\r\n%s\r\n" % (i, words(rnd, rnd.randint(30, 400)))
    parts = ["Content-Type: text/plain; charset=us-ascii\r\n\r\n" + text]
    if rnd.random() < 0.5:
        parts = ["Content-Type: multipart/alternative; boundary=\"a%s\"\r\n\r\n"
                 "--a%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n"
                 "--a%s\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<html><body><p>%s"
                 "</p></body></html>\r\n--a%s--\r\n" % (b, b, text, b, text, b)]
    for _ in range(rnd.choice([0, 1, 1, 1, 2])):
        name, ct, data = attachment(rnd)
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--conc", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sigs", type=int, default=20000)
    ap.add_argument("--hashes", type=int, default=200000)
    ap.add_argument("--cli", type=int, default=60, help="messages for the mxscan comparison")
    a = ap.parse_args()
    rnd = random.Random(16)
    work = mxtest.tmpdir("policybench")
    db = os.path.join(work, "db")
    make_db(db, a.sigs, a.hashes, rnd)
    # The verdict cache off: MIMEFACTS never uses it, so MIMESCAN must not
    # either for a like-for-like measure (the mail is unique anyway).
    d = mxtest.Daemon(db, options={"scand_threads": str(max(2, a.conc)),
                                   "scand_cache_size": "0"})
    res = {"mimescan": [], "mimefacts": []}
    cpu = {"mimescan": [], "mimefacts": []}
    wrong = 0
    total = 0
    for rno in range(a.rounds):
        # fresh mail per round and per mode: no verdict cache carries over
        for mode in (("mimescan", "mimefacts") if rno % 2 == 0 else ("mimefacts", "mimescan")):
            mdir = os.path.join(work, "r%d-%s" % (rno, mode))
            os.makedirs(mdir)
            files = []
            mrnd = random.Random(rno * 7919 + (mode == "mimefacts"))
            for i in range(a.messages):
                p = os.path.join(mdir, "%05d.eml" % i)
                m = message(i, mrnd)
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
    off, on = statistics.median(res["mimescan"]), statistics.median(res["mimefacts"])
    coff, con = statistics.median(cpu["mimescan"]), statistics.median(cpu["mimefacts"])
    print("average message %.0f KB" % (total / (2 * a.rounds * a.messages) / 1024))
    print("MIMESCAN (policy off): %.1f msg/s, %.2f ms CPU/msg" % (off, coff))
    print("MIMEFACTS (policy on): %.1f msg/s, %.2f ms CPU/msg" % (on, con))
    print("policy cost: %+.1f%% time per message (throughput), %+.1f%% daemon CPU"
          % ((off / on - 1) * 100, (con / coff - 1) * 100))
    if a.cli > 0:
        cdir = os.path.join(work, "cli")
        os.makedirs(cdir)
        crnd = random.Random(99)
        files = []
        for i in range(a.cli):
            p = os.path.join(cdir, "%05d.eml" % i)
            with open(p, "wb") as f:
                f.write(message(i, crnd))
            files.append(p)
        run_cli(d.socket, files, False)  # warms the page cache
        offs, ons = [], []
        for _ in range(2):
            m, b_off = run_cli(d.socket, files, False)
            offs.append(m)
            m, b_on = run_cli(d.socket, files, True)
            ons.append(m)
            wrong += b_off + b_on
        m_off, m_on = min(offs), min(ons)
        print("client path, one message at a time: mxscan --mime %.2f ms, --policy %.2f ms "
              "(%+.1f%%)" % (m_off, m_on, (m_on / m_off - 1) * 100))
    d.stop()
    if wrong:
        print("WRONG verdicts: %d" % wrong)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
