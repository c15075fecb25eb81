#!/usr/bin/env python3
"""t_milter - mxscan-milter driven by two independent milter clients:

 (a) Debian's miltertest (OpenDKIM's Lua-driven MTA side) running the
     scripts in tests/milter/: negotiation, macros, headers, body chunks,
     end-of-message replies for each milter_infected_action (reject,
     quarantine, tag, discard), forged X-Virus-* fields replaced, abort
     mid-message, a dropped connection, many concurrent sessions;
 (b) a real Postfix 3 (tests/lib/postfix.py, loopback only) with
     smtpd_milters pointing at the milter's UNIX socket (0660, group
     postfix) and milter_default_action = tempfail, mail sent with swaks
     and smtplib, delivered by virtual(8) to Maildirs:
       clean mail: 250 and delivered; EICAR and ClamAV's clam.exe: 550
       5.7.0 at the end of DATA, nothing queued, no bounce; a storm of
       distinct messages carrying one worm refused message by message;
       quarantine: the message sits on Postfix's hold queue; tag: the
       forged "Clean" is gone, our Infected status is there; mxscand
       stopped: 451 4.3.0 and nothing delivered; the milter stopped:
       Postfix's own 4xx; the mail policy: a banned .exe refused with 550
       5.7.0 naming the rule (miltertest's policy.lua and Postfix), an
       authenticated sender excluded only with policy_skip_authenticated;
 (c) hostile and faulty input through Postfix: a client that drops the
     connection mid-body, a message over mxscand's stream limit (held,
     never accepted unscanned), a scanner that hangs or dies mid-stream
     (451 4.3.0; with a second endpoint the copy is replayed there), 40
     concurrent SMTP sessions, with the milter's descriptors and RSS
     checked afterwards.  tuning/bench-milter.py soak does 200 sessions
     and 10,000 messages.
"""
import os
import smtplib
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
import postfix  # noqa: E402
from milterproc import Milter  # noqa: E402
from mxtest import EICAR, EICAR_SIG  # noqa: E402

tap = mxtest.Tap()
missing = postfix.available() + [p for p in ("miltertest",) if not postfix._which(p)]
if missing:
    tap.skip_all("missing: " + ", ".join(missing))

MILTER = os.path.join(mxtest.BUILDDIR, "wrappers", "milter", "mxscan-milter")
if not os.access(MILTER, os.X_OK):
    tap.ok(False, "mxscan-milter is built", MILTER)
    tap.done()
ASAN = bool(os.environ.get("MX_ASAN"))
SLOW = 4 if ASAN else 1
T = 30 * SLOW
LUA = os.path.join(mxtest.SRCDIR, "tests", "milter")
CLAM_EXE = os.path.join(mxtest.TESTFILES, "clam.exe")


def miltertest(script, sock, **defs):
    cmd = ["miltertest", "-D", "sock=unix:" + sock, "-D", "srcdir=" + mxtest.SRCDIR]
    for k, v in defs.items():
        cmd += ["-D", "%s=%s" % (k, v)]
    cmd += ["-s", os.path.join(LUA, script)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120 * SLOW)
    return r.returncode, r.stdout + r.stderr


rng = __import__("random").Random(1414)


def message(subject, attachment, name="report.bin", extra=()):
    n = rng.getrandbits(64)
    text = ("Hello Bob,\r\n\r\ncase %x, file attached.\r\n.a leading dot\r\n" % n).encode()
    return mimegen.multipart_message(
        [mimegen.leaf(text, "text/plain; charset=us-ascii", cte=None),
         mimegen.leaf(attachment, "application/octet-stream", name=name, filename=name)],
        boundary=b"=_m_%x" % n,
        headers=["From: Alice <alice@example.test>", "To: Bob <bob@example.test>",
                 "Subject: " + subject, "Date: Mon, 23 Nov 2026 12:00:00 +0000",
                 "Message-ID: <%x.t_milter@example.test>" % n, "MIME-Version: 1.0"]
        + list(extra))


def clean_message(subject, size=6000, extra=()):
    return message(subject, bytes(rng.getrandbits(8) for _ in range(size)), extra=extra)


def infected_message(subject, extra=()):
    return message(subject, EICAR, name="invoice.com", extra=extra)


def worm_message(i):
    """One of a storm: distinct text, one identical infected attachment."""
    return message("storm %d: your document" % i, b"MZ-worm " + EICAR + b" payload",
                   name="document.pif")


def smtp_send(port, data, to="bob@example.test"):
    """(code, text) of the final reply to DATA (or of the failing step)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60 * SLOW) as s:
            s.ehlo("storm.example.test")
            s.mail("worm@example.test")
            s.rcpt(to)
            code, text = s.data(data)
            return code, text.decode("utf-8", "replace")
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error.decode("utf-8", "replace")
    except (OSError, smtplib.SMTPException) as e:
        return 0, str(e)


def end_of_data(transcript):
    """swaks's reply lines after the end of DATA."""
    return transcript.split("\n -> .\n")[-1] if "\n -> .\n" in transcript else transcript


def no_bounce(pf, name):
    bounces = pf.log_lines(r"status=bounced|sender non-delivery notification|from=<>")
    tap.ok(not bounces and pf.maildir_count("alice") == 0,
           name + ": no bounce (maillog, sender's Maildir)", "\n".join(bounces))


@mxtest.setup
def start(tap):
    global work, db, scand
    work = mxtest.tmpdir("t_milter")
    os.chmod(work, 0o755)
    db = mxtest.make_test_db(os.path.join(work, "db"))
    os.mkdir(os.path.join(work, "scand"))
    scand = mxtest.Daemon(db, workdir=os.path.join(work, "scand"),
                          options={"scand_stream_max_length": "2m"})


def test_miltertest(tap):
    """(a) the scripts of tests/milter under miltertest."""
    ep = ["unix:" + scand.socket]
    runs = [("reject", {"milter_add_headers": "yes"}, "1"),
            ("quarantine", {"milter_infected_action": "quarantine"}, "0"),
            ("tag", {"milter_infected_action": "tag", "milter_add_headers": "yes"}, "1"),
            ("discard", {"milter_infected_action": "discard"}, "0")]
    for action, opts, hdrs in runs:
        sock = os.path.join(work, "mt-%s.sock" % action)
        m = Milter("unix:" + sock, ep, opts, name="mt-" + action)
        rc, out = miltertest("verdicts.lua", sock, action=action, headers_on=hdrs)
        tap.ok(rc == 0 and "verdicts: ok" in out,
               "miltertest verdicts.lua, milter_infected_action = %s" % action,
               out + m.logtext()[-2000:])
        if action == "reject":
            for script, want, extra in (("negotiate.lua", "negotiate: ok", {}),
                                        ("abort.lua", "abort: ok", {}),
                                        ("many.lua", "many: ok (40 sessions)", {"n": "40"})):
                rc, out = miltertest(script, sock, **extra)
                tap.ok(rc == 0 and want in out, "miltertest " + script, out + m.logtext()[-2000:])
            log = m.logtext()
            tap.ok("VQ1: client=client.example.test[127.0.0.1], from=<alice@example.test>, "
                   "rcpts=1, size=" in log and
                   "verdict=infected, signature=%s, endpoint=unix:%s" % (EICAR_SIG, scand.socket)
                   in log and "action=reject" in log,
                   "one log line per message: queue id macro, client, sender, rcpts, size, "
                   "verdict, signature, endpoint, action", log[-2000:])
            tap.ok("AQ1:" not in log, "an aborted message gets no verdict line")
            tap.eq(len([l for l in log.splitlines() if ": client=c" in l and "MQ" in l]), 40,
                   "many.lua: one line for each of the 40 concurrent sessions")
        if action == "reject":
            tap.eq(m.stop(), 0, "the milter exits 0 on SIGTERM")
        else:
            m.stop(graceful=False)


@mxtest.setup
def start_postfix(tap):
    global pf, msock, milter
    msock = os.path.join(work, "milter.sock")
    milter = Milter("unix:" + msock, ["unix:" + scand.socket], name="pf-milter")
    st = os.stat(msock)
    import grp
    tap.ok(oct(st.st_mode & 0o777) == "0o660" and st.st_gid == grp.getgrnam("postfix").gr_gid,
           "the milter socket is 0660, group postfix (milter_socket_mode, milter_socket_group)")
    main = dict(postfix.snippet_main("main.cf.milter"))
    main["smtpd_milters"] = "unix:" + msock
    pf = postfix.Postfix(mode="none", main_extra=main, workdir=os.path.join(work, "pf"))
    os.mkdir(pf.dir)
    pf.start()
    tap.diag("Postfix up in %.2fs, smtpd %d, milter %s" % (pf.startup_seconds, pf.smtp_port,
                                                          msock))
    tap.eq(pf.postconf("-h", "milter_default_action").strip(), "tempfail",
           "Postfix runs with milter_default_action = tempfail (scripts/postfix/main.cf.milter)")


def restart_milter(options):
    global milter
    milter.stop(graceful=False)
    milter = Milter("unix:" + msock, options.pop("endpoints", ["unix:" + scand.socket]), options,
                    name="pf-milter")
    return milter


def test_postfix_verdicts(tap):
    """(b) clean delivered, EICAR and clam.exe refused at end of DATA."""
    m_clean = clean_message("clean through the milter")
    rc, tr = pf.swaks("bob@example.test", m_clean)
    tap.ok(rc == 0 and "<-  250 2.0.0 Ok: queued as" in end_of_data(tr),
           "clean: swaks sees 250 at the end of DATA", tr[-1500:])
    tap.ok(pf.wait_maildir("bob", 1, T) and pf.wait_queue_empty(T),
           "clean: delivered to bob's Maildir", pf.logtext()[-2000:])
    got = [d for _p, d in pf.maildir("bob")]
    tap.ok(got and got[0].endswith(postfix.lf(m_clean)), "clean: delivered unchanged")

    rc, tr = pf.swaks("bob@example.test", infected_message("EICAR through the milter"))
    tap.ok(rc != 0 and "<** 550 5.7.0 message refused: virus %s found" % EICAR_SIG
           in end_of_data(tr), "EICAR: swaks sees 550 5.7.0 with the signature at the end of DATA",
           tr[-1500:])
    with open(CLAM_EXE, "rb") as f:
        rc, tr = pf.swaks("bob@example.test", message("clam.exe", f.read(), name="clam.exe"))
    tap.ok(rc != 0 and "<** 550 5.7.0 message refused: virus ClamAV-Test-File" in end_of_data(tr),
           "ClamAV test file: 550 5.7.0", tr[-1500:])
    tap.ok(pf.wait_queue_empty(T) and not pf.queue(), "infected: nothing queued")
    tap.eq(pf.maildir_count("bob"), 1, "infected: nothing delivered")
    tap.ok(len(pf.log_lines(r"milter-reject: END-OF-MESSAGE from \S+: 5\.7\.0 message refused")) == 2,
           "maillog: Postfix logs both milter rejections", pf.logtext()[-2000:])
    no_bounce(pf, "infected")


def test_storm(tap):
    """(b) a storm of distinct messages with one worm, 8 senders at once."""
    n = 60
    with ThreadPoolExecutor(8) as ex:
        replies = list(ex.map(lambda i: smtp_send(pf.smtp_port, worm_message(i)), range(n)))
    refused = [r for r in replies if r[0] == 550 and r[1].startswith("5.7.0 message refused")]
    tap.eq(len(refused), n, "storm: each of %d distinct worm messages refused with 550 5.7.0" % n)
    tap.ok(not pf.queue() and pf.maildir_count("bob") == 1,
           "storm: nothing queued or delivered")
    lines = [l for l in milter.logtext().splitlines() if "verdict=infected" in l]
    qids = {l.split(":")[1].strip() for l in lines if "action=reject" in l}
    tap.ok(len(qids) >= n, "storm: the milter logged each with its own Postfix queue id",
           "\n".join(lines[-5:]))


def test_quarantine_and_tag(tap):
    """(b) quarantine puts the message on the hold queue; tag replaces a forged Clean."""
    restart_milter({"milter_infected_action": "quarantine"})
    rc, tr = pf.swaks("bob@example.test", infected_message("to quarantine"))
    tap.ok(rc == 0 and "<-  250 " in end_of_data(tr), "quarantine: swaks sees 250", tr[-1500:])
    held = [q for q in pf.queue() if q.get("queue_name") == "hold"]
    tap.eq(len(held), 1, "quarantine: the message is on Postfix's hold queue")
    tap.ok(pf.log_lines(r"milter-hold: END-OF-MESSAGE from ") and
           "verdict=infected, signature=%s" % EICAR_SIG in milter.logtext().splitlines()[-1] and
           milter.logtext().rstrip().endswith("action=quarantine"),
           "quarantine: maillog shows milter-hold, the milter's line the signature",
           pf.logtext()[-1500:] + milter.logtext()[-600:])
    tap.eq(pf.maildir_count("bob"), 1, "quarantine: not delivered")
    subprocess.run(["postsuper", "-c", pf.conf_dir, "-d", "ALL", "hold"], capture_output=True)

    restart_milter({"milter_infected_action": "tag", "milter_add_headers": "yes"})
    forged = ["X-Virus-Status: Clean", "X-Virus-Scanned: by a forger"]
    rc, tr = pf.swaks("bob@example.test", infected_message("to tag", extra=forged))
    tap.ok(rc == 0 and pf.wait_maildir("bob", 2, T), "tag: delivered", tr[-1500:])
    # The tagged message by its subject: two deliveries in one second
    # need not sort in delivery order by Maildir name.
    tagged = [m for _, m in pf.maildir("bob") if b"\nSubject: to tag\n" in m]
    got = tagged[-1].decode("utf-8", "replace") if tagged else ""
    head = got.split("\n\n")[0]
    tap.ok("X-Virus-Status: Infected (%s)" % EICAR_SIG in head and "X-Virus-Status: Clean"
           not in head and "by a forger" not in head and
           head.count("X-Virus-Status:") == 1 and "X-Virus-Scanned: mxscan-milter" in head,
           "tag: our Infected status replaced the forged Clean (and the forged Scanned)", head)
    restart_milter({})


def test_policy_miltertest(tap):
    """(a) the mail policy under miltertest: banned_names = *.exe; an
    authenticated sender is excluded only with policy_skip_authenticated."""
    for skip in ("0", "1"):
        sock = os.path.join(work, "mt-policy-%s.sock" % skip)
        opts = {"banned_names": "*.exe", "policy_skip_authenticated": "yes" if skip == "1" else "no"}
        m = Milter("unix:" + sock, ["unix:" + scand.socket], opts, name="mt-policy-" + skip)
        rc, out = miltertest("policy.lua", sock, skipauth=skip)
        tap.ok(rc == 0 and "policy: ok" in out,
               "miltertest policy.lua, policy_skip_authenticated = %s: banned .exe refused with "
               "550 5.7.0 and the rule; the authenticated sender %s" %
               (opts["policy_skip_authenticated"], "accepted unscanned at end of headers"
                if skip == "1" else "refused all the same"), out + m.logtext()[-2000:])
        log = m.logtext()
        tap.ok('PQ1: ' in log and 'verdict=banned, signature=Banned.Name.exe' in log and
               'action=reject, policy="Banned.Name.exe in part 2 (banned_names *.exe: reject)"'
               in log, "policy (%s): the log line names the decision and its rule" % skip,
               log[-2000:])
        skipped = [l for l in log.splitlines() if "PQ3: " in l]
        want = ('verdict=skipped' in "".join(skipped) and
                'policy="not scanned: authenticated client, policy_skip_authenticated"'
                in "".join(skipped)) if skip == "1" else \
            ("verdict=banned" in "".join(skipped))
        tap.ok(want, "policy (%s): the authenticated sender's log line" % skip, "\n".join(skipped))
        m.stop(graceful=False)


def test_policy_postfix(tap):
    """(b) a banned .exe through the real Postfix: 550 5.7.0 with the reason."""
    restart_milter({"banned_names": "*.exe"})
    program = b"MZ\x90\x00" + bytes(range(256)) * 8
    rc, tr = pf.swaks("carol@example.test", message("invoice", program, name="invoice.exe"))
    want = ("<** 550 5.7.0 message refused: Banned.Name.exe in part 2 "
            "(banned_names *.exe: reject)")
    tap.ok(rc != 0 and want in end_of_data(tr),
           "policy: a clean program named invoice.exe refused with 550 5.7.0 and the rule",
           tr[-1500:])
    tap.ok(pf.wait_queue_empty(T) and not pf.queue(), "policy: nothing queued")
    rc, tr = pf.swaks("carol@example.test", message("a pdf", program, name="invoice.pdf"))
    tap.ok(rc == 0 and "<-  250 " in end_of_data(tr),
           "policy: the same bytes named invoice.pdf are accepted", tr[-1500:])
    tap.ok(pf.wait_maildir("carol", 1, T) and pf.maildir_count("carol") == 1,
           "policy: only the .pdf is delivered (to carol)")
    restart_milter({})


def test_scanner_down(tap):
    """(b) mxscand stopped: 451 4.3.0, nothing delivered; the milter stopped: Postfix 4xx."""
    global scand
    scand.stop()
    rc, tr = pf.swaks("bob@example.test", clean_message("while the scanner is down"))
    tap.ok(rc != 0 and "<** 451 4.3.0 virus scanner unavailable" in end_of_data(tr),
           "scanner down: swaks sees 451 4.3.0", tr[-1500:])
    tap.ok(not pf.queue() and pf.maildir_count("bob") == 2, "scanner down: nothing queued or "
           "delivered")
    tap.ok("verdict=unavailable" in milter.logtext() and "action=tempfail" in milter.logtext(),
           "scanner down: the milter logs unavailable / tempfail")
    scand = mxtest.Daemon(db, workdir=scand.dir, options=scand.options)

    milter.stop(graceful=False)
    rc, tr = pf.swaks("bob@example.test", clean_message("while the milter is down"))
    tap.ok(rc != 0 and ("<** 451 4.7.1" in tr or "<** 421 4.3.5" in tr),
           "milter down: Postfix answers 4xx (milter_default_action = tempfail)", tr[-1500:])
    tap.eq(pf.maildir_count("bob"), 2, "milter down: nothing delivered")
    restart_milter({})
    rc, tr = pf.swaks("bob@example.test", clean_message("milter back"))
    tap.ok(rc == 0 and pf.wait_maildir("bob", 3, T), "milter back: clean mail delivered again")


def test_limits(tap):
    """(c) over mxscand's stream limit: held (milter_limit_action), never accepted unscanned."""
    big = clean_message("three megabytes", size=3 * 1024 * 1024)
    code, text = smtp_send(pf.smtp_port, big)
    tap.eq(code, 250, "over the stream limit: accepted into the MTA's quarantine (250)")
    held = [q for q in pf.queue() if q.get("queue_name") == "hold"]
    tap.eq(len(held), 1, "over the stream limit: on the hold queue, not delivered")
    tap.ok("verdict=limit, signature=INSTREAM_size_limit_exceeded." in milter.logtext() and
           pf.log_lines(r"milter-hold: END-OF-MESSAGE"),
           "over the stream limit: the milter logs why, Postfix logs the hold",
           pf.logtext()[-1500:] + milter.logtext()[-600:])
    tap.eq(pf.maildir_count("bob"), 3, "over the stream limit: nothing delivered")
    subprocess.run(["postsuper", "-c", pf.conf_dir, "-d", "ALL", "hold"], capture_output=True)


class FakeScanner:
    """A scanner that reads part of a MIMESCAN and then hangs or closes."""

    def __init__(self, path, mode):
        self.path, self.mode = path, mode
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        self.sock.listen(16)
        self.conns = []
        self.stopped = False
        threading.Thread(target=self.run, daemon=True).start()
        mxtest.on_cleanup(self.stop)

    def run(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            try:
                c.recv(3000)
            except OSError:
                pass
            if self.mode == "die":
                c.close()

    def stop(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            c.close()


def test_scanner_hangs_dies(tap):
    """(c) a scanner that hangs or dies mid-stream: 451 4.3.0; with a
    second endpoint the kept copy is scanned there."""
    hang = FakeScanner(os.path.join(work, "hang.sock"), "hang")
    die = FakeScanner(os.path.join(work, "die.sock"), "die")
    body = clean_message("big enough to stream", size=400000)
    restart_milter({"endpoints": ["unix:" + hang.path], "milter_scan_timeout": "%ds" % (2 * SLOW)})
    code, text = smtp_send(pf.smtp_port, body)
    tap.ok(code == 451 and text.startswith("4.3.0"), "scanner hangs: 451 4.3.0",
           "%s %s" % (code, text))
    restart_milter({"endpoints": ["unix:" + die.path]})
    code, text = smtp_send(pf.smtp_port, body)
    tap.ok(code == 451 and text.startswith("4.3.0"), "scanner dies mid-stream: 451 4.3.0",
           "%s %s" % (code, text))
    tap.eq(pf.maildir_count("bob"), 3, "hung or dead scanner: nothing delivered")
    restart_milter({"endpoints": ["unix:" + die.path, "unix:" + scand.socket],
                    "milter_memory_max": "64k"})
    code, text = smtp_send(pf.smtp_port, infected_message("failover") + body[:200000])
    tap.ok(code == 550 and text.startswith("5.7.0"),
           "scanner dies mid-stream, second endpoint: the kept copy (spooled past "
           "milter_memory_max) is scanned there, 550 5.7.0", "%s %s\n%s" % (
               code, text, milter.logtext()[-1000:]))
    tap.ok("endpoint=unix:%s" % scand.socket in milter.logtext().splitlines()[-1],
           "failover: the log names the endpoint that answered")
    hang.stop()
    die.stop()
    restart_milter({})


def test_hostile_concurrency(tap):
    """(c) a client that drops mid-body; 40 concurrent SMTP sessions; no
    descriptor growth, bounded RSS."""
    s = socket.create_connection(("127.0.0.1", pf.smtp_port))
    f = s.makefile("rwb")
    f.readline()
    for line in (b"EHLO drop.example.test", b"MAIL FROM:<a@example.test>",
                 b"RCPT TO:<bob@example.test>", b"DATA"):
        f.write(line + b"\r\n")
        f.flush()
        while True:
            r = f.readline()
            if r[3:4] != b"-":
                break
    f.write(b"Subject: dropped\r\n\r\n" + b"x" * 100000)
    f.flush()
    s.close()
    # (Postfix's cleanup may keep the milter connection of the dropped
    # client's transaction; the baseline is taken after it)
    for _ in range(3):
        smtp_send(pf.smtp_port, b"warm-up\r\n")
    base_fds = milter.fds()
    before = milter.fd_list()
    base_rss = milter.rss_kb()
    msgs = [infected_message("c%d" % i) if i % 2 else clean_message("c%d" % i)
            for i in range(40)]
    with ThreadPoolExecutor(40) as ex:
        replies = list(ex.map(lambda m: smtp_send(pf.smtp_port, m), msgs))
    want = [550 if i % 2 else 250 for i in range(40)]
    tap.eq([r[0] for r in replies], want, "40 concurrent sessions: each gets its own verdict")
    tap.ok(milter.proc.poll() is None, "the milter survived a dropped client and 40 sessions")
    ok = mxtest.wait_for(lambda: milter.fds() <= base_fds, T)
    tap.ok(ok, "no descriptor left behind (%d before, %d after)" % (base_fds, milter.fds()),
           before + "\n--\n" + milter.fd_list() + "\n" +
           subprocess.run(["ss", "-xp"], capture_output=True, text=True).stdout[-3000:])
    grow = milter.rss_kb() - base_rss
    tap.ok(grow < 64 * 1024, "RSS after 40 sessions within 64 MB of before (%d kB)" % grow)
    tap.ok(pf.wait_maildir("bob", 3 + 20, T), "the 20 clean ones are delivered")


if __name__ == "__main__":
    mxtest.run(globals())
