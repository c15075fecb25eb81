#!/usr/bin/env python3
"""t_mime - MIMESCAN: a whole mail message, scanned part by part.

Every malformed-MIME trick class of mimegen (junk base64, a missing or
mismatched boundary, duplicate headers, RFC 2231 names, uuencode inside
text, nested message/rfc822, quoted-printable, no MIME-Version, folded
headers), with EICAR and with a zip of EICAR, is FOUND; the same shapes
with a harmless payload are OK.  The per-part lines carry the right
paths, types and (decoded, escaped) names; uuencoded files appear as
P.uu1; the ClamAV test archives are found as attachments; the part and
depth limits give an ERROR naming the limit and never OK; IDSESSION
prefixes every line; n framing works; mxscan --mime prints the lines and
exits 0/1/2; a storm of one infected attachment is answered from the
verdict cache.  A text body sent with CRLF is also read as libclamav's
mail parser writes it (P.lf, LF line ends), so a signature written with
LF is FOUND as libclamav's full reading finds it, on the same messages
(INSTREAM is the reference); a signature that needs libclamav's mail
parser itself (Container:CL_TYPE_MAIL) is found with
scand_mime_raw_reading = full; MIMEFACTS reads the raw message as
MIMESCAN decides (flat or full), with every match of the flat pass; the
flat pass reads the head of each decoded base64 body as sent
(scand_mime_flat_base64_head), so a signature on an attachment's encoded
header is FOUND and one deep in its encoded text only with a larger head."""
import base64
import os
import random
import re
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
from mxtest import EICAR, EICAR_SIG, instream_bytes  # noqa: E402

tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global db, mx, work
    work = mxtest.tmpdir("tmime")
    db = mxtest.make_test_db(os.path.join(work, "db"), extra_ndb=[
        (LF_SIG, (LF_A + b"\n" + LF_B).hex()), (LF2_SIG, (LF_C + b"\n\n" + LF_D).hex()),
        (LF3_SIG, (LF_E + b"\n \n" + LF_F).hex()),
        (RAW_SIGS[0], RAW_MARKS[0].hex()), (RAW_SIGS[1], RAW_MARKS[1].hex()),
        (B64_HEAD_SIG, b64_line(B64_HEAD_ATT, 2).hex()), (B64_DEEP_SIG, b64_line(B64_DEEP_ATT, 200).hex())])
    with open(os.path.join(db, "mail.ldb"), "w") as f:
        f.write("%s;Engine:51-255,Container:CL_TYPE_MAIL,Target:0;0;%s\n"
                % (MAIL_SIG, MAIL_MARK.hex()))
    mx = mxtest.Daemon(db)


FINAL_FOUND = "stream: %s FOUND" % EICAR_SIG
CLAM_SIG = mxtest.CLAM_EXE_SIG
# One reply line: path, type, name ("..." with \ooo escapes, or -), verdict.
# The lenient reading's paths: seg<n> and the suffixes .b64, .b64p, .qp,
# .uu<n>, .yenc<n>, .hqx<n>, .run<n>; .lf, a text body as libclamav
# writes it (mxscand(8)).
LINE_RE = re.compile(r'(raw|(?:seg[1-9][0-9]*|[1-9][0-9]*(?:\.[1-9][0-9]*)*)'
                     r'(?:\.(?:uu|yenc|hqx|run)[1-9][0-9]*|\.b64p?|\.qp|\.lf)?) '
                     r'([a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+) '
                     r'("(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[0-7]{3})*"|-) '
                     r'(OK|\S+ FOUND|.+ ERROR)\Z')
FINAL_RE = re.compile(r'stream: (OK|\S+ FOUND|.+ ERROR)\Z')


def mimescan(msg, daemon=None, framing="z", timeout=60.0):
    d = daemon or mx
    if framing == "z":
        req = b"zMIMESCAN\0"
    else:
        req = b"nMIMESCAN\n"
    return mxtest.request(d.socket, req + instream_bytes(msg), timeout=timeout)


def mimefacts(msg, daemon=None, timeout=60.0):
    return mxtest.request((daemon or mx).socket, b"zMIMEFACTS\0" + instream_bytes(msg),
                          timeout=timeout)


def lines_of(raw, term=b"\0"):
    """The reply's lines (str), the terminator stripped; None when the
    reply does not end with TERM."""
    if not raw.endswith(term):
        return None
    body = raw[:-len(term)]
    return body.decode("latin-1").split("\n")


def well_formed(lines):
    """None when every line has the documented shape, else the first bad."""
    if not lines:
        return "no lines"
    for ln in lines[:-1]:
        if LINE_RE.match(ln) is None:
            return "bad part line: %r" % ln
    if FINAL_RE.match(lines[-1]) is None:
        return "bad final line: %r" % lines[-1]
    return None


def part_lines(lines):
    """Part lines (not raw, not the final), keyed by path."""
    out = {}
    for ln in (lines or [])[:-1]:
        m = LINE_RE.match(ln)
        if m and m.group(1) != "raw":
            out[m.group(1)] = ln
    return out


def check_found(raw, label, sig=EICAR_SIG):
    lines = lines_of(raw)
    ok = (lines is not None and well_formed(lines) is None
          and lines[-1] == "stream: %s FOUND" % sig
          and any(ln.endswith(" %s FOUND" % sig) for ln in lines[:-1]))
    tap.ok(ok, label, raw[-3000:])


def found_at(msg, line, label):
    """MSG scanned: FOUND, with LINE among the part lines."""
    raw = mimescan(msg)
    lines = lines_of(raw)
    tap.ok(lines is not None and lines[-1] == FINAL_FOUND and line in lines, label, raw)


def check_clean(raw, label):
    lines = lines_of(raw)
    ok = (lines is not None and well_formed(lines) is None and lines[-1] == "stream: OK"
          and all(ln.endswith(" OK") for ln in lines[:-1]))
    tap.ok(ok, label, raw[-3000:])


HARMLESS = b"This is a harmless text file; nothing in here is a virus.\r\n" * 3
HARMLESS_ZIP = mimegen.zip_of("notes.txt", HARMLESS)
EICAR_ZIP = mimegen.zip_of("eicar.com", EICAR)

# --- every trick class: EICAR, zipped EICAR, and the clean twins ------------
# Where each variant puts the attachment (mimegen documents the shapes).
ATTACHMENT_PATH = {"uuencode_in_text": "2.uu1", "nested_rfc822": "2.1.2.1.2"}


def check_part_found(raw, path, label):
    """The attachment's own line, when it is reported before any other
    FOUND (nothing entitles the daemon to skip it), says FOUND: its
    decoder kept every byte."""
    lines = lines_of(raw) or []
    ok = True
    for ln in lines[:-1]:
        if ln.startswith(path + " "):
            ok = ln.endswith(" %s FOUND" % EICAR_SIG)
            break
        if ln.endswith(" FOUND"):
            break
    tap.ok(ok, label, raw[-3000:])


def test_variants(tap):
    """Every trick class: EICAR, zipped EICAR, and the clean twins."""
    for vname, fn in mimegen.VARIANTS.items():
        raw = mimescan(fn(EICAR, "eicar.com"))
        check_found(raw, "%s: EICAR attachment FOUND" % vname)
        check_part_found(raw, ATTACHMENT_PATH.get(vname, "2"), "%s: the attachment's own line FOUND" % vname)
        check_found(mimescan(fn(EICAR_ZIP, "eicar.zip")), "%s: zip of EICAR FOUND" % vname)
        check_clean(mimescan(fn(HARMLESS, "eicar.com")), "%s: harmless text of the same shape OK" % vname)
        check_clean(mimescan(fn(HARMLESS_ZIP, "eicar.zip")), "%s: zip of harmless text OK" % vname)


# --- plain: exact part lines for text + pdf-like + zip -------------------------
PDF_LIKE = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def three_parts(zip_payload, subject=b"three parts", msgid=None):
    return mimegen.multipart_message(
        [mimegen.text_part(), mimegen.attachment(PDF_LIKE, "report.pdf"),
         mimegen.attachment(zip_payload, "docs.zip")], subject=subject, msgid=msgid)


def test_plain(tap):
    """Plain: exact part lines for text + pdf-like + zip."""
    raw = mimescan(three_parts(HARMLESS_ZIP))
    lines = lines_of(raw)
    tap.ok(lines is not None and well_formed(lines) is None, "plain 3 parts: a well-formed reply", raw)
    tap.eq(sorted(part_lines(lines).values()),
           ['1 text/plain - OK', '1.lf text/plain - OK', '2 application/pdf "report.pdf" OK',
            '3 application/zip "docs.zip" OK'],
           "plain 3 parts: exact part lines (the CRLF text also as libclamav writes it)")
    tap.ok(lines is not None and "raw message/rfc822 - OK" in lines, "plain 3 parts: the raw reading has its line", raw)
    tap.eq(lines and lines[-1], "stream: OK", "plain 3 parts: final OK")
    tap.eq(len(lines or []), 6, "plain 3 parts: 3 parts + the text's .lf + raw + final, nothing else")

    raw = mimescan(three_parts(EICAR_ZIP))
    lines = lines_of(raw)
    pl = part_lines(lines)
    want = {"1": '1 text/plain - OK', "1.lf": '1.lf text/plain - OK', "2": '2 application/pdf "report.pdf" OK',
            "3": '3 application/zip "docs.zip" %s FOUND' % EICAR_SIG}
    tap.ok(lines is not None and well_formed(lines) is None, "plain 3 parts, zip infected: well-formed", raw)
    tap.ok(all(want.get(k) == v for k, v in pl.items()), "plain 3 parts, zip infected: no part line is wrong", raw)
    first_found = next((i for i, ln in enumerate(lines or []) if ln.endswith(" FOUND")), None)
    tap.ok("3" in pl or (first_found is not None and first_found < len(lines) - 1),
           "plain 3 parts, zip infected: part 3 FOUND (or skipped after an earlier FOUND)", raw)
    tap.eq(lines and lines[-1], FINAL_FOUND, "plain 3 parts, zip infected: final FOUND")


def test_nested(tap):
    """Nested message/rfc822: paths."""
    raw = mimescan(mimegen.nested_rfc822(HARMLESS_ZIP, "inner.zip"))
    pl = part_lines(lines_of(raw))
    tap.eq({k: pl.get(k) for k in ("1", "2.1.1", "2.1.2.1.1", "2.1.2.1.2")},
           {"1": "1 text/plain - OK", "2.1.1": "2.1.1 text/plain - OK",
            "2.1.2.1.1": "2.1.2.1.1 text/plain - OK",
            "2.1.2.1.2": '2.1.2.1.2 application/zip "inner.zip" OK'},
           "nested rfc822: leaf paths 1, 2.1.1, 2.1.2.1.1, 2.1.2.1.2")
    tap.ok(all(re.fullmatch(r"(?:1|2|2\.1|2\.1\.[12]|2\.1\.2\.1|2\.1\.2\.1\.[12])(?:\.lf)?", k) for k in pl),
           "nested rfc822: no path outside the tree (a text part's .lf reading aside)", raw)
    tap.ok(pl.get("2") is None or pl["2"].startswith("2 message/rfc822 "),
           "nested rfc822: a line for 2, if any, says message/rfc822", raw)
    found_at(mimegen.nested_rfc822(EICAR, "deep.com"),
             '2.1.2.1.2 application/octet-stream "deep.com" %s FOUND' % EICAR_SIG,
             "nested rfc822: EICAR found at 2.1.2.1.2")


def test_rfc2231(tap):
    """RFC 2231 names."""
    raw = mimescan(mimegen.rfc2231_name(HARMLESS_ZIP, "invoice_2024.zip"))
    pl = part_lines(lines_of(raw))
    tap.eq((pl.get("2"), pl.get("3")),
           ('2 application/zip "invoice_2024.zip" OK', '3 application/zip "invoice_2024.zip" OK'),
           "RFC 2231: filename*= and filename*0*/*1* continuations decoded")
    raw = mimescan(mimegen.rfc2231_name(HARMLESS, "r\u00e9sum\u00e9.txt"))
    pl = part_lines(lines_of(raw))
    tap.eq((pl.get("2"), pl.get("3")),
           ('2 text/plain "r\\303\\251sum\\303\\251.txt" OK', '3 text/plain "r\\303\\251sum\\303\\251.txt" OK'),
           "RFC 2231: UTF-8 name decoded, 8-bit bytes as \\ooo")
    found_at(mimegen.rfc2231_name(EICAR, "evil.com"),
             '2 application/octet-stream "evil.com" %s FOUND' % EICAR_SIG,
             "RFC 2231: the decoded name on the FOUND line")


def test_uuencode(tap):
    """uuencode inside text."""
    raw = mimescan(mimegen.uuencode_in_text(HARMLESS_ZIP, "notes.zip"))
    lines = lines_of(raw)
    pl = part_lines(lines)
    tap.eq((pl.get("1"), pl.get("2"), pl.get("2.uu1")),
           ("1 text/plain - OK", "2 text/plain - OK", '2.uu1 application/octet-stream "notes.zip" OK'),
           "uuencode: the file in text part 2 is 2.uu1 with its begin-line name")
    tap.eq(lines and lines[-1], "stream: OK", "uuencode, harmless: final OK")
    two = mimegen.multipart_message([mimegen.text_part(
        b"first:\r\n" + mimegen.uuencode(HARMLESS, "a.txt") + b"second:\r\n" + mimegen.uuencode(HARMLESS_ZIP, "b.zip"))])
    pl = part_lines(lines_of(mimescan(two)))
    tap.eq((pl.get("1.uu1"), pl.get("1.uu2")),
           ('1.uu1 application/octet-stream "a.txt" OK', '1.uu2 application/octet-stream "b.zip" OK'),
           "uuencode: two files in text part 1 are 1.uu1 and 1.uu2")
    raw = mimescan(mimegen.uuencode_in_text(EICAR, "uu.com"))
    lines = lines_of(raw)
    pl = part_lines(lines)
    tap.ok(lines is not None and lines[-1] == FINAL_FOUND
           and pl.get("2.uu1", '2.uu1 application/octet-stream "uu.com" %s FOUND' % EICAR_SIG)
           == '2.uu1 application/octet-stream "uu.com" %s FOUND' % EICAR_SIG,
           "uuencode, EICAR: final FOUND, 2.uu1 (when reported) FOUND under its name", raw)


def test_hostile_names(tap):
    """A hostile name is escaped."""
    hostile = b'q"uote\\back\nnl\xe9\xfc.txt'
    att = mimegen.part(mimegen.b64_lines(HARMLESS), [
        b"Content-Type: text/plain; name*=" + mimegen.rfc2231_encode(hostile),
        b"Content-Disposition: attachment; filename*=" + mimegen.rfc2231_encode(hostile),
        b"Content-Transfer-Encoding: base64"])
    att8 = mimegen.part(mimegen.b64_lines(HARMLESS), [
        b'Content-Type: application/octet-stream; name="caf\xe9\x01.bin"',
        b'Content-Disposition: attachment; filename="caf\xe9\x01.bin"',
        b"Content-Transfer-Encoding: base64"])
    spaced = mimegen.attachment(HARMLESS, "my file.txt")
    raw = mimescan(mimegen.multipart_message([mimegen.text_part(), att, att8, spaced]))
    lines = lines_of(raw)
    tap.ok(lines is not None and well_formed(lines) is None, "hostile names: every line well formed (no raw newline)", raw)
    tap.eq(part_lines(lines).get("2"), '2 text/plain "q\\042uote\\134back\\012nl\\351\\374.txt" OK',
           'hostile names: ", \\, newline and 8-bit bytes as \\ooo')
    # Raw 8-bit bytes in a header: kept as they are, or taken as Latin-1 and
    # converted to UTF-8; either way escaped, the control byte too.
    tap.ok(part_lines(lines).get("3") in ('3 application/octet-stream "caf\\351\\001.bin" OK',
                                          '3 application/octet-stream "caf\\303\\251\\001.bin" OK'),
           "hostile names: raw 8-bit and control bytes in a quoted name as \\ooo", raw)
    tap.eq(part_lines(lines).get("4"), '4 text/plain "my file.txt" OK',
           "names: a space is printable, left as it is")
    tap.eq(lines and lines[-1], "stream: OK", "hostile names: final OK")


def test_archives(tap):
    """ClamAV's test archives as attachments."""
    for f in ("clam.zip", "clam.7z", "clam.tar.gz", "clam.rar", "clam.cab", "clam.exe.bz2"):
        p = os.path.join(mxtest.TESTFILES, f)
        if not os.path.exists(p):
            tap.diag("%s not installed: skipped" % p)
            continue
        with open(p, "rb") as fh:
            data = fh.read()
        check_found(mimescan(mimegen.plain(data, f)), "testfiles: %s attached FOUND" % f, sig=CLAM_SIG)
        check_found(mimescan(mimegen.b64_junk(data, f)), "testfiles: %s attached with junk base64 FOUND" % f,
                    sig=CLAM_SIG)


def test_limits(tap):
    """Limits."""
    global lim, limit_error
    def limit_error(raw, label):
        lines = lines_of(raw)
        ok = (lines is not None and re.fullmatch(r"stream: .*limit.* ERROR", lines[-1]) is not None)
        tap.ok(ok, label, raw[-2000:])

    lim = mxtest.Daemon(db, options={"scand_mime_max_parts": "10", "scand_mime_max_depth": "3"})
    limit_error(mimescan(mimegen.many_parts(50), lim), "max_parts 10: 50 parts is an ERROR naming the limit")
    check_clean(mimescan(mimegen.many_parts(5), lim), "max_parts 10: 5 parts is OK")
    raw = mimescan(mimegen.many_parts(50, lambda i: EICAR if i == 40 else b"text %d\r\n" % i), lim)
    tap.ok(raw.endswith(b"\0") and not raw.endswith(b"stream: OK\0") and (b" ERROR\0" in raw or b" FOUND\0" in raw),
           "max_parts 10: EICAR in part 41 of 50 is never OK", raw[-2000:])
    limit_error(mimescan(mimegen.nested_levels(6, HARMLESS), lim),
                "max_depth 3: 6 nested message/rfc822 is an ERROR naming the limit")
    raw = mimescan(mimegen.nested_levels(6, EICAR), lim)
    tap.ok(raw.endswith(b"\0") and not raw.endswith(b"stream: OK\0"),
           "max_depth 3: 6 nested levels around EICAR never OK", raw[-2000:])
    check_clean(mimescan(mimegen.nested_levels(1, HARMLESS), lim), "max_depth 3: 1 nested level is OK")
    check_found(mimescan(mimegen.nested_levels(6, EICAR)), "default depth limit: EICAR 6 levels deep FOUND")
    limit_error(mimescan(mimegen.nested_levels(30, HARMLESS)), "default depth limit (20): 30 levels is an ERROR")
    limit_error(mimescan(mimegen.many_parts(1100)), "default part limit (1000): 1100 parts is an ERROR")


def test_idsession(tap):
    """IDSESSION."""
    s = mxtest.connect(mx.socket, 60)
    s.sendall(b"zIDSESSION\0zMIMESCAN\0" + instream_bytes(three_parts(HARMLESS_ZIP))
              + b"zMIMESCAN\0" + instream_bytes(mimegen.plain(EICAR, "eicar.com")) + b"zEND\0")
    raw = mxtest.recv_all(s)
    s.close()
    replies = {}
    for rep in raw.split(b"\0")[:-1]:
        ls = rep.decode("latin-1").split("\n")
        ids = {ln.split(": ", 1)[0] for ln in ls}
        replies[ids.pop() if len(ids) == 1 else "mixed"] = ls
    tap.eq(sorted(replies), ["1", "2"], "IDSESSION: two replies, every line of each prefixed by one id")
    r1 = [ln[3:] for ln in replies.get("1", [])]
    r2 = [ln[3:] for ln in replies.get("2", [])]
    tap.ok(r1[-1:] == ["stream: OK"] and well_formed(r1) is None and
           len([p for p in part_lines(r1) if not p.endswith(".lf")]) == 3,
           "IDSESSION: request 1 (clean, 3 parts) answered in full under 1:", raw)
    tap.ok(r2[-1:] == [FINAL_FOUND] and well_formed(r2) is None, "IDSESSION: request 2 FOUND under 2:", raw)
    tap.ok(raw.endswith(b"\0") and b"\0\0" not in raw, "IDSESSION: one \\0 per reply", raw)


def test_n_framing(tap):
    """n framing."""
    msg = three_parts(HARMLESS_ZIP)
    rz = mimescan(msg)
    rn = mimescan(msg, framing="n")
    tap.ok(rn.endswith(b"\n") and b"\0" not in rn, "n framing: reply ends with \\n, no \\0", rn)
    tap.eq(sorted((lines_of(rn, b"\n") or [])), sorted(lines_of(rz) or []), "n framing: the same lines as z")
    rn = mimescan(mimegen.plain(EICAR, "eicar.com"), framing="n")
    tap.ok(rn.endswith(("\n" + FINAL_FOUND + "\n").encode()), "n framing: final FOUND line", rn)


def test_mxscan_mime(tap):
    """mxscan --mime."""
    files = os.path.join(work, "files")
    os.makedirs(files)

    def mxscan_mime(path, sock):
        cmd = [mxtest.MXSCAN, "-c", "/dev/null", "-o", "scanner_endpoints=unix:" + sock, "--mime", path]
        return subprocess.run(cmd, capture_output=True, timeout=120)

    paths = {}
    for label, data in (("clean", three_parts(HARMLESS_ZIP)), ("dirty", three_parts(EICAR_ZIP)),
                        ("toomany", mimegen.many_parts(50))):
        paths[label] = os.path.join(files, label + ".eml")
        with open(paths[label], "wb") as fh:
            fh.write(data)
    r = mxscan_mime(paths["clean"], mx.socket)
    out = r.stdout.decode("latin-1")
    tap.ok(r.returncode == 0 and out.rstrip("\n").split("\n")[-1] == paths["clean"] + ": OK",
           "mxscan --mime: clean message, FILE: OK, exit 0", r.stdout + r.stderr)
    tap.ok(all(x in out for x in ('1 text/plain - OK', '2 application/pdf "report.pdf" OK',
                                  '3 application/zip "docs.zip" OK')),
           "mxscan --mime: prints the per-part lines", r.stdout)
    r = mxscan_mime(paths["dirty"], mx.socket)
    out = r.stdout.decode("latin-1")
    tap.ok(r.returncode == 1 and out.rstrip("\n").split("\n")[-1] == "%s: %s FOUND" % (paths["dirty"], EICAR_SIG),
           "mxscan --mime: infected message, FILE: SIG FOUND, exit 1", r.stdout + r.stderr)
    r = mxscan_mime(paths["toomany"], lim.socket)
    tap.ok(r.returncode == 2 and not r.stdout.decode("latin-1").rstrip("\n").endswith(": OK"),
           "mxscan --mime: over the part limit, exit 2 and not OK", r.stdout + r.stderr)
    r = mxscan_mime(os.path.join(files, "missing.eml"), mx.socket)
    tap.eq(r.returncode, 2, "mxscan --mime: a missing file is exit 2")


# --- the text libclamav's mail parser scans (the .lf reading) ---------------
# libclamav writes a text body line by line, each line ended by LF alone
# (common/mailtext.h); mail over SMTP has CRLF, and so have GMime's decoded
# bodies and the raw text.  Signatures: LF_A LF LF_B, LF_C LF LF LF_D, and
# LF_E LF SP LF LF_F (a line of blanks is written as one space).
LF_A, LF_B = b"mxscan-lf-marker-alpha", b"mxscan-lf-marker-omega"
LF_C, LF_D = b"mxscan-lf-marker-gamma", b"mxscan-lf-marker-delta"
LF_E, LF_F = b"mxscan-lf-marker-eta", b"mxscan-lf-marker-phi"
LF_SIG, LF2_SIG, LF3_SIG = "Mx-LF-Marker", "Mx-LF-Blank-Marker", "Mx-LF-Space-Marker"
# A signature libclamav matches only in a file its mail parser extracted.
MAIL_MARK, MAIL_SIG = b"mxscan-mail-container-marker", "Mx-Mail-Container"
# Signatures on the mail text as sent (headers): only the raw reading sees them.
RAW_MARKS, RAW_SIGS = (b"mxscan-raw-header-one", b"mxscan-raw-header-two"), ("Mx-Raw-One", "Mx-Raw-Two")


def text_message(body, cte="7bit", nl=b"\r\n"):
    """One text/plain part, BODY's lines ended by NL."""
    return (b"From: a@example.org\nTo: b@example.org\nSubject: lf\nMIME-Version: 1.0\n"
            b"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: %s\n\n%s\n"
            % (cte.encode(), body)).replace(b"\n", nl)


def multipart_message(body, cte="7bit"):
    """A text part (BODY, CTE) and a small attachment, all CRLF."""
    return (b"From: a@example.org\nTo: b@example.org\nSubject: lf\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"LF\"\n\n--LF\n"
            b"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: %s\n\n"
            b"%s\n--LF\nContent-Type: application/octet-stream; name=\"a.bin\"\n"
            b"Content-Transfer-Encoding: base64\n\nYXR0YWNobWVudA==\n--LF--\n"
            % (cte.encode(), body)).replace(b"\n", b"\r\n")


def verdict(raw):
    lines = lines_of(raw)
    return lines[-1] if lines else None


def test_lf_reading(tap):
    """Each message as INSTREAM (libclamav's full reading) answers it, and
    MIMESCAN the same, on CRLF mail whose raw reading is flat."""
    found = "stream: %s.UNOFFICIAL FOUND"
    cases = [
        ("text/plain 7bit", text_message(b"Hello\n%s\n%s\nbye" % (LF_A, LF_B)), found % LF_SIG, "1.lf"),
        ("multipart, quoted-printable text", multipart_message(b"Hi=20there\n%s\n%s" % (LF_A, LF_B),
                                                             "quoted-printable"), found % LF_SIG, "1.lf"),
        ("text/plain 8bit, a line of blanks", text_message(b"%s\n \t \n%s" % (LF_E, LF_F), "8bit"),
         found % LF3_SIG, "1.lf"),
        ("multipart, repeated empty lines dropped", multipart_message(b"%s\n\n\n\n%s" % (LF_C, LF_D)),
         found % LF2_SIG, "1.lf"),
        # the clean twins: what libclamav reads clean, MIMESCAN reads clean
        ("text/plain, another line between", text_message(b"%s\nX\n%s" % (LF_A, LF_B)), "stream: OK", None),
        ("text/plain, repeated empty lines kept", text_message(b"%s\n\n\n%s" % (LF_C, LF_D)),
         "stream: OK", None),
        ("text/plain, a line of blanks is no empty line", text_message(b"%s\n \t\n%s" % (LF_C, LF_D)),
         "stream: OK", None),
    ]
    for label, msg, want, path in cases:
        ref, got = verdict(mx.request(b"zINSTREAM\0" + instream_bytes(msg), 60.0)), mimescan(msg)
        lines = lines_of(got) or []
        tap.eq((ref, verdict(got)), (want, want), "%s: INSTREAM and MIMESCAN both %s" % (label, want))
        if path is not None:
            tap.ok(any(ln.startswith(path + " text/plain - ") and ln.endswith(" FOUND") for ln in lines),
                   "%s: found in the %s reading" % (label, path), got)
        else:
            tap.ok(well_formed(lines) is None and any(ln.startswith("1.lf ") for ln in lines),
                   "%s: the .lf reading ran, its line well formed" % label, got)
    # Nothing to read again where the body has LF line ends already.
    lines = lines_of(mimescan(text_message(b"%s\n%s" % (LF_A, LF_B), nl=b"\n"))) or []
    tap.ok(lines[-1:] == [found % LF_SIG] and not any(".lf " in ln for ln in lines),
           "an LF message: FOUND in its part, no .lf reading", lines)


def test_raw_reading_full(tap):
    """A Container:CL_TYPE_MAIL signature matches only in what libclamav's
    mail parser extracted: INSTREAM finds it; MIMESCAN's flat raw pass
    cannot (mxscand(8): what auto can miss), scand_mime_raw_reading =
    full finds it."""
    payload = base64.encodebytes(b"attachment " + MAIL_MARK + b" body").replace(b"\n", b"\r\n")
    msg = (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: c\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\n--BB\r\nContent-Type: text/plain\r\n"
           b"\r\nhello\r\n--BB\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n%s--BB--\r\n" % payload)
    want = "stream: %s.UNOFFICIAL FOUND" % MAIL_SIG
    tap.eq(verdict(mx.request(b"zINSTREAM\0" + instream_bytes(msg), 60.0)), want,
           "Container:CL_TYPE_MAIL: INSTREAM FOUND")
    raw = mimescan(msg)
    tap.ok(verdict(raw) == "stream: OK" and "raw message/rfc822 - OK" in (lines_of(raw) or []),
           "Container:CL_TYPE_MAIL: MIMESCAN auto, flat raw pass: OK (the documented limit)", raw)
    # MIMEFACTS takes the same decision: its raw reading adds matches only.
    raw = mimefacts(msg)
    tap.ok(verdict(raw) == "stream: OK" and "raw message/rfc822 - OK" in (lines_of(raw) or []),
           "Container:CL_TYPE_MAIL: MIMEFACTS auto, flat raw pass as MIMESCAN's: OK", raw)
    full = mxtest.Daemon(db, options={"scand_mime_raw_reading": "full"})
    raw = mimescan(msg, daemon=full)
    tap.ok(verdict(raw) == want and "raw message/rfc822 - %s.UNOFFICIAL FOUND" % MAIL_SIG in lines_of(raw),
           "Container:CL_TYPE_MAIL: scand_mime_raw_reading = full: FOUND by the raw reading", raw)
    raw = mimefacts(msg, daemon=full)
    tap.ok(verdict(raw) == want and "raw message/rfc822 - %s.UNOFFICIAL FOUND" % MAIL_SIG in lines_of(raw),
           "Container:CL_TYPE_MAIL: MIMEFACTS, scand_mime_raw_reading = full: FOUND by the raw reading", raw)
    full.stop()


# Signatures written on the base64 text of an attachment as sent: one on
# its third encoded line (the file header, in the flat pass's head), one on
# its 201st (about 15 KB into the encoded text, past the default 8k head).
B64_HEAD_ATT, B64_DEEP_ATT = random.Random(1).randbytes(20000), random.Random(2).randbytes(20000)
B64_HEAD_SIG, B64_DEEP_SIG = "Mx-B64-Head", "Mx-B64-Deep"


def b64_line(data, n):
    """40 characters of line N of DATA's base64 text as mail carries it."""
    return base64.encodebytes(data).split(b"\n")[n][10:50]


def test_flat_base64_head(tap):
    """The flat raw pass matches the head of each base64 body whose decoded
    bytes were scanned (scand_mime_flat_base64_head, default 8k), not the
    rest of its encoded text: a signature on an attachment's base64 header
    is FOUND as INSTREAM finds it; one deep in the encoded text is what
    auto gives up (mxscand(8)), FOUND again with the head set to the
    whole body.  Without the cut auto would find the deep one; with
    nothing kept it would miss the head one."""
    def msg(att):
        return mimegen.multipart_message([mimegen.text_part(b"see attached\r\n"),
                                          mimegen.attachment(att, "a.bin")])
    head, deep = msg(B64_HEAD_ATT), msg(B64_DEEP_ATT)
    want_head, want_deep = ("stream: %s.UNOFFICIAL FOUND" % s for s in (B64_HEAD_SIG, B64_DEEP_SIG))
    tap.eq([verdict(mx.request(b"zINSTREAM\0" + instream_bytes(m), 60.0)) for m in (head, deep)],
           [want_head, want_deep], "base64 text signatures: INSTREAM finds both (the reference)")
    raw = mimescan(head)
    tap.ok(verdict(raw) == want_head and
           "raw message/rfc822 - %s.UNOFFICIAL FOUND" % B64_HEAD_SIG in (lines_of(raw) or []),
           "base64 header signature: FOUND by the flat pass (auto)", raw)
    raw = mimefacts(head)
    tap.ok(verdict(raw) == want_head, "base64 header signature: MIMEFACTS FOUND too", raw)
    raw = mimescan(deep)
    tap.ok(verdict(raw) == "stream: OK" and "raw message/rfc822 - OK" in (lines_of(raw) or []),
           "base64 text 15 KB deep: OK under auto (the documented limit)", raw)
    whole = mxtest.Daemon(db, options={"scand_mime_flat_base64_head": "4294967295"})
    raw = mimescan(deep, daemon=whole)
    tap.ok(verdict(raw) == want_deep and
           "raw message/rfc822 - %s.UNOFFICIAL FOUND" % B64_DEEP_SIG in (lines_of(raw) or []),
           "base64 text 15 KB deep: FOUND with scand_mime_flat_base64_head = 4294967295", raw)
    whole.stop()
    none = mxtest.Daemon(db, options={"scand_mime_flat_base64_head": "0"})
    raw = mimescan(head, daemon=none)
    tap.ok(verdict(raw) == "stream: OK", "scand_mime_flat_base64_head = 0: the header signature is "
           "not read either (the option is what decides)", raw)
    none.stop()


def test_facts_flat_pass(tap):
    """MIMEFACTS's flat raw pass reports every match of the text as sent,
    as its full reading would: two signatures in the headers of a
    well-formed message, one on the raw line, the other as a SIG line."""
    msg = (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: c\r\nX-One: %s\r\n"
           b"X-Two: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
           % RAW_MARKS)
    one, two = ["%s.UNOFFICIAL" % s for s in RAW_SIGS]
    lines = lines_of(mimefacts(msg)) or []
    got = sorted(ln for ln in lines if ln.startswith("raw "))
    tap.ok(got in (["raw SIG %s" % two, "raw message/rfc822 - %s FOUND" % one],
                   ["raw SIG %s" % one, "raw message/rfc822 - %s FOUND" % two]) and
           lines[-1] in ("stream: %s FOUND" % one, "stream: %s FOUND" % two),
           "MIMEFACTS, flat raw pass: both header signatures, on the raw line and a SIG line", lines)
    lines = lines_of(mimefacts(msg.replace(b"-header-", b"-heaper-"))) or []
    tap.ok([ln for ln in lines if ln.startswith("raw ")] == ["raw message/rfc822 - OK"] and
           lines[-1:] == ["stream: OK"], "the clean twin: OK, nothing on the raw line", lines)


def test_storm(tap):
    """Storm: one infected attachment in 300 different messages."""
    global i
    hits0 = int(mx.health().get("cache_hits", "0"))
    storm_ok = 0
    bad = None
    for i in range(300):
        # Only the attachment repeats: the text differs too, so the hits are its.
        m = mimegen.multipart_message([mimegen.text_part(b"Your invoice number %d.\r\n" % i),
                                       mimegen.attachment(EICAR_ZIP, "invoice.zip")],
                                      subject=b"Invoice %d" % i, msgid="storm-%d@example.org" % i)
        raw = mimescan(m)
        if raw.endswith(("\n" + FINAL_FOUND + "\0").encode()):
            storm_ok += 1
        elif bad is None:
            bad = raw
    tap.eq(storm_ok, 300, "storm: all 300 messages FOUND")
    if bad is not None:
        tap.diag(bad[-1000:])
    hits = int(mx.health().get("cache_hits", "0")) - hits0
    tap.diag("storm: cache_hits grew by %d" % hits)
    tap.ok(hits >= 290, "storm: cache_hits grew by at least 290", "grew by %d" % hits)


def test_storm_without_scan_thread(tap):
    """A storm's copy is answered by the thread that received it: while a
    long scan holds the only scan thread, a copy of an attachment known
    infected is answered before that scan ends (its log line first); with
    scand_storm_memory = 0 the same copy waits for the scan thread."""
    worm = mimegen.zip_of("worm.com", EICAR + b"\nheld-thread storm\n")

    def copy(i):
        return mimegen.multipart_message([mimegen.text_part(b"Copy %d of the storm.\r\n" % i),
                                          mimegen.attachment(worm, "worm.zip")],
                                         subject=b"Storm %d" % i, msgid="held-%d@example.org" % i)

    def order(d):
        """'copy' or 'hog': whose request line the log shows first."""
        for line in d.logtext().splitlines():
            if "req=" in line and "cmd=INSTREAM" in line:
                return "hog"
            if "req=" in line and "cmd=MIMESCAN" in line and "cache=storm" in line:
                return "copy"
        return None

    def fresh(memory):
        """A daemon with one scan thread whose first copy is read in full; and its reply."""
        d = mxtest.Daemon(db, options={"scand_threads": "1", "scand_storm_memory": memory,
                                       "scand_stream_max_length": "200m", "scand_max_files": "400000"})
        return d, mimescan(copy(0), daemon=d)

    for label, memory, want in (("on", "64m", "copy"), ("off", "0", "hog")):
        d, first = fresh(memory)
        check_found(first, "held thread, %s: the first copy is FOUND (read in full)" % label)
        n = 20000
        while True:
            hog = mimegen.member_zip(n, b"nothing to see here")
            hog_reply = []
            th = threading.Thread(target=lambda: hog_reply.append(
                mxtest.request(d.socket, b"zINSTREAM\0" + instream_bytes(hog), timeout=300)))
            th.start()
            held = d.wait_health(lambda h: h.get("threads_busy") == "1", 30)
            raw = mimescan(copy(n), daemon=d, timeout=300)
            th.join(300)
            first_logged = order(d)
            # A scan that ended before the copy arrived proves nothing: a longer one.
            if first_logged == want or label == "off" or n >= 320000:
                break
            d.stop()
            d, _ = fresh(memory)
            n *= 2
        tap.ok(held is not None, "held thread, %s: the long scan holds the only scan thread" % label)
        tap.ok(raw.startswith(('2 application/zip "worm.zip" %s FOUND\n' % EICAR_SIG).encode())
               and raw.endswith(("\n" + FINAL_FOUND + "\0").encode()),
               "held thread, %s: the copy is FOUND, its part named as the full walk names it" % label,
               raw[-300:])
        tap.eq(hog_reply, [b"stream: OK\0"], "held thread, %s: the long scan ends OK" % label)
        tap.eq(first_logged, want, "held thread, %s: %s" % (label, {
            "copy": "the copy is answered while the scan thread is busy (logged first)",
            "hog": "the copy waits for the scan thread (logged after the long scan)"}[want]))
        tap.eq(d.stop(), 0, "held thread, %s: mxscand stops cleanly" % label)


def test_prepass(tap):
    """Storm pre-pass: known infected attachments decided before parsing."""
    def storm_lines():
        return sum(1 for l in mx.logtext().splitlines() if "cmd=MIMESCAN" in l and "cache=storm" in l)

    tap.ok(storm_lines() >= 290, "storm: later copies decided by the pre-pass (cache=storm in the log)",
           "%d storm lines" % storm_lines())
    first = mimescan(mimegen.multipart_message([mimegen.text_part(b"x\r\n"),
                                                mimegen.attachment(EICAR_ZIP, "invoice.zip")]))
    tap.eq(first.split(b"\n")[0], ("2 application/zip \"invoice.zip\" %s FOUND" % EICAR_SIG).encode(),
           "pre-pass: the part line names path, type and file name as the full walk does")
    att = mimegen.attachment(EICAR_ZIP, "invoice.zip")
    txt = mimegen.text_part(b"Please find the invoice attached.\r\n")
    variants = [
        ("token boundary, no preamble", mimegen.multipart_message(
            [txt, att], boundary=b"plainTOKEN42", preamble=b"",
            ct_header=b"Content-Type: multipart/mixed; boundary=plainTOKEN42"), "2"),
        ("attachment first", mimegen.multipart_message([att, txt]), "1"),
        ("transport padding after the delimiters", mimegen.multipart_message(
            [txt, att], open_with=b"=_mimegen_b0und_1 \t", close_with=b"=_mimegen_b0und_1"), "2"),
        ("no close delimiter", mimegen.multipart_message([txt, att, txt], close=False), "2"),
        ("folded Content-Type, upper-case BASE64", mimegen.multipart_message(
            [txt, att.replace(b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: BASE64")],
            ct_header=b'Content-Type: multipart/mixed;\r\n\tboundary="=_mimegen_b0und_1"'), "2"),
    ]
    for vname, m, path in variants:
        before = storm_lines()
        raw = mimescan(m)
        tap.ok(raw.endswith(("\n" + FINAL_FOUND + "\0").encode()) and
               raw.startswith(("%s application/zip \"invoice.zip\" %s FOUND\n" % (path, EICAR_SIG)).encode()),
               "pre-pass, %s: FOUND at part %s" % (vname, path), raw[-300:])
        tap.eq(storm_lines(), before + 1, "pre-pass, %s: decided unparsed" % vname)
    # LF-only line ends: the first copy is read in full (its encoded text is
    # new; its decoded bytes are known), the next is decided by the pre-pass.
    lf = mimegen.multipart_message([txt, att]).replace(b"\r\n", b"\n")
    mimescan(lf)
    before = storm_lines()
    raw = mimescan(lf.replace(b"Please find", b"Please see"))
    tap.ok(raw.endswith(("\n" + FINAL_FOUND + "\0").encode()) and storm_lines() == before + 1,
           "pre-pass, LF-only line ends: the second copy decided unparsed", raw[-300:])
    # The pre-pass never decides clean: a known clean attachment beside an
    # infected text part, and a message it does not follow, go the full way.
    clean_att = mimegen.attachment(HARMLESS_ZIP, "notes.zip")
    mimescan(mimegen.multipart_message([txt, clean_att]))
    before = storm_lines()
    raw = mimescan(mimegen.multipart_message([mimegen.text_part(EICAR + b"\r\n"), clean_att]))
    tap.ok(raw.endswith(("\n" + FINAL_FOUND + "\0").encode()) and b"\n1 text/plain - " in b"\n" + raw,
           "pre-pass: a cached clean attachment does not decide; the infected text part is FOUND", raw[-300:])
    dup = mimegen.multipart_message([txt, att], ct_header=b'Content-Type: multipart/mixed; boundary="=_mimegen_b0und_1"'
                                    b'\r\nContent-Type: text/plain')
    raw = mimescan(dup)
    tap.ok(raw.endswith(("\n" + FINAL_FOUND + "\0").encode()), "duplicate Content-Type: still FOUND", raw[-300:])
    tap.eq(storm_lines(), before, "pre-pass: neither message was decided by it")
    # A delimiter-like line that is not one ("--<boundary>X") does not end a part.
    fake = mimegen.multipart_message([mimegen.text_part(b"--=_mimegen_b0und_1X not a delimiter\r\n"), att])
    raw = mimescan(fake)
    tap.ok(raw.startswith(("2 application/zip \"invoice.zip\" %s FOUND\n" % EICAR_SIG).encode()),
           "pre-pass: a line that only starts like the delimiter is not one", raw[-300:])

    # An attached message (message/rfc822) with an empty body: GMime gives its
    # one part no data at all.  Read as empty, OK, and the daemon goes on (a
    # null pointer offset in the uuencode reading here aborted the clang
    # UBSan build).
    for label, inner in (("empty body", b""), ("headers only", b"Subject: nothing\r\n\r\n")):
        raw = mimescan(mimegen.multipart_message([mimegen.text_part(), mimegen.rfc822_part(inner)]))
        check_clean(raw, "message/rfc822 with an %s: OK" % label if label == "empty body" else
                    "message/rfc822 with %s: OK" % label)
    raw = mimescan(mimegen.multipart_message([mimegen.rfc822_part(b""), mimegen.attachment(EICAR, "e.com")]))
    check_found(raw, "an empty attached message beside EICAR: FOUND")

    # Files uuencoded in a text part count as parts: endless "begin" blocks end
    # in the part limit's ERROR, not in a reply too long for any client.
    blocks = b"".join(mimegen.uuencode(b"x", "n%04d-%s" % (i, "y" * 200)) for i in range(3000))
    raw = mimescan(mimegen.multipart_message([mimegen.text_part(blocks)]))
    limit_error(raw, "3000 uuencoded files in one text part")
    tap.ok(len(raw) < 1 << 20, "their reply stays under 1 MiB (%d bytes)" % len(raw))

    for d in (mx, lim):
        d.stop()
    mxtest.rmtree(work)


if __name__ == "__main__":
    mxtest.run(globals())
