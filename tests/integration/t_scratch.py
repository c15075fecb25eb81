#!/usr/bin/env python3
"""t_scratch - libclamav's per-scan directories recycled (scand_scratch_recycle).

libclamav makes and removes a directory in mxscand's private spool for
every scan.  With recycling on (the default) one scan after another
reuses one spare directory (the same inode each time) and nothing else
is left in the spool; archives whose members libclamav inflates into
that directory are still found, from many clients at once, and every
spare left behind is empty, 0700, and no more than scand_threads + 2.
With it off no spare is kept.  A stop removes the spool, spares and
all."""
import io
import os
import stat
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
from mxtest import EICAR, instream_bytes  # noqa: E402

tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global db, work
    work = mxtest.tmpdir("tscratch")
    db = os.path.join(work, "db")
    mxtest.make_test_db(db)


FOUND = b"stream: %s FOUND\0" % mxtest.EICAR_SIG.encode()
THREADS = 4


def zipped(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


def spool_of(mx):
    found = [e for e in os.listdir(mx.dir)
             if e.startswith("mxscand.") and os.path.isdir(os.path.join(mx.dir, e))]
    return os.path.join(mx.dir, found[0]) if len(found) == 1 else None


def entries(spool):
    return sorted(os.listdir(spool))


def spare_inodes(spool):
    return sorted(os.lstat(os.path.join(spool, e)).st_ino for e in os.listdir(spool)
                  if e.startswith(".spare-"))


@mxtest.setup
def make_files(tap):
    global clean_file
    clean_file = os.path.join(work, "clean.bin")
    with open(clean_file, "wb") as f:
        f.write(os.urandom(4096))


def test_recycling_on(tap):
    """Recycling on (the default)."""
    global bad_zip, mx, spool
    mx = mxtest.Daemon(db, workdir=mxtest.tmpdir("tscratch-on"), options={"scand_threads": str(THREADS)})
    spool = spool_of(mx)
    tap.ok(spool is not None, "one private spool directory", os.listdir(mx.dir))
    replies, inodes = [], set()
    for i in range(30):
        replies.append(mxtest.fildes(mx.socket, clean_file))
        inodes.update(spare_inodes(spool))
    tap.ok(all(r.endswith(b": OK\0") for r in replies), "30 FILDES scans, one after another, all OK",
           replies[:3])
    names = entries(spool)
    tap.ok(len(names) == 1 and names[0].startswith(".spare-"),
           "the spool holds one spare directory and nothing else", names)
    tap.ok(len(inodes) == 1, "every scan reused the same directory (one inode in all)", inodes)

    # Archives: libclamav inflates the members into the scan's directory.
    bad_zip, good_zip = zipped("eicar.com", EICAR + b"\n" * 3000), zipped("notes.txt", b"plain " * 4000)
    bad_path, good_path = os.path.join(work, "eicar.zip"), os.path.join(work, "clean.zip")
    for path, data in ((bad_path, bad_zip), (good_path, good_zip)):
        with open(path, "wb") as f:
            f.write(data)
    MXBENCH = os.path.join(mxtest.BUILDDIR, "tuning", "mxbench")
    for mode in ("fildes", "instream"):
        # mxbench: 8 C client threads, the two files in turn, one line of counts.
        p = subprocess.run([MXBENCH, "-s", "unix:" + mx.socket, "-m", mode, "-c", "8", "-n", "400", "-q",
                            bad_path, good_path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=300)
        counts = dict(kv.split("=", 1) for kv in p.stdout.decode().split() if "=" in kv)
        tap.ok(p.returncode == 0 and (counts.get("found"), counts.get("ok"), counts.get("errors"))
               == ("200", "200", "0"),
               "%s: 400 zip scans from 8 clients at once: 200 EICAR found inside, 200 clean" % mode,
               p.stdout)
    names = entries(spool)
    spares = [n for n in names if n.startswith(".spare-")]
    tap.ok(names == spares and 1 <= len(spares) <= THREADS + 2,
           "only spares remain, at most scand_threads + 2 (%d)" % len(spares), names)
    modes = {n: stat.S_IMODE(os.lstat(os.path.join(spool, n)).st_mode) for n in spares}
    tap.ok(all(stat.S_ISDIR(os.lstat(os.path.join(spool, n)).st_mode) for n in spares)
           and set(modes.values()) == {0o700}, "every spare is a 0700 directory", modes)
    tap.ok(all(os.listdir(os.path.join(spool, n)) == [] for n in spares),
           "every spare is empty (the inflated members are gone)",
           {n: os.listdir(os.path.join(spool, n)) for n in spares})
    tap.eq(mx.request(b"zINSTREAM\0" + instream_bytes(bad_zip)), FOUND, "a scan after the storm still finds EICAR")
    rc = mx.stop()
    tap.ok(rc == 0 and spool is not None and not os.path.exists(spool),
           "a stop removes the spool with its spares", (rc, spool and os.path.exists(spool) and os.listdir(spool)))


def test_recycling_off(tap):
    """Recycling off."""
    global mx, spool
    mx = mxtest.Daemon(db, workdir=mxtest.tmpdir("tscratch-off"),
                       options={"scand_threads": str(THREADS), "scand_scratch_recycle": "no"})
    spool = spool_of(mx)
    replies = [mxtest.fildes(mx.socket, clean_file) for _ in range(10)]
    replies.append(mx.request(b"zINSTREAM\0" + instream_bytes(bad_zip)))
    tap.ok(all(r.endswith(b": OK\0") for r in replies[:10]) and replies[10] == FOUND,
           "scand_scratch_recycle = no: scans answer as before", replies[-1])
    tap.eq(entries(spool), [], "scand_scratch_recycle = no: no spare is kept, the spool is empty")
    rc = mx.stop()
    tap.ok(rc == 0 and spool is not None and not os.path.exists(spool),
           "scand_scratch_recycle = no: a stop removes the spool")


if __name__ == "__main__":
    mxtest.run(globals())
