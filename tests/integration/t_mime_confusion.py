#!/usr/bin/env python3
"""t_mime_confusion - MIMESCAN reads every attachment a mail client would
open, however broken the MIME (mxscand(8), the classes of the lenient
reading).

Every variant of mimegen.CONFUSION (transfer encodings, lenient base64,
lenient quoted-printable, header parameters, boundaries, containers)
carrying each carrier (EICAR in a zip and the ClamAV test files) is FOUND
under the carrier's own signature, and its clean twin (the same trick
around a harmless file) is OK.  Nothing libclamav's own reading of the
message finds (INSTREAM of the same bytes) is missed by MIMESCAN.  The
messages scripts/demo builds and CPython's email test messages are OK.
With scand_mime_ambiguous_action = flag a message whose readings
disagree is Heuristics.MIME.Ambiguous FOUND, a well-formed one OK; a text
full of uuencoded files over scand_mime_max_carved is an ERROR, never OK.
"""
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
from mxtest import EICAR, EICAR_SIG, instream_bytes  # noqa: E402

CPYTHON_DATA = "/usr/lib/python3.11/test/test_email/data"
SIGS = (EICAR_SIG, mxtest.CLAM_EXE_SIG)


@mxtest.setup
def start(tap):
    global db, mx, work
    work = mxtest.tmpdir("tconf")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    mx = mxtest.Daemon(db)


def mimescan(msg, daemon=None):
    return mxtest.request((daemon or mx).socket, b"zMIMESCAN\0" + instream_bytes(msg), timeout=60.0)


def instream(msg):
    return mxtest.request(mx.socket, b"zINSTREAM\0" + instream_bytes(msg), timeout=60.0)


def final(raw):
    """The verdict line of a reply (str), or None when it is cut."""
    if not raw.endswith(b"\0"):
        return None
    return raw[:-1].decode("latin-1").split("\n")[-1]


def found_sig(line):
    return line is not None and any(line == "stream: %s FOUND" % s for s in SIGS)


def test_variants(tap):
    """Every variant found, every twin OK; per class counts as diagnostics."""
    msgs = mimegen.confusion_messages()
    tap.ok(len(msgs) >= 200 and set(c for _, c, _, _ in msgs) == set(mimegen.CLASSES),
           "at least 200 variants covering the %d classes (%d)" % (len(mimegen.CLASSES), len(msgs)))
    per = {}
    for label, cls, bad, good in msgs:
        got, twin = final(mimescan(bad)), final(mimescan(good))
        per.setdefault(cls, [0, 0])
        per[cls][0] += found_sig(got)
        per[cls][1] += 1
        tap.ok(found_sig(got), "class %d %s: FOUND" % (cls, label), got)
        tap.ok(twin == "stream: OK", "class %d %s: clean twin OK" % (cls, label), twin)
    for cls in sorted(per):
        tap.diag("class %d (%s): %d of %d found" % (cls, mimegen.CLASSES[cls], per[cls][0], per[cls][1]))


def test_nothing_lost(tap):
    """What libclamav's reading of the whole message finds, MIMESCAN finds."""
    lost, clamav_found, n = [], 0, 0
    for label, _, bad, _ in mimegen.confusion_messages()[::3] + [
            (v, 0, fn(EICAR, "eicar.com"), None) for v, fn in mimegen.VARIANTS.items()]:
        n += 1
        if final(instream(bad)).endswith(" FOUND"):
            clamav_found += 1
            if not final(mimescan(bad)).endswith(" FOUND"):
                lost.append(label)
    tap.ok(not lost, "every one of %d messages libclamav's own reading finds (%d) is FOUND by "
           "MIMESCAN" % (n, clamav_found), lost)


def demo_messages():
    """The messages scripts/demo builds, by its own mkmsg()."""
    demo = os.path.join(os.environ.get("MX_SRCDIR", "."), "scripts", "demo")
    with open(demo) as f:
        text = f.read()
    start = text.index("b64() {")
    fn = text[start:text.index("\n}\n", text.index("mkmsg()")) + 3]
    d = os.path.join(work, "demo")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "random.bin"), "wb") as f:
        f.write(os.urandom(4096))
    with open(os.path.join(d, "report.pdf"), "wb") as f:
        f.write(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    subprocess.run(["bash", "-c", fn + 'mkmsg "$1/clean.eml" "quarterly report" report.bin "$1/random.bin"\n'
                    'mkmsg "$1/1-clean.eml" minutes minutes.pdf "$1/report.pdf" application/pdf\n', "-", d],
                   check=True)
    return [os.path.join(d, "clean.eml"), os.path.join(d, "1-clean.eml")]


def test_no_false_positives(tap):
    """scripts/demo's clean messages and CPython's email test messages: OK."""
    files = demo_messages() + sorted(glob.glob(os.path.join(CPYTHON_DATA, "*")))
    if len(files) < 40:
        tap.skip("CPython's email test messages (libpython3.11-testsuite) not installed")
        return
    bad = []
    for path in files:
        with open(path, "rb") as f:
            got = final(mimescan(f.read()))
        if got != "stream: OK":
            bad.append((os.path.basename(path), got))
    tap.ok(not bad, "%d messages (scripts/demo, CPython test_email/data) all OK" % len(files), bad)


def test_ambiguous_flag(tap):
    """scand_mime_ambiguous_action = flag: disagreeing readings refused."""
    d = mxtest.Daemon(db, options={"scand_mime_ambiguous_action": "flag"})
    try:
        harmless = mimegen.zip_of("notes.txt", b"harmless\r\n" * 5)
        amb = final(mimescan(mimegen.b64_stray_eq(harmless, "notes.zip"), d))
        tap.eq(amb, "stream: Heuristics.MIME.Ambiguous FOUND", "flag: readings disagree -> Ambiguous")
        tap.eq(final(mimescan(mimegen.plain(harmless, "notes.zip"), d)), "stream: OK",
               "flag: a well-formed message is OK")
        tap.eq(final(mimescan(mimegen.b64_stray_eq(harmless, "notes.zip"))), "stream: OK",
               "off (the default): the same message is OK")
        tap.ok(found_sig(final(mimescan(mimegen.b64_stray_eq(mimegen.zip_of("e.com", EICAR), "e.zip"), d))),
               "flag: malware in an ambiguous message is still named by its signature")
    finally:
        d.stop()


def test_max_carved(tap):
    """More carved runs than scand_mime_max_carved: ERROR, never OK."""
    d = mxtest.Daemon(db, options={"scand_mime_max_carved": "10"})
    try:
        text = b"".join(mimegen.uuencode(b"file %d harmless\r\n" % i, "f%d.txt" % i) for i in range(30))
        msg = mimegen.message(mimegen._hdr(), text)
        tap.eq(final(mimescan(msg, d)), "stream: MIME part limit exceeded. ERROR",
               "30 uuencoded files, max_carved 10: the part-limit ERROR")
        tap.eq(final(mimescan(msg)), "stream: OK", "the same message under the default cap: OK")
    finally:
        d.stop()


mxtest.run(globals())
