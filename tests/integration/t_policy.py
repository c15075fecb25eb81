#!/usr/bin/env python3
"""t_policy - the mail policy (common/policy) with a real mxscand, the
`mxscan --mime --policy` view and mxscan-filter inside a real Postfix.

Shows:
 (a) MIMEFACTS: true types and archives, with ClamAV's clam.exe
     (clamav-testfiles; the database here does not detect it, so only
     the policy can stop it) as the executable: an executable renamed
     .pdf is Banned.Type.PE; an executable in a zip in a zip is found
     at depth 2, by name and by type; a script in a 7z (made by 7z) is
     Banned.Name.js; an encrypted zip (7z -p) is Banned.Encrypted.Zip;
     each with `mxscan --mime --policy`'s exit status (1 quarantined,
     0 delivered or tagged, 2 error) and the rule that decided;
 (b) rules by signature through the daemon: an encrypted zip
     (Heuristics.Encrypted.Zip, tagged by a rule) beside EICAR gets
     EICAR's action; an ignored signature passes (exit 0);
 (c) Postfix after the queue: a banned attachment is quarantined with
     the reason in Postfix's log and the filter's log line; a message
     from an excluded network (XCLIENT) passes unscanned, EICAR and all,
     and the log line says so; clean mail is delivered;
 (d) Postfix before the queue with banned_action = reject: swaks sees
     550 5.7.0 with the reason;
 (e) Postfix after the queue with banned_action = strip: a banned
     executable, a zip holding one and an EICAR part beside them are each
     replaced by a notice naming the label, the rest delivered and the
     result clean; with an encrypted zip beside it (banned_encrypted =
     tag) the banned part is stripped and the message delivered tagged;
     a banned name that is no part of its own is quarantined instead.
"""
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
import postfix  # noqa: E402
from mxtest import EICAR, MXSCAN  # noqa: E402

CLAM_EXE = "/usr/share/clamav-testfiles/clam.exe"
SEVENZ = shutil.which("7z")

tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global work, db, scand, exe
    if not os.path.exists(CLAM_EXE) or SEVENZ is None:
        tap.skip_all("needs clamav-testfiles and 7z (p7zip-full): scripts/install-deps --test")
    work = mxtest.tmpdir("t_policy")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    # clam.exe is ClamAV-Test-File by its hash: without that signature
    # it is an ordinary executable, which only the policy can stop.
    os.remove(os.path.join(db, "test.hdb"))
    os.mkdir(os.path.join(work, "scand"))
    scand = mxtest.Daemon(db, workdir=os.path.join(work, "scand"))
    with open(CLAM_EXE, "rb") as f:
        exe = f.read()


def zip_of(name, data):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return b.getvalue()


def sevenz(archive, files, password=None, ztype="7z"):
    """An archive made by 7z from FILES {name: bytes}."""
    src = os.path.join(work, "7z-src-" + archive)
    os.mkdir(src)
    for name, data in files.items():
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)
    out = os.path.join(work, archive)
    cmd = [SEVENZ, "a", "-bd", "-bso0", "-t" + ztype, out] + list(files)
    if password:
        cmd.insert(2, "-p" + password)
    subprocess.run(cmd, cwd=src, check=True)
    with open(out, "rb") as f:
        return f.read()


def with_attachment(data, name, ctype="application/octet-stream"):
    return mimegen.multipart_message([mimegen.text_part(), mimegen.attachment(data, name, ctype)])


def view(msg, name, options=()):
    """mxscan --mime --policy on MSG: (exit status, output)."""
    path = os.path.join(work, name + ".eml")
    with open(path, "wb") as f:
        f.write(msg)
    cmd = [MXSCAN, "-c", "/dev/null", "-o", "scanner_endpoints=unix:" + scand.socket,
           "--mime", "--policy", path]
    for o in options:
        cmd[5:5] = ["-o", o]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return out.returncode, out.stdout + out.stderr


BAN = ("banned_names=exe js vbs", "banned_types=PE ELF", "banned_action=quarantine")


def test_true_types_and_archives(tap):
    """(a) true types and archives."""
    rc, out = view(with_attachment(exe, "invoice.pdf", "application/pdf"), "renamed", BAN)
    tap.ok(rc == 1 and "2 TYPE MSEXE" in out and
           re.search(r"policy quarantine: Banned\.Type\.PE in part 2 \(banned_types PE: "
                     r"quarantine\)", out),
           "an executable renamed .pdf: true type MSEXE, Banned.Type.PE, exit 1", out)
    rc, out = view(with_attachment(exe, "invoice.pdf", "application/pdf"), "renamed-off",
                   ("banned_names=exe",))
    tap.ok(rc == 0 and "policy pass: nothing found" in out,
           "the same without banned_types: delivered, exit 0", out)

    nested = zip_of("in.zip", zip_of("clam.exe", exe))
    rc, out = view(with_attachment(nested, "outer.zip", "application/zip"), "zipzip", BAN)
    tap.ok(rc == 1 and '2 MEMBER 1 ZIP "in.zip"' in out and '2 MEMBER 2 MSEXE "clam.exe"' in out
           and "Banned.Name.exe" in out and "Banned.Type.PE" in out
           and "in an archive" in out,
           "an executable in a zip in a zip: members at depth 1 and 2, banned by name and type",
           out)
    rc, out = view(with_attachment(nested, "outer.zip", "application/zip"), "zipzip-off",
                   BAN + ("banned_in_archives=no",))
    tap.ok(rc == 0, "the same with banned_in_archives = no: delivered", out)
    # libclamav keeps a clean cache of every object it has read (in.zip
    # and clam.exe are in it now): an object it answers from there has
    # its members unread, so they must still be reported, for the same
    # message again and for in.zip inside another archive.
    hits = int(scand.health()["cache_hits"])
    rc2, out2 = view(with_attachment(nested, "outer.zip", "application/zip"), "zipzip-again", BAN)
    tap.ok(rc2 == 1 and '2 MEMBER 2 MSEXE "clam.exe"' in out2 and "Banned.Type.PE" in out2,
           "the same message again: the members are reported again", out2)
    facts, facts2 = ([m.group(1) for m in re.finditer(r": (2 (?:TYPE|MEMBER|SIG) .*)", o)]
                     for o in (out, out2))
    tap.ok(int(scand.health()["cache_hits"]) > hits and facts2 == facts and len(facts) >= 3,
           "the same attachment again: its facts come from the verdict cache, unchanged",
           "%s\n---\n%s" % (out, out2))
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", "see in.zip\n")
        z.writestr("in.zip", zip_of("clam.exe", exe))
    rc, out = view(with_attachment(b.getvalue(), "other.zip", "application/zip"), "zipzip-other",
                   BAN)
    tap.ok(rc == 1 and '2 MEMBER 1 ZIP "in.zip"' in out and '2 MEMBER 2 MSEXE "clam.exe"' in out
           and "Banned.Type.PE" in out,
           "a zip met before, inside another zip: its members are still reported", out)

    s7 = sevenz("script.7z", {"readme.txt": b"hello\n", "run.js": b'WScript.Echo("x");\n'})
    rc, out = view(with_attachment(s7, "docs.7z"), "script7z", BAN)
    tap.ok(rc == 1 and "2 TYPE 7Z" in out and '"run.js"' in out and
           re.search(r"policy quarantine: Banned\.Name\.js in part 2 \(banned_names \*\.js in "
                     r"an archive: quarantine\)", out),
           "a script in a 7z: member run.js, Banned.Name.js", out)

    enc = sevenz("secret.zip", {"report.txt": b"quarterly figures\n" * 20}, password="s3cret",
                 ztype="zip")
    rc, out = view(with_attachment(enc, "secret.zip", "application/zip"), "encrypted", BAN)
    tap.ok(rc == 0 and "Heuristics.Encrypted.Zip" in out and
           re.search(r"policy tag: Banned\.Encrypted\.Zip in part 2 \(banned_encrypted: tag\)",
                     out),
           "an encrypted zip: Banned.Encrypted.Zip, tagged by default (exit 0)", out)
    rc, out = view(with_attachment(enc, "secret.zip", "application/zip"), "encrypted-q",
                   BAN + ("banned_encrypted=quarantine",))
    tap.ok(rc == 1 and "policy quarantine: Banned.Encrypted.Zip" in out,
           "the same with banned_encrypted = quarantine: exit 1", out)
    rc, out = view(with_attachment(b"hello\n" * 10, "notes.txt", "text/plain"), "clean", BAN)
    tap.ok(rc == 0 and "policy pass: nothing found" in out, "a clean message: exit 0", out)
    rc, out = view(b"x", "down", ("scanner_endpoints=unix:" + os.path.join(work, "nosuch"),))
    tap.ok(rc == 2, "no scanner: exit 2", out)


def test_signature_rules(tap):
    """(b) rules by signature through the daemon."""
    enc = sevenz("both.zip", {"a.txt": b"secret\n"}, password="pw", ztype="zip")
    msg = mimegen.multipart_message([mimegen.text_part(),
                                     mimegen.attachment(enc, "a.zip", "application/zip"),
                                     mimegen.attachment(EICAR, "eicar.com")])
    rules = "signature_rules=/^Heuristics\\./ tag /^Eicar-Test-Signature/ reject"
    rc, out = view(msg, "both", (rules, "banned_encrypted=infected"))
    tap.ok(rc == 1 and re.search(r"policy reject: Eicar-Test-Signature\S* in part 3 "
                                 r"\(signature_rules\[2\] /\^Eicar-Test-Signature/: reject\)",
                                 out)
           and re.search(r"hit 2 encrypted Banned\.Encrypted\.Zip \(signature_rules\[1\]", out),
           "a Heuristics hit (tagged) and EICAR: EICAR's rule decides, both named", out)
    rc, out = view(with_attachment(EICAR, "eicar.com"), "ignored",
                   ("signature_rules=/^Eicar-Test-Signature/ ignore",))
    tap.ok(rc == 0 and "policy pass: every hit passed by its rule" in out and
           "(signature_rules[1] /^Eicar-Test-Signature/: pass)" in out,
           "an ignored signature passes (exit 0) and names its rule", out)


@mxtest.setup
def start_postfix(tap):
    global Filter
    missing = postfix.available()
    if missing:
        tap.skip_all("missing: " + ", ".join(missing))
    from smtptest import Filter as F
    Filter = F


def filter_log_line(f, pattern):
    return [ln for ln in f.logtext().splitlines() if re.search(pattern, ln)]


def test_postfix_after_queue(tap):
    """(c) after the queue."""
    reinject = mxtest.free_port()
    qdir = os.path.join(work, "quarantine")
    fa = Filter(scand.socket, "127.0.0.1:%d" % reinject, work,
                {"filter_quarantine_dir": qdir, "banned_names": "exe", "banned_types": "PE",
                 "policy_skip_networks": "10.9.8.0/24"})
    pa = postfix.Postfix(mode="after-queue", filter_port=fa.port, reinject_port=reinject,
                         workdir=os.path.join(work, "pf-after"),
                         main_extra={"smtpd_authorized_xclient_hosts": "127.0.0.0/8"})
    os.mkdir(pa.dir)
    pa.start()
    rc, tr = pa.swaks("bob@example.test", with_attachment(exe, "invoice.pdf.exe"))
    tap.ok(rc == 0 and pa.wait_queue_empty(30), "banned: queued and handed to the filter",
           tr[-1500:])
    tap.ok(pa.log_lines(r"status=sent \(250 2\.0\.0 Ok: quarantined as \S+, Banned\.Name\.exe "
                        r"in part 2 \(banned_names \*\.exe: quarantine\)"),
           "banned: quarantined, the reason in Postfix's log", pa.logtext()[-2000:])
    tap.ok(filter_log_line(fa, r"verdict=infected, signature=Banned\.Name\.exe, .*"
                               r"action=quarantined, .*policy=\"Banned\.Name\.exe in part 2 "
                               r"\(banned_names \*\.exe: quarantine\)\""),
           "banned: the filter's log line names the rule", fa.logtext()[-2000:])
    tap.eq(pa.maildir_count("bob"), 0, "banned: not delivered")
    tap.ok(len([p for p in os.listdir(qdir) if p.endswith(".msg")]) == 1,
           "banned: one message in the quarantine")

    rc, tr = pa.swaks("bob@example.test", with_attachment(EICAR, "eicar.com"),
                      args=("--xclient-addr", "10.9.8.7"))
    tap.ok(rc == 0 and pa.wait_queue_empty(30) and pa.wait_maildir("bob", 1, 30),
           "excluded network: delivered", tr[-1500:] + pa.logtext()[-1500:])
    tap.ok(filter_log_line(fa, r"client=10\.9\.8\.7, .*verdict=-, .*action=passed-unscanned, "
                               r".*policy=\"not scanned: client in policy_skip_networks\""),
           "excluded network: passed unscanned and the log line says so", fa.logtext()[-2000:])
    got = pa.maildir("bob")
    tap.ok(got and b"X-Virus-Status: Unscanned (client in policy_skip_networks)" in got[0][1],
           "excluded network: marked unscanned in the message", got[0][1][:800] if got else "")

    rc, tr = pa.swaks("bob@example.test", with_attachment(EICAR, "eicar.com"))
    tap.ok(rc == 0 and pa.wait_queue_empty(30) and
           pa.log_lines(r"quarantined as \S+, Eicar-Test-Signature\S* in part 2 "
                        r"\(the infected action: quarantine\)"),
           "not excluded: the same EICAR message is scanned and quarantined", pa.logtext()[-2000:])
    rc, tr = pa.swaks("bob@example.test", with_attachment(b"hello\n" * 50, "notes.txt",
                                                          "text/plain"))
    tap.ok(rc == 0 and pa.wait_queue_empty(30) and pa.wait_maildir("bob", 2, 30),
           "clean: delivered", pa.logtext()[-2000:])
    pa.stop()
    fa.stop()


def test_postfix_before_queue(tap):
    """(d) before the queue, banned_action = reject."""
    reinject = mxtest.free_port()
    fb = Filter(scand.socket, "127.0.0.1:%d" % reinject, work,
                {"filter_mode": "before-queue", "banned_names": "*.exe",
                 "banned_action": "reject",
                 "filter_quarantine_dir": os.path.join(work, "quarantine-b")})
    pb = postfix.Postfix(mode="before-queue", filter_port=fb.port, reinject_port=reinject,
                         workdir=os.path.join(work, "pf-before"))
    os.mkdir(pb.dir)
    pb.start()
    rc, tr = pb.swaks("carol@example.test", with_attachment(b"MZ" + b"\0" * 200,
                                                            "invoice.pdf\u202eexe.scr.exe"
                                                            .encode()))
    tap.ok(rc != 0 and re.search(r"<\*\* 550 5\.7\.0 Message rejected: Banned\.Name\.exe in "
                                 r"part 2 \(banned_names \*\.exe: reject\)", tr),
           "before-queue banned: swaks sees 550 5.7.0 with the reason", tr[-1500:])
    rc, tr = pb.swaks("carol@example.test", with_attachment(b"hello\n" * 50, "notes.txt",
                                                            "text/plain"))
    tap.ok(rc == 0 and pb.wait_maildir("carol", 1, 30), "before-queue clean: delivered",
           tr[-1500:])
    pb.stop()
    fb.stop()


def parts_of(data):
    """The leaf parts of a delivered message: [(content type, file name, decoded bytes)]."""
    import email
    import email.policy
    m = email.message_from_bytes(data, policy=email.policy.compat32)
    return [(p.get_content_type(), p.get_filename(), p.get_payload(decode=True))
            for p in m.walk() if not p.is_multipart()]


def test_postfix_strip(tap):
    """(e) banned_action = strip after the queue."""
    reinject = mxtest.free_port()
    qdir = os.path.join(work, "quarantine-s")
    fs = Filter(scand.socket, "127.0.0.1:%d" % reinject, work,
                {"filter_quarantine_dir": qdir, "banned_names": "exe", "banned_action": "strip",
                 "filter_infected_action": "strip", "filter_add_headers": "yes",
                 "filter_hostname": "mx.example.test"})
    ps = postfix.Postfix(mode="after-queue", filter_port=fs.port, reinject_port=reinject,
                         workdir=os.path.join(work, "pf-strip"), users=("s1", "s2", "s3", "s4"))
    os.mkdir(ps.dir)
    ps.start()
    text = b"Please find the files attached.\r\n"
    notes = b"meeting notes\n" * 40

    def deliver(user, msg):
        rc, tr = ps.swaks("%s@example.test" % user, msg)
        ok = rc == 0 and ps.wait_queue_empty(30) and ps.wait_maildir(user, 1, 30)
        got = ps.maildir(user)
        return (got[0][1] if ok and got else None), tr[-1500:] + ps.logtext()[-1500:]

    msg = mimegen.multipart_message([mimegen.text_part(text), mimegen.attachment(exe, "invoice.exe"),
                                     mimegen.attachment(notes, "notes.txt", "text/plain")])
    got, why = deliver("s1", msg)
    tap.ok(got is not None, "strip: a banned executable: the message is delivered", why)
    parts = parts_of(got or b"")
    tap.ok(len(parts) == 3 and parts[0][2] == b"Please find the files attached.\n" and
           parts[2][2] == notes and
           parts[1][0] == "text/plain" and b"Banned.Name.exe" in (parts[1][2] or b"") and
           b"mx.example.test" in (parts[1][2] or b"") and exe not in (got or b""),
           "strip: the executable is a notice naming Banned.Name.exe, the other parts as sent",
           parts)
    tap.ok(got is not None and b"X-Virus-Status: Cleaned (1 infected part removed: Banned.Name.exe)"
           in got, "strip: the status says what was removed", (got or b"")[:600])
    tap.ok(filter_log_line(fs, r"verdict=infected, signature=Banned\.Name\.exe, .*action=stripped"),
           "strip: the filter's log line says stripped", fs.logtext()[-2000:])
    if got is not None:
        r = mxtest.request(scand.socket, b"zMIMESCAN\0" + mxtest.instream_bytes(got), timeout=60)
        tap.eq(r.rsplit(b"\n", 1)[-1], b"stream: OK\0", "strip: the delivered message scans clean")

    msg = mimegen.multipart_message([mimegen.text_part(text),
                                     mimegen.attachment(zip_of("setup.exe", exe), "tools.zip"),
                                     mimegen.attachment(EICAR, "eicar.com"),
                                     mimegen.attachment(notes, "notes.txt", "text/plain")])
    got, why = deliver("s2", msg)
    parts = parts_of(got or b"")
    tap.ok(got is not None and len(parts) == 4 and parts[3][2] == notes and
           b"Banned.Name.exe" in (parts[1][2] or b"") and b"Eicar" in (parts[2][2] or b"") and
           b"Cleaned (2 infected parts removed" in got,
           "strip: a zip holding an executable and an EICAR part: both replaced, the rest delivered",
           (why, parts))

    enc = sevenz("locked.zip", {"report.txt": b"quarterly figures\n" * 20}, password="s3cret",
                 ztype="zip")
    msg = mimegen.multipart_message([mimegen.text_part(text), mimegen.attachment(exe, "run.exe"),
                                     mimegen.attachment(enc, "locked.zip")])
    got, why = deliver("s3", msg)
    parts = parts_of(got or b"")
    tap.ok(got is not None and len(parts) == 3 and b"Banned.Name.exe" in (parts[1][2] or b"") and
           parts[2][2] == enc and b"X-Virus-Status: Infected (Banned.Encrypted.Zip)" in got,
           "strip: the executable stripped, the encrypted zip kept and tagged (banned_encrypted = tag)",
           (why, parts))

    # A banned name the lenient reading alone finds (a segment of a body
    # whose boundary the headers do not declare) is no part of its own.
    seg = (b"From: a@example.org\r\nTo: s4@example.test\r\nSubject: segment\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello\r\n--zz\r\n"
           b"Content-Type: application/octet-stream; name=\"hidden.exe\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + mimegen.b64_lines(exe) + b"--zz--\r\n")
    rc, tr = ps.swaks("s4@example.test", seg)
    tap.ok(rc == 0 and ps.wait_queue_empty(30) and
           ps.log_lines(r"status=sent \(250 2\.0\.0 Ok: quarantined as \S+, Banned\.Name\.exe"),
           "strip: a banned part only the lenient reading sees: the original quarantined",
           tr[-1000:] + ps.logtext()[-1500:])
    tap.eq(ps.maildir_count("s4"), 0, "strip: ... and not delivered")
    ps.stop()
    fs.stop()


def test_config(tap):
    """The settings are printed by -n and bad ones refused with their name."""
    out = subprocess.run([MXSCAN, "-c", "/dev/null", "-o", "banned_names=exe js",
                          "-o", "signature_rules=/^PUA\\./ tag", "-n"],
                         capture_output=True, text=True)
    tap.ok(out.returncode == 0 and "banned_names = exe js" in out.stdout and
           "signature_rules = /^PUA\\./ tag" in out.stdout, "mxscan -n prints the policy",
           out.stdout + out.stderr)
    rc, out = view(b"x", "bad", ("signature_rules=/^PUA/ explode",))
    tap.ok(rc == 2 and "signature_rules" in out, "a bad rule is an error naming it", out)


mxtest.run(globals())
