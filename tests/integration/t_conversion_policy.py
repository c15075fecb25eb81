#!/usr/bin/env python3
"""t_conversion_policy - the mail policy (common/policy) in
mxscan-conversion, driven through the conversion-channel emulator
(tests/conversion_emulator.py) against a real mxscand.

Shows:
 (a) no policy set: behaviour unchanged (a part named invoice.pdf.exe
     and an executable are copied byte for byte, EICAR gets the
     substitute notice of before, and the request is FILDES, not
     PARTFACTS, in mxscand's log);
 (b) a part named invoice.pdf.exe banned by banned_names gets each
     configured action (the channel's substitute, delete, hold, discard,
     bounce, and tag), and the notice, the description, the bounce
     diagnostic and the log line name the label and the rule; names in
     the forms the channel passes them (FILENAME or NAME only, RFC 2231
     with a right-to-left override, RFC 2047 encoded words, trailing
     dots) are caught, their clean twins pass;
 (c) an executable (clamav-testfiles' clam.exe, which the database here
     does not detect) renamed .pdf is caught by banned_types as
     Banned.Type.PE, and inside a zip as an archive member;
 (d) an ignored signature (signature_rules ... ignore) passes byte for
     byte; a tagged heuristic rule beside a real detection: the real one
     decides; banned_encrypted judges an encrypted zip;
 (e) a clean part with a clean name passes byte for byte with the policy
     set, and a scanner without PARTFACTS (a stock clamd) means retry.
"""
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, ".."))

import mimegen  # noqa: E402
import mxtest  # noqa: E402
from mxtest import EICAR, Daemon, Tap, make_test_db, tmpdir  # noqa: E402
import conversion_emulator as ce  # noqa: E402

CONV = os.path.join(mxtest.BUILDDIR, "wrappers", "conversion", "mxscan-conversion")
CLAM_EXE = os.path.join(mxtest.TESTFILES, "clam.exe")
SEVENZ = shutil.which("7z")
SIG = "Eicar-Test-Signature.UNOFFICIAL"  # libclamav's name for a signature of test.ndb
PDF_BODY = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"
TEXT_PART = {"type": "text/plain; charset=us-ascii", "cte": "7bit",
             "body": b"Hello,\n\nplease find the files attached.\n"}
# The policy notice outputs.c writes, one regex per line.
POLICY_NOTICE = [
    r"This part of the message was removed by the mail policy\.",
    r"",
    r"  File:    [\x20-\x7e]*",
    r"  Type:    [\x20-\x7e]*",
    r"  Reason:  [\x20-\x7e]*",
    r"  Rule:    [\x20-\x7e]*",
    r"  Scanned: [\x20-\x7e]* by mxscan-conversion on [\x20-\x7e]*",
    r"",
    r"The rest of the message was delivered unchanged\.",
]

tap = Tap()


def conf(name, **opts):
    path = os.path.join(WORK, name + ".conf")
    with open(path, "w") as f:
        f.write("scanner_endpoints = unix:%s\n" % SCAND.socket)
        for k, v in opts.items():
            f.write("%s = %s\n" % (k, v))
    return path


def command(path):
    return [CONV, "-c", path, "--log-stderr"]


def message(body, name, ctype="application/octet-stream", msgid="<policy@example.com>"):
    """text part, a clean PDF, then the attachment under test (part 3)."""
    leaves = [mimegen.leaf(TEXT_PART["body"], TEXT_PART["type"], cte="7bit"),
              mimegen.leaf(PDF_BODY, "application/pdf", name="report.pdf",
                           filename="report.pdf", cte="base64"),
              mimegen.leaf(body, ctype, name=name, filename=name, cte="base64")]
    return mimegen.lf(mimegen.multipart_message(
        leaves, boundary="=_mxtest_policy_7",
        headers=["From: Sender <sender@example.com>", "To: rcpt@example.com",
                 "Subject: policy", "Message-ID: " + msgid, "MIME-Version: 1.0"]))


def notice_lines(text):
    try:
        s = text.decode("ascii")
    except (UnicodeDecodeError, AttributeError):
        return False
    lines = s.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return (len(lines) == len(POLICY_NOTICE)
            and all(re.fullmatch(rx, ln) for rx, ln in zip(POLICY_NOTICE, lines)))


def log_line(pr):
    """mxscan-conversion's one log line (--log-stderr)."""
    lines = [ln for ln in pr.stderr.decode("ascii", "replace").splitlines() if "msgid=" in ln]
    return lines[-1] if lines else ""


def scand_commands(before=0, want=0):
    """The cmd= of the requests in mxscand's log after the first BEFORE,
    waiting (up to 30 s) until there are WANT of them: the daemon logs a
    request after its reply, so the last line may still be coming."""
    deadline = time.monotonic() + 30
    while True:
        cmds = re.findall(r" cmd=(\S+) ", SCAND.logtext())[before:]
        if len(cmds) >= want or time.monotonic() > deadline:
            return cmds
        time.sleep(0.05)  # poll the log for the line; not a timing margin


def zip_of(name, data):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return b.getvalue()


# --- the tests ------------------------------------------------------------

def test_no_policy(tap):
    """(a) without a policy setting nothing changes."""
    c = conf("none")
    before = len(scand_commands())
    raw = message(PDF_BODY, "invoice.pdf.exe")
    res = ce.convert_message(raw, command(c), timeout=60)
    tap.ok(res.disposition == "deliver" and res.message == raw,
           "(a) no policy: invoice.pdf.exe (clean bytes) delivered byte for byte",
           [p.summary() for p in res.parts])
    raw = message(EXE, "report.pdf", "application/pdf")
    res = ce.convert_message(raw, command(c), timeout=60)
    tap.ok(res.disposition == "deliver" and res.message == raw,
           "(a) no policy: an executable renamed .pdf delivered byte for byte",
           [p.summary() for p in res.parts])
    res = ce.convert_message(message(EICAR, "eicar.com"), command(c), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    out = vp.output or b""
    tap.ok(res.disposition == "deliver" and out.startswith(
        b"This part of the message was removed because it contains a virus.\n")
           and b"  Virus:   " + SIG.encode() + b"\n" in out and b"Rule:" not in out
           and vp.options.get("OUTPUT_DESCRIPTION") == "Virus removed: " + SIG,
           "(a) no policy: EICAR gets the virus notice of before", out)
    tap.ok("policy=" not in log_line(vp), "(a) no policy: no policy= in the log line",
           log_line(vp))
    cmds = scand_commands(before, 9)
    tap.ok(len(cmds) == 9 and set(cmds) == {"FILDES"},
           "(a) no policy: every part went as FILDES (no PARTFACTS)", cmds)


def test_banned_name_actions(tap):
    """(b) invoice.pdf.exe by banned_names under every action."""
    raw = message(PDF_BODY, "invoice.pdf.exe")
    orig = ce.leaf_bodies(raw)
    rule = "banned_names *.exe"
    before = len(scand_commands())
    # banned_action = infected (the default): conversion_infected_action.
    c = conf("ban-default", banned_names="exe js")
    res = ce.convert_message(raw, command(c), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    out = vp.output or b""
    tap.ok(res.disposition == "deliver" and vp.action == "converted" and notice_lines(out)
           and b"  Reason:  Banned.Name.exe\n" in out and b"  Rule:    " + rule.encode() in out
           and b"  File:    invoice.pdf.exe\n" in out,
           "(b) default (substitute): the part is replaced by a notice naming "
           "Banned.Name.exe and the rule", out)
    tap.eq((vp.options.get("OUTPUT_TYPE"), vp.options.get("OUTPUT_DESCRIPTION")),
           ("text", "Removed by policy: Banned.Name.exe"), "(b) substitute: relabelled, "
           "the description names the label")
    leaves = ce.leaf_bodies(res.message or b"")
    tap.ok(len(leaves) == 3 and leaves[:2] == orig[:2] and leaves[2][2] == out,
           "(b) substitute: the other parts are untouched")
    line = log_line(vp)
    tap.ok('verdict=FOUND sig="Banned.Name.exe" action="substituted"' in line and
           'policy="Banned.Name.exe in part 1 (banned_names *.exe: strip)"' in line,
           "(b) the log line names the label, the rule and the action", line)
    cmds = scand_commands(before, 3)
    tap.ok(cmds == ["PARTFACTS"] * 3, "(b) with a policy every part goes as PARTFACTS", cmds)

    expect = [
        ({"banned_action": "quarantine"}, ce.FORCEHOLD, "hold"),
        ({"banned_action": "discard"}, ce.FORCEDISCARD, "discard"),
        ({"banned_action": "reject"}, ce.FORCERETURN, "bounce"),
        ({"conversion_infected_action": "hold"}, ce.FORCEHOLD, "hold"),
        ({"conversion_infected_action": "delete"}, ce.FORCEDELETE, "deliver"),
        ({"banned_action": "strip", "conversion_infected_action": "delete"}, ce.FORCEDELETE,
         "deliver"),
    ]
    for opts, status, disp in expect:
        what = " ".join("%s=%s" % kv for kv in opts.items())
        c = conf("ban-" + "-".join(opts.values()), banned_names="exe", **opts)
        res = ce.convert_message(raw, command(c), timeout=60)
        vp = res.parts[-1] if res.parts else ce.PartResult()
        tap.eq((vp.exit_code, vp.status, res.disposition), (0, status, disp),
               "(b) %s: STATUS=%d, message %s" % (what, status, disp))
        if disp == "bounce":
            tap.eq(vp.options.get("OUTPUT_DIAGNOSTIC"), "Refused by policy: Banned.Name.exe",
                   "(b) reject: the bounce diagnostic names the label")
        if status == ce.FORCEDELETE:
            tap.eq(ce.leaf_bodies(res.message or b""), orig[:2],
                   "(b) %s: only the banned part is gone" % what)
    c = conf("ban-tag", banned_names="exe", banned_action="tag")
    res = ce.convert_message(raw, command(c), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    tap.ok(res.disposition == "deliver" and vp.output_equals_input and "STATUS" not in vp.options
           and vp.options.get("OUTPUT_DESCRIPTION") ==
           "Tagged by policy: Banned.Name.exe, banned_names *.exe"
           and ce.leaf_bodies(res.message or b"") == orig,
           "(b) banned_action = tag: the part is delivered unchanged, its description "
           "names the label and the rule", vp.options)


def test_names(tap):
    """(b) the names as the channel passes them: one part at a time."""
    c = conf("names", banned_names="exe scr")
    cases = [
        # (what, environment, banned label or None)
        ("FILENAME only", {"FILENAME": "invoice.pdf.exe"}, "Banned.Name.exe"),
        ("NAME only", {"NAME": "invoice.pdf.exe"}, "Banned.Name.exe"),
        ("NAME banned, FILENAME clean", {"FILENAME": "invoice.pdf", "NAME": "invoice.exe"},
         "Banned.Name.exe"),
        ("upper case", {"FILENAME": "INVOICE.PDF.EXE"}, "Banned.Name.exe"),
        ("trailing dots and spaces", {"FILENAME": "invoice.exe. . "}, "Banned.Name.exe"),
        ("right-to-left override (RFC 2231 decoded by the channel)",
         {"FILENAME": "invoice\u202efdp.exe"}, "Banned.Name.exe"),
        ("RFC 2047 B word", {"NAME": "=?utf-8?B?aW52b2ljZS5wZGYuZXhl?="}, "Banned.Name.exe"),
        ("RFC 2047 Q words with a blank between",
         {"FILENAME": "=?iso-8859-1?Q?rechnung=E4?= =?iso-8859-1?Q?=2Escr?="},
         "Banned.Name.scr"),
        ("a directory part", {"FILENAME": "..\\docs\\invoice.exe"}, "Banned.Name.exe"),
        ("clean twin: FILENAME", {"FILENAME": "invoice.pdf"}, None),
        ("clean twin: exe in the middle", {"FILENAME": "invoice.exe.pdf"}, None),
        ("clean twin: RFC 2047 word", {"NAME": "=?utf-8?B?aW52b2ljZS5wZGY=?="}, None),
        ("clean twin: right-to-left override",
         {"FILENAME": "invoice\u202eexe.pdf"}, None),
        ("clean twin: no name", {}, None),
    ]
    bad = []
    for what, env, label in cases:
        pr = ce.run_part(command(c), PDF_BODY, env=env, timeout=60)
        line = log_line(pr)
        if label is None:
            ok = (pr.exit_code == 0 and pr.output_equals_input and pr.options_raw is None
                  and 'policy="nothing found"' in line)
        else:
            ok = (pr.exit_code == 0 and notice_lines(pr.output)
                  and ("  Reason:  %s\n" % label).encode() in (pr.output or b"")
                  and 'sig="%s"' % label in line)
        if not ok:
            bad.append("%s: %s | %s | %r" % (what, pr.summary(), line, pr.output))
    tap.ok(not bad, "(b) %d names as the channel passes them: %d banned found, each clean "
           "twin passes" % (len(cases), sum(1 for c_ in cases if c_[2])), "\n".join(bad))


def test_true_types(tap):
    """(c) an executable renamed .pdf, and one inside a zip."""
    c = conf("types", banned_types="PE ELF")
    raw = message(EXE, "report.pdf", "application/pdf")
    res = ce.convert_message(raw, command(c), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    out = vp.output or b""
    tap.ok(res.disposition == "deliver" and notice_lines(out)
           and b"  Reason:  Banned.Type.PE\n" in out and b"  Rule:    banned_types PE\n" in out
           and EXE not in (res.message or b""),
           "(c) clam.exe renamed report.pdf: Banned.Type.PE by banned_types PE, substituted",
           out)
    tap.ok(res.parts[0].output_equals_input and res.parts[1].output_equals_input,
           "(c) the text part and the real PDF pass byte for byte",
           [p.summary() for p in res.parts])
    raw = message(zip_of("setup.exe", EXE), "docs.zip", "application/zip")
    res = ce.convert_message(raw, command(conf("types-zip", banned_types="PE",
                                                banned_action="quarantine")), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    line = log_line(vp)
    tap.ok(res.disposition == "hold" and vp.status == ce.FORCEHOLD and
           "banned_types PE in an archive: quarantine" in line,
           "(c) clam.exe inside a zip: an archive member of type PE, message held", line)
    res = ce.convert_message(raw, command(conf("types-zip-off", banned_types="PE",
                                                banned_in_archives="no")), timeout=60)
    tap.ok(res.disposition == "deliver" and res.message == raw,
           "(c) the same with banned_in_archives = no: delivered byte for byte",
           [p.summary() for p in res.parts])


def test_signatures(tap):
    """(d) signature rules and banned_encrypted on the part's hits."""
    raw = message(EICAR, "eicar.com")
    c = conf("ignore", signature_rules="/^Eicar-Test-Signature/ ignore")
    res = ce.convert_message(raw, command(c), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    line = log_line(vp)
    tap.ok(res.disposition == "deliver" and res.message == raw and vp.options_raw is None,
           "(d) an ignored signature passes: EICAR delivered byte for byte",
           [p.summary() for p in res.parts])
    tap.ok('verdict=FOUND sig="%s" action="copied"' % SIG in line and
           'policy="every hit passed by its rule"' in line,
           "(d) ignored: the log line keeps the signature and says why it passed", line)
    c = conf("rule-hold", signature_rules="/^Eicar-/ quarantine")
    res = ce.convert_message(raw, command(c), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    tap.ok(res.disposition == "hold" and
           "signature_rules[1] /^Eicar-/: quarantine" in log_line(vp),
           "(d) a signature rule's action (quarantine: hold) and the rule in the log line",
           log_line(vp))
    c = conf("rule-sig", banned_names="exe")
    res = ce.convert_message(raw, command(c), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    out = vp.output or b""
    tap.ok(res.disposition == "deliver" and out.startswith(
        b"This part of the message was removed because it contains a virus.\n")
           and vp.options.get("OUTPUT_DESCRIPTION") == "Virus removed: " + SIG,
           "(d) a policy without a rule for it: EICAR gets the virus notice", out)
    if SEVENZ is None:
        tap.skip("encrypted zip: 7z (p7zip-full) not installed")
        return
    src = os.path.join(WORK, "enc-src")
    os.mkdir(src)
    with open(os.path.join(src, "report.txt"), "wb") as f:
        f.write(b"quarterly figures\n" * 20)
    subprocess.run([SEVENZ, "a", "-bd", "-bso0", "-ps3cret", "-tzip",
                    os.path.join(WORK, "secret.zip"), "report.txt"], cwd=src, check=True)
    with open(os.path.join(WORK, "secret.zip"), "rb") as f:
        enc = f.read()
    raw = message(enc, "secret.zip", "application/zip")
    res = ce.convert_message(raw, command(conf("enc-tag", banned_names="exe")), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    tap.ok(res.disposition == "deliver" and vp.output_equals_input and
           vp.options.get("OUTPUT_DESCRIPTION", "").startswith(
               "Tagged by policy: Banned.Encrypted.Zip"),
           "(d) an encrypted zip: Banned.Encrypted.Zip, tagged by default (delivered, "
           "described)", [vp.summary(), vp.options, log_line(vp)])
    res = ce.convert_message(raw, command(conf("enc-q", banned_names="exe",
                                                banned_encrypted="quarantine")), timeout=60)
    vp = res.parts[-1] if res.parts else ce.PartResult()
    tap.ok(res.disposition == "hold" and "banned_encrypted: quarantine" in log_line(vp),
           "(d) banned_encrypted = quarantine: the message is held", log_line(vp))


def test_clean(tap):
    """(e) a clean part with a clean name passes; no PARTFACTS means retry."""
    c = conf("clean", banned_names="exe js", banned_types="PE ELF",
             signature_rules="/^PUA\\./ tag")
    raw = message(b"just some harmless bytes\x00\x01\x02\n", "data.bin")
    res = ce.convert_message(raw, command(c), timeout=60)
    tap.ok(res.disposition == "deliver" and res.message == raw and
           all(p.output_equals_input and p.options_raw is None for p in res.parts),
           "(e) clean parts with clean names pass byte for byte with every policy setting",
           [p.summary() for p in res.parts])
    path = os.path.join(WORK, "stock.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)

    def answer():
        s, _ = srv.accept()
        got = b""
        while b"\0" not in got:
            got += s.recv(4096)
        s.sendall(b"UNKNOWN COMMAND\0")
        s.close()

    t = threading.Thread(target=answer, daemon=True)
    t.start()
    c = os.path.join(WORK, "stock.conf")
    with open(c, "w") as f:
        f.write("scanner_endpoints = unix:%s\nbanned_names = exe\n" % path)
    pr = ce.run_part(command(c), PDF_BODY, env={"FILENAME": "a.pdf"}, timeout=60)
    t.join(10)
    srv.close()
    tap.eq((pr.exit_code, pr.options.get("STATUS")), (0, str(ce.AGN)),
           "(e) a scanner without PARTFACTS (UNKNOWN COMMAND): STATUS=PMDF__AGN, retry")


@mxtest.setup
def start(tap):
    global WORK, SCAND, EXE
    if not os.access(CONV, os.X_OK) or not os.access(mxtest.MXSCAND, os.X_OK):
        Tap.skip_all("mxscan-conversion or mxscand not built")
    if not os.path.exists(CLAM_EXE):
        Tap.skip_all("needs clamav-testfiles: scripts/install-deps --test")
    WORK = tmpdir("mxconvpol")
    db = make_test_db(os.path.join(WORK, "db"))
    # clam.exe is ClamAV-Test-File by its hash: without that signature it
    # is an ordinary executable, which only the policy can stop.
    os.remove(os.path.join(db, "test.hdb"))
    os.mkdir(os.path.join(WORK, "scand"))
    SCAND = Daemon(db, workdir=os.path.join(WORK, "scand"))
    with open(CLAM_EXE, "rb") as f:
        EXE = f.read()


def test_still_running(tap):
    tap.ok(SCAND.proc.poll() is None, "mxscand still running after all of it")
    SCAND.stop()


if __name__ == "__main__":
    mxtest.run([start, test_no_policy, test_banned_name_actions, test_names, test_true_types,
                test_signatures, test_clean, test_still_running])
