#!/usr/bin/env python3
"""bench-update.py - the whole mxscan-update pipeline on a large synthetic
database, against one plain engine load of the same set, in one run.

The set is a site bundle (a .tar.gz signed with the minisign tool) holding
--hashes random MD5 hash signatures (.hdb), --sigs random body signatures
(.ndb) and the EICAR signature the self-test needs, served from a file://
mirror (or, with --https, by a private nginx with a throwaway CA).  Timed,
each --rounds times, the median reported:

  update      mxscan-update from an empty database_root to a new current
              version: fetch, minisign verify, manifest, unpack, self-test
              in a child (load, compile, EICAR, clean controls), fsync,
              rename, swap (no daemon to reload)
  update+rl   the same with a running mxscand told to RELOAD, until its
              HEALTH shows the new version (with --daemon)
  noop        a second run when nothing changed on the mirror
  clamscan    `clamscan -d DIR --no-summary clean.txt` on the unpacked set:
              one plain engine load and compile by ClamAV's own tool
  mxscand     mxscand's first load of the same set (start to HEALTH ready)

  tuning/bench-update.py [--hashes 1000000] [--sigs 100000] [--rounds 1]
                         [--https] [--daemon] [--keep]

Needs mxscan-update and mxscand built in MX_BUILDDIR (default build-dev),
the minisign and clamscan tools (and nginx for --https).  Prints the
figures and the ratios update/clamscan and update/mxscand; exit 1 when a
run fails.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("MX_BUILDDIR", os.path.join(HERE, "..", "build-dev"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import mxtest  # noqa: E402
import updtest  # noqa: E402


def write_set(path, hashes, sigs, rnd):
    """The unpacked set: name -> bytes."""
    files = {}
    files["synthetic.hdb"] = "".join(
        "%032x:%d:Synthetic.Hash-%d\n" % (rnd.getrandbits(128), 1000 + i % 100000, i)
        for i in range(hashes)).encode()
    files["synthetic.ndb"] = ("".join(
        "Synthetic.Body-%d:0:*:%s\n" % (i, rnd.getrandbits(128).to_bytes(16, "big").hex())
        for i in range(sigs)) + updtest.EICAR_NDB).encode()
    os.makedirs(path, exist_ok=True)
    for n, d in files.items():
        with open(os.path.join(path, n), "wb") as f:
            f.write(d)
    return files


def traced_run(up, overrides=None):
    """Run the updater; returns (seconds, exit status, [(seconds, log line)])
    with the time each log line arrived: a per-stage breakdown."""
    t0 = time.monotonic()
    p = up.popen(args=["-v"], overrides=overrides)
    lines = []
    for raw in p.stderr:
        lines.append((time.monotonic() - t0, raw.decode("utf-8", "replace").rstrip()))
    p.stdout.read()
    rc = p.wait()
    return time.monotonic() - t0, rc, lines


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return time.monotonic() - t0, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hashes", type=int, default=1000000)
    ap.add_argument("--sigs", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--https", action="store_true")
    ap.add_argument("--daemon", action="store_true")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    updtest.need_updater()
    updtest.need_tools("minisign", "clamscan")
    work = mxtest.tmpdir("bench-update")
    if not a.keep:
        updtest.at_cleanup(lambda: mxtest.rmtree(work))
    rnd = random.Random(20261123)

    t_gen, files = timed(lambda: write_set(os.path.join(work, "plain"), a.hashes, a.sigs, rnd))
    doc = os.path.join(work, "mirror")
    os.makedirs(doc)
    bundle = os.path.join(doc, "site.tar.gz")
    key = updtest.Key(os.path.join(work, "keys"))
    t_pack, _ = timed(lambda: updtest.make_bundle(bundle, files, gz_level=6))
    key.sign(bundle)
    unpacked = sum(len(d) for d in files.values())
    print("set: %d hash + %d body signatures, %.1f MB unpacked, bundle %.1f MB "
          "(generated in %.1fs, packed in %.1fs)"
          % (a.hashes, a.sigs + 1, unpacked / 1e6, os.path.getsize(bundle) / 1e6, t_gen, t_pack),
          flush=True)

    if a.https:
        ca = updtest.CA(work)
        ng = updtest.Nginx(work, doc, ca)
        url = ng.url("/m/site.tar.gz")
        extra = {"update_ca_file": ca.ca_cert}
    else:
        url = "file://" + bundle
        extra = {}
    opts = {"update_databases": "", "update_bundles": url,
            "update_trusted_keys": key.pub, "update_keep_versions": "2",
            "scanner_endpoints": "", "update_max_unpacked": "4g"}
    opts.update(extra)

    sample = os.path.join(work, "clean.txt")  # clamscan refuses /dev/null (not a file)
    with open(sample, "w") as f:
        f.write("an ordinary clean text\n")
    res = {"update": [], "noop": [], "clamscan": [], "mxscand": [], "update+rl": []}
    failed = False
    for rd in range(a.rounds):
        root = os.path.join(work, "root%d" % rd)
        up = updtest.Updater(work, root, opts)
        t, r = timed(lambda: up.run(timeout=3600))
        # no daemon configured: 10 is "installed, no daemon to reload"
        if r.rc not in (0, 10) or up.current() is None:
            print("update run failed: %r" % r)
            failed = True
            break
        res["update"].append(t)
        t, r = timed(lambda: up.run(timeout=3600))
        if r.rc != 0:
            print("no-change run failed: %r" % r)
            failed = True
        res["noop"].append(t)

        plain = os.path.join(work, "plain")
        t, r = timed(lambda: subprocess.run(["clamscan", "-d", plain, "--no-summary", sample],
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        if r.returncode != 0:
            print("clamscan failed: %s" % r.stderr.decode()[-500:])
            failed = True
        res["clamscan"].append(t)

        t0 = time.monotonic()
        d = mxtest.Daemon(plain, workdir=updtest.subdir(work, "mxscand%d" % rd), wait=False, options={"scand_db_check_interval": "0"})
        updtest.at_cleanup(d.stop)
        ok = mxtest.wait_for(lambda: d.health().get("status") == "ready", 3600)
        res["mxscand"].append(time.monotonic() - t0)
        d.stop()
        if not ok:
            print("mxscand did not load the set")
            failed = True

        if a.daemon:
            root2 = os.path.join(work, "rootd%d" % rd)
            up2 = updtest.Updater(work, root2, opts)
            # first version without the daemon, then the daemon on it, then
            # a new bundle (one more signature) through the whole pipeline
            up2.run(timeout=3600)
            d = mxtest.Daemon(root2, workdir=updtest.subdir(work, "mxscand-rl%d" % rd), wait=False, options={"scand_db_check_interval": "0"})
            updtest.at_cleanup(d.stop)
            mxtest.wait_for(lambda: d.health().get("status") == "ready", 3600)
            files2 = dict(files)
            files2["more.ndb"] = updtest.ndb_line("Bench-More", updtest.marker("bench")).encode()
            updtest.make_bundle(bundle, files2)
            key.sign(bundle)
            gen = d.health().get("engine_generation")
            t, rc, lines = traced_run(up2, {"scanner_endpoints": "unix:" + d.socket})
            if rc != 0 or d.health().get("engine_generation") == gen:
                print("update with reload failed: exit %s" % rc)
                failed = True
            if rd == a.rounds - 1 or failed:
                print("log of the last update+rl run (seconds since start):")
                for ts, line in lines:
                    print("  %6.2f %s" % (ts, line[:150]))
            res["update+rl"].append(t)
            d.stop()
            updtest.make_bundle(bundle, files)
            key.sign(bundle)
        mxtest.rmtree(root)

    med = {k: statistics.median(v) for k, v in res.items() if v}
    print("%-10s %8s   %s" % ("phase", "median s", "each round"))
    for k in ("update", "update+rl", "noop", "clamscan", "mxscand"):
        if k in med:
            print("%-10s %8.2f   %s" % (k, med[k], " ".join("%.2f" % v for v in res[k])))
    if "update" in med and med.get("clamscan"):
        print("ratio update/clamscan = %.2f" % (med["update"] / med["clamscan"]))
    if "update" in med and med.get("mxscand"):
        print("ratio update/mxscand-load = %.2f" % (med["update"] / med["mxscand"]))
    if "update+rl" in med and med.get("mxscand"):
        print("ratio update+reload/mxscand-load = %.2f" % (med["update+rl"] / med["mxscand"]))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
