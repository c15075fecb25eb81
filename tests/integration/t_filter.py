#!/usr/bin/env python3
"""t_filter - mxscan-filter between a Python SMTP client and a capture
server (or Postfix's smtp-sink), with a real mxscand; no Postfix.

Shows: (a) a transparent hop (bytes, parameters, XFORWARD, pipelining),
(b) every infected action, (c) scanner failure, (d) forward-server
faults, (e) mxscan-quarantine, (f) concurrency, (g) bounded inputs.
"""
import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
from smtptest import Capture, Filter, SLOW, quarantine, simple_message  # noqa: E402

tap = mxtest.Tap()
for prog in ("smtp-sink",):
    if shutil.which(prog) is None and not os.path.exists("/usr/sbin/" + prog):
        tap.skip_all("missing " + prog)
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
FILTER_BIN = os.path.join(mxtest.BUILDDIR, "wrappers", "filter", "mxscan-filter")
VERSION = subprocess.run([FILTER_BIN, "-V"], stdout=subprocess.PIPE).stdout.split()[1]

filters = []
sinks = []


@mxtest.setup
def start(tap):
    global work, db, scand, cap
    work = mxtest.tmpdir("t_filter")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    os.makedirs(os.path.join(work, "scand"))
    scand = mxtest.Daemon(db, workdir=os.path.join(work, "scand"))
    cap = Capture()


def start_filter(options=None, forward=None, wait=True, scanner=True):
    f = Filter(scand.socket if scanner else os.path.join(work, "nothing.sock"),
               forward or cap.addr, work, options, wait=wait)
    filters.append(f)
    return f


def start_refused(*options):
    """Start the filter in the foreground with OPTIONS (name=value) and an
    empty configuration; returns (exit code, output) once it gives up."""
    argv = [FILTER_BIN, "-f", "-o", "filter_user=", "-o",
            "filter_listen=127.0.0.1:%d" % mxtest.free_port(), "-c", "/dev/null"]
    for o in options:
        argv[2:2] = ["-o", o]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30 * SLOW)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def multipart(parts):
    """A multipart/mixed message; PARTS are (content-type, filename, bytes):
    text/* as 8bit, message/* as it is, the rest base64."""
    def leaf(ctype, name, data):
        cte = "8bit" if ctype.startswith("text/") else None if ctype.startswith("message/") else "base64"
        return mimegen.leaf(data, ctype, name=name, filename=name, cte=cte)
    return mimegen.multipart_message(
        [leaf(*p) for p in parts], boundary=b"BOUNDARY-mx-42",
        headers=["From: a@example.test", "To: b@example.test", "Subject: parts", "MIME-Version: 1.0"],
        preamble=b"Preamble.\r\n", epilogue=b"Epilogue.\r\n")


EICAR_MSG = multipart([("text/plain", None, "Grüße, see attached.".encode()),
                       ("application/octet-stream", "eicar.com", mxtest.EICAR),
                       ("application/pdf", "report.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 8)])


def send(f, body, rcpts=("rcpt@example.test",), sender="sender@example.test", **kw):
    c = f.client()
    try:
        r = c.mail(sender, list(rcpts), body, **kw)
        c.cmd("QUIT")
        return r
    finally:
        c.close()


marker_n = [0]


def not_delivered(f, what):
    """Send a clean marker after WHAT: only the marker may arrive."""
    marker_n[0] += 1
    marker = simple_message(b"marker %d\r\n" % marker_n[0])
    r = send(f, marker)
    cap.wait(1)
    got = cap.take()
    tap.ok(r[0] == 250 and len(got) == 1 and got[0].data == marker,
           "%s: not delivered (only the next clean message arrived)" % what,
           [g.data[:80] for g in got])


def sink(*opts):
    port = mxtest.free_port()
    p_ = mxtest.spawn([SMTP_SINK, "-u", "nobody"] + list(opts) + ["127.0.0.1:%d" % port, "64"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sinks.append(p_)

    def up():
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    mxtest.wait_for(up, 10 * SLOW)
    return "127.0.0.1:%d" % port


def test_transparent(tap):
    """(a) a transparent hop: bytes, parameters, XFORWARD, pipelining."""
    f = start_filter()
    tricky = (b"From: s@example.test\r\nTo: r@example.test\r\nSubject: dots\r\n\r\n"
              b".leading dot\r\n..two dots\r\n.\r\n. \r\nmid.dle\r\n" +
              "8-bit: Grüße, ½, ÿ\r\n".encode() + b"x" * 5000 + b"\r\n" +
              b"trailing CR\rinside\r\n" + bytes(range(1, 256)).replace(b"\r", b"").replace(b"\n", b"") +
              b"\r\n.")
    tricky += b"\r\n"
    r = send(f, tricky, rcpts=["r1@example.test", "r2@example.test"],
             xforward="NAME=client.example ADDR=192.0.2.7 PROTO=ESMTP HELO=helo.example IDENT=4ABCDEF",
             mail_params=" SIZE=%d BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=e1" % len(tricky))
    tap.eq(r[0], 250, "clean message accepted with the forward server's reply")
    tap.ok("CAPTURE1" in " ".join(r[1]), "final reply is the forward server's own", r)
    tap.ok(cap.wait(1), "delivered downstream")
    got = cap.take()
    t = got[0] if got else None
    tap.ok(t is not None and t.data == tricky, "body byte-identical (dots, 8-bit, long lines, CR)",
           "%r" % (t.data[:300] if t else None))
    tap.eq(t.mail if t else None,
           b"<sender@example.test> SIZE=%d BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=e1" % len(tricky),
           "MAIL parameters passed through")
    tap.eq(t.rcpt if t else None, [b"<r1@example.test>", b"<r2@example.test>"], "recipients passed")
    tap.eq(t.xforward if t else None,
           [b"XFORWARD NAME=client.example ADDR=192.0.2.7 PROTO=ESMTP HELO=helo.example IDENT=4ABCDEF"],
           "XFORWARD replayed before MAIL")

    # EHLO announces what the forward server has.
    c = f.client()
    e = c.cmd("EHLO x.test")
    ehlo = " ".join(e[1])
    tap.ok(all(k in ehlo for k in ("PIPELINING", "8BITMIME", "SMTPUTF8", "DSN", "XFORWARD NAME ADDR")),
           "EHLO announces the forward server's extensions", ehlo)
    tap.ok("CHUNKING" not in ehlo and "STARTTLS" not in ehlo, "no CHUNKING or STARTTLS")
    # DSN parameters on RCPT, pipelined transaction in one write.
    msg2 = simple_message(b"pipelined\r\n")
    c.send(b"MAIL FROM:<p@example.test>\r\nRCPT TO:<q@example.test> NOTIFY=SUCCESS,DELAY "
           b"ORCPT=rfc822;q@example.test\r\nDATA\r\n")
    rs = [c.reply()[0] for _ in range(3)]
    c.send(msg2.replace(b"\r\n.", b"\r\n..") + b".\r\nMAIL FROM:<p2@example.test>\r\n"
           b"RCPT TO:<q2@example.test>\r\nDATA\r\n")
    rs += [c.reply()[0] for _ in range(4)]
    c.send(msg2 + b".\r\nQUIT\r\n")
    rs += [c.reply()[0] for _ in range(2)]
    c.close()
    tap.eq(rs, [250, 250, 354, 250, 250, 250, 354, 250, 221], "pipelined commands answered in order")
    cap.wait(2)
    got = cap.take()
    tap.ok(len(got) == 2 and got[0].rcpt == [b"<q@example.test> NOTIFY=SUCCESS,DELAY "
                                            b"ORCPT=rfc822;q@example.test"] and got[1].data == msg2,
           "DSN RCPT parameters and pipelined bodies intact",
           [(g.rcpt, g.data[:60]) for g in got])


    # XFORWARD only as the forward server allows it.
    c = f.client()
    c.cmd("EHLO client.test")
    r1 = c.code("XFORWARD BOGUS=1")
    c.cmd("MAIL FROM:<x@example.test>")
    r2 = c.code("XFORWARD ADDR=192.0.2.1")
    c.cmd("RSET")
    c.close()
    cap_plain = Capture(exts=["PIPELINING", "8BITMIME"])
    fplain = start_filter(forward=cap_plain.addr)
    c = fplain.client()
    e = " ".join(c.cmd("EHLO client.test")[1])
    r3 = c.code("XFORWARD ADDR=192.0.2.1")
    r4 = c.mail("a@example.test", ["b@example.test"], simple_message(), ehlo=False,
                mail_params=" BODY=8BITMIME")
    c.close()
    cap_plain.wait(1)
    got = cap_plain.take()
    cap_plain.stop()
    tap.ok(r1 == 501 and r2 == 503 and r3 == 502 and "XFORWARD" not in e and "SMTPUTF8" not in e
           and "DSN" not in e and r4[0] == 250 and len(got) == 1 and got[0].xforward == [],
           "XFORWARD: unknown attribute 501, inside a transaction 503, not offered when the "
           "forward server lacks it (502); SMTPUTF8/DSN likewise", (r1, r2, r3, e, r4))

    # Random dot, CR and 8-bit lines of random lengths, pipelined on one
    # connection: the end-of-data marker and stuffing fall at every
    # position of the filter's read buffers.
    import random
    rnd = random.Random(5321)
    pieces = [b".", b"..", b".\r", b"\r", b" ", b"x", "é".encode(), b"\xff", b"\x00", b"\t"]
    msgs = []
    for i in range(8):
        lines = [b"Subject: random %d" % i, b""]
        for _ in range(rnd.randrange(50, 400)):
            n = rnd.choice([0, 1, 2, 3, 10, 80, 999, 1000, 1001, 4000])
            line = b"".join(rnd.choice(pieces) for _ in range(n))
            lines.append(line.replace(b"\r\n", b"\r_"))
        body = b"\r\n".join(lines) + b"\r\n"
        if body.endswith(b"\r\r\n"):
            body = body[:-3] + b"_\r\n"
        msgs.append(body)
    c = f.client()
    c.cmd("EHLO client.test")
    blob = b""
    for m in msgs:
        blob += b"MAIL FROM:<r@example.test>\r\nRCPT TO:<s@example.test>\r\nDATA\r\n"
        blob += (b"." + m if m.startswith(b".") else m).replace(b"\r\n.", b"\r\n..") + b".\r\n"
    c.send(blob + b"QUIT\r\n")
    rs = [c.reply()[0] for _ in range(4 * len(msgs) + 1)]
    c.close()
    cap.wait(len(msgs))
    got = cap.take()
    tap.ok(rs == [250, 250, 354, 250] * len(msgs) + [221] and [g.data for g in got] == msgs,
           "%d random messages pipelined on one connection: byte-identical" % len(msgs),
           (rs, [len(g.data) for g in got], [len(m) for m in msgs]))

    # Spooled (filter_memory_max = 0): same bytes; private 0700 spool directory.
    fsp = start_filter({"filter_memory_max": "0"})
    big = simple_message((b"line of a spooled message " * 40 + b"\r\n.dot\r\n") * 300)
    r = send(fsp, big)
    cap.wait(1)
    got = cap.take()
    tap.ok(r[0] == 250 and len(got) == 1 and got[0].data == big,
           "spooled message (filter_memory_max = 0) delivered byte-identical", r)
    spools = [d for d in os.listdir(work) if d.startswith("mxscan-filter.")]
    tap.ok(spools and all(oct(os.stat(os.path.join(work, d)).st_mode & 0o777) == "0o700" and
                          os.listdir(os.path.join(work, d)) == [] for d in spools),
           "private spool directories are 0700 and left empty", spools)

    # Queue id from Postfix's Received: header when XFORWARD has no IDENT.
    rcvd = (b"Received: from client.example (client.example [192.0.2.1])\r\n"
            b"\tby mx.example (Postfix) with ESMTP id 4Qx7Yz1AbcZ9\r\n\tfor <r@example.test>; "
            b"Mon, 23 Nov 2026 17:00:00 +0000 (UTC)\r\n")
    r = send(fsp, simple_message(b"with received\r\n").replace(b"From:", rcvd + b"From:", 1))
    cap.take()
    tap.ok(r[0] == 250 and "4Qx7Yz1AbcZ9: client=127.0.0.1" in fsp.logtext(),
           "queue id taken from the Received: header", fsp.logtext()[-600:])

    # A forward connection that went away between transactions is reopened.
    cap2 = Capture(close_after_data=True)
    fre = start_filter(forward=cap2.addr)
    c = fre.client()
    r1 = c.mail("a@example.test", ["b@example.test"], simple_message(b"one\r\n"))
    r2 = c.mail("a@example.test", ["b@example.test"], simple_message(b"two\r\n"), ehlo=False)
    c.close()
    tap.ok(r1[0] == 250 and r2[0] == 250 and cap2.wait(2),
           "second transaction after the forward server closed: reconnected", (r1, r2))
    cap2.stop()


def test_infected_actions(tap):
    """(b) every infected action."""
    global fq, qdir, qid
    fq = start_filter()
    qdir = fq.options["filter_quarantine_dir"]
    r = send(fq, EICAR_MSG, rcpts=["v1@example.test", "v2@example.test"],
             xforward="ADDR=198.51.100.9 IDENT=QID777", mail_params=" BODY=8BITMIME")
    tap.ok(r[0] == 250 and "quarantined as" in r[1][0] and mxtest.EICAR_SIG in r[1][0],
           "quarantine: 250 naming the quarantine id and signature", r)
    not_delivered(fq, "quarantine")
    envs = sorted(x for x in os.listdir(qdir) if x.endswith(".env"))
    tap.eq(len(envs), 1, "quarantine: one entry stored")
    qid = envs[0][:-4] if envs else "none"
    with open(os.path.join(qdir, qid + ".msg"), "rb") as fh:
        tap.ok(fh.read() == EICAR_MSG, "quarantine: message stored byte for byte")
    st = os.stat(os.path.join(qdir, qid + ".msg"))
    tap.eq(oct(st.st_mode & 0o777), "0o600", "quarantine: file mode 0600")
    tap.ok("QID777: client=198.51.100.9" in fq.logtext() and "verdict=infected" in fq.logtext(),
           "one log line with queue id, client and verdict", fq.logtext()[-1500:])

    fd = start_filter({"filter_infected_action": "discard"})
    r = send(fd, EICAR_MSG)
    tap.ok(r[0] == 250 and "discarded" in r[1][0], "discard: 250", r)
    not_delivered(fd, "discard")

    ft = start_filter({"filter_infected_action": "tag"})
    r = send(ft, EICAR_MSG)
    cap.wait(1)
    got = cap.take()
    want = b"X-Virus-Status: Infected (" + mxtest.EICAR_SIG.encode() + b")\r\n" + EICAR_MSG
    tap.ok(r[0] == 250 and len(got) == 1 and got[0].data == want,
           "tag: delivered with X-Virus-Status on top, message unchanged",
           [g.data[:120] for g in got])

    fs = start_filter({"filter_infected_action": "strip", "filter_add_headers": "yes"})
    r = send(fs, EICAR_MSG)
    cap.wait(1)
    got = cap.take()
    tap.ok(r[0] == 250 and len(got) == 1, "strip: delivered", r)
    if got:
        m = email.message_from_bytes(got[0].data, policy=email.policy.compat32)
        orig = email.message_from_bytes(EICAR_MSG, policy=email.policy.compat32)
        parts = m.get_payload() if m.is_multipart() else []
        oparts = orig.get_payload()
        tap.ok(len(parts) == 3 and not m.defects, "strip: a valid multipart with 3 parts",
               got[0].data[:600])
        if len(parts) == 3:
            tap.ok(parts[0].get_payload(decode=True) == oparts[0].get_payload(decode=True) and
                   parts[2].get_payload(decode=True) == oparts[2].get_payload(decode=True),
                   "strip: clean parts decode to the same bytes")
            notice = parts[1].get_payload(decode=True) or b""
            tap.ok(parts[1].get_content_type() == "text/plain" and
                   mxtest.EICAR_SIG.encode() in notice and b"eicar.com" in notice,
                   "strip: infected part replaced by a text/plain notice", notice)
        tap.ok(b"\n" not in got[0].data.replace(b"\r\n", b""), "strip: CR LF line ends only")
        tap.ok(b"X-Virus-Status: Cleaned (1 infected part removed" in got[0].data and
               b"X-Virus-Scanned: mxscan-filter" in got[0].data,
               "strip: status headers added", got[0].data[:300])
        rescan = mxtest.request(scand.socket, b"zINSTREAM\0" + mxtest.instream_bytes(got[0].data))
        tap.eq(rescan, b"stream: OK\0", "strip: the delivered message scans clean")

    # Two infected parts, one inside an attached message: strip scans
    # again after each replacement (mxscand names only the first).
    inner = mimegen.message(["Subject: inner", 'Content-Type: application/octet-stream; name="in.com"',
                             "Content-Transfer-Encoding: base64"], mimegen.b64_lines(mxtest.EICAR))
    two = multipart([("text/plain", None, b"two viruses"),
                     ("application/x-msdownload", "a.exe", mxtest.EICAR),
                     ("message/rfc822", None, inner)])
    r = send(fs, two)
    cap.wait(1)
    got = cap.take()
    ok = r[0] == 250 and len(got) == 1
    if ok:
        rescan = mxtest.request(scand.socket, b"zINSTREAM\0" + mxtest.instream_bytes(got[0].data))
        ok = (rescan == b"stream: OK\0" and b"Cleaned (2 infected parts removed" in got[0].data and
              got[0].data.count(b"was removed by the virus") == 2 and b"Subject: inner" in got[0].data)
    tap.ok(ok, "strip: two infected parts (one in an attached message) replaced",
           got[0].data[:1500] if got else r)

    # A single-part message whose body is the virus, and a uuencoded virus
    # inside a text body (reported as part "1.uu1"): the notice takes the
    # place of the whole body; the headers stay.
    single = mimegen.message(["From: a@example.test", "Subject: single", "MIME-Version: 1.0",
                              'Content-Type: application/octet-stream; name="e.com"',
                              "Content-Transfer-Encoding: base64"], mimegen.b64_lines(mxtest.EICAR))
    uumsg = mimegen.message(["From: a@example.test", "Subject: uu"],
                            b"See below.\r\n" + mimegen.uuencode(mxtest.EICAR, "e.com", backtick=False))
    for name, m in (("single-part", single), ("uuencoded", uumsg)):
        r = send(fs, m)
        cap.wait(1)
        got = cap.take()
        ok = r[0] == 250 and len(got) == 1
        if ok:
            d = got[0].data
            rescan = mxtest.request(scand.socket, b"zINSTREAM\0" + mxtest.instream_bytes(d))
            ok = (rescan == b"stream: OK\0" and b"was removed by the virus" in d and
                  b"Subject: " + (b"single" if name == "single-part" else b"uu") in d)
        tap.ok(ok, "strip: %s virus replaced by a notice" % name, got[0].data[:800] if got else r)

    fr = start_filter({"filter_infected_action": "reject", "filter_mode": "before-queue"})
    r = send(fr, EICAR_MSG)
    tap.ok(r[0] == 550 and r[1][0].startswith("550 5.7.0"), "reject (before-queue): 550 5.7.0", r)
    not_delivered(fr, "reject")

    fbq = start_filter({"filter_mode": "before-queue",
                        "filter_quarantine_dir": os.path.join(work, "quarantine-bq")})
    r = send(fbq, EICAR_MSG)
    tap.ok(r == (250, ["250 2.0.0 Ok"]), "before-queue quarantine: a plain 250, nothing for the sender", r)
    tap.eq(len(cap.take()), 0, "before-queue quarantine: nothing delivered")

    p = subprocess.run([FILTER_BIN, "-n", "-c", "/dev/null", "-o", "filter_mode=before-queue",
                        "-o", "filter_infected_action=reject"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30 * SLOW)
    tap.ok(p.returncode == 0 and b"filter_infected_action = reject" in p.stdout,
           "-n checks the settings and prints the non-default ones", p)

    rc, out = start_refused("filter_infected_action=reject")
    tap.ok(rc != 0 and "before-queue" in out,
           "reject in after-queue mode is a start-up error", out)

    fh_ = start_filter({"filter_add_headers": "yes"})
    clean = simple_message(b"clean with headers\r\n")
    r = send(fh_, clean)
    cap.wait(1)
    got = cap.take()
    tap.ok(r[0] == 250 and len(got) == 1 and
           got[0].data == b"X-Virus-Scanned: mxscan-filter " + VERSION + b" on filter.test\r\n"
           b"X-Virus-Status: Clean\r\n" + clean,
           "filter_add_headers: X-Virus-Scanned and X-Virus-Status on top", [g.data[:200] for g in got])
    # A sender's own X-Virus-* fields (any case, folded) do not pass.
    forged = (b"X-Virus-Status: Clean\r\nSubject: forged verdicts\r\nx-virus-scanned: by\r\n"
              b" a friend\r\nFrom: a@example.org\r\n\r\nX-Virus-Status: body text stays\r\n")
    r = send(fh_, forged)
    cap.wait(1)
    got = cap.take()
    tap.ok(r[0] == 250 and len(got) == 1 and
           got[0].data == b"X-Virus-Scanned: mxscan-filter " + VERSION + b" on filter.test\r\n"
           b"X-Virus-Status: Clean\r\nSubject: forged verdicts\r\nFrom: a@example.org\r\n\r\n"
           b"X-Virus-Status: body text stays\r\n",
           "filter_add_headers: the message's own X-Virus-* header fields are replaced, the body kept",
           [g.data[:300] for g in got])
    r = send(ft, b"X-Virus-Status: Clean\r\n" + EICAR_MSG)
    cap.wait(1)
    got = cap.take()
    tap.ok(r[0] == 250 and len(got) == 1 and got[0].data == want,
           "tag: a forged X-Virus-Status: Clean is replaced by the verdict", [g.data[:200] for g in got])


def test_scanner_failure(tap):
    """(c) scanner failure and mxscand's limits."""
    fdown = start_filter(scanner=False)
    r = send(fdown, simple_message())
    # The reply to "." comes only after the forward server answered, so
    # whatever was delivered is already captured when it arrives.
    tap.ok(r[0] == 451 and r[1][0].startswith("451 4.3.0"), "scanner down: 451 4.3.0", r)
    tap.eq(len(cap.take()), 0, "scanner down: nothing delivered")
    fpass = start_filter({"filter_failure_action": "pass"}, scanner=False)
    msg = simple_message(b"unscanned\r\n")
    r = send(fpass, msg)
    cap.wait(1)
    got = cap.take()
    tap.ok(r[0] == 250 and len(got) == 1 and
           got[0].data.startswith(b"X-Virus-Status: Unscanned (") and got[0].data.endswith(msg),
           "failure_action=pass: delivered, marked Unscanned", [g.data[:200] for g in got])

    # Over mxscand's limits: a message that will never be scanned meets
    # filter_limit_action (default quarantine), not a 451 that Postfix
    # would retry until the message bounces.
    os.makedirs(os.path.join(work, "scand-lim"))
    lim = mxtest.Daemon(db, workdir=os.path.join(work, "scand-lim"),
                        options={"scand_mime_max_parts": "4", "scand_stream_max_length": "40k"})
    many = multipart([("text/plain", None, b"part %d" % k) for k in range(6)])
    big = multipart([("application/octet-stream", "big.bin", bytes(range(256)) * 256)])

    def lim_filter(options=None):
        f_ = Filter(lim.socket, cap.addr, work, options)
        filters.append(f_)
        return f_

    flq = lim_filter({"filter_quarantine_dir": os.path.join(work, "quarantine-limit")})
    for what, m in (("six MIME parts (limit 4)", many), ("a 90 KB message (stream limit 40k)", big)):
        # The reply to "." comes only after the forward server answered: what
        # was delivered is captured by then (no time-out waited out).
        r = send(flq, m)
        tap.ok(r[0] == 250 and "quarantined as" in r[1][0] and "not scanned" in r[1][0]
               and len(cap.take()) == 0,
               "over a limit, %s: quarantined (250), not delivered" % what, r)
    rc, out, err = quarantine(flq.conf, "list")
    listing = out.decode("utf-8", "replace")
    # Both made within a second, one after the other: the ids carry the
    # microsecond, so the listing is oldest first all the same.
    tap.ok(rc == 0 and [line.split()[3] for line in listing.splitlines()] ==
           ["Unscanned:MIME_part_limit_exceeded.", "Unscanned:INSTREAM_size_limit_exceeded."],
           "over a limit: both kept in the quarantine, oldest first, the reason as signature",
           (rc, out, err))
    qids = [line.split()[0] for line in listing.splitlines()]
    kept = [quarantine(flq.conf, "show", q)[1] for q in qids]
    tap.ok(any(k.endswith(b"\n\n" + many) for k in kept) and any(k.endswith(b"\n\n" + big) for k in kept),
           "over a limit: the quarantine holds the exact messages", [k[:200] for k in kept])
    log = flq.logtext()
    tap.ok("verdict=over-limit" in log and "action=quarantined" in log,
           "over a limit: logged as verdict=over-limit, action=quarantined", log[-1500:])
    flt = lim_filter({"filter_limit_action": "tempfail",
                      "filter_quarantine_dir": os.path.join(work, "quarantine-limit2")})
    r = send(flt, many)
    tap.ok(r[0] == 451 and r[1][0].startswith("451 4.3.0") and len(cap.take()) == 0,
           "filter_limit_action=tempfail: 451 4.3.0, nothing delivered", r)
    flp = lim_filter({"filter_limit_action": "pass"})
    r = send(flp, many)
    cap.wait(1)
    got = cap.take()
    tap.ok(r[0] == 250 and len(got) == 1 and
           got[0].data == b"X-Virus-Status: Unscanned (MIME part limit exceeded.)\r\n" + many,
           "filter_limit_action=pass: delivered, marked Unscanned with the reason",
           [g.data[:200] for g in got])
    flr = lim_filter({"filter_limit_action": "reject", "filter_mode": "before-queue"})
    r = send(flr, big)
    tap.ok(r[0] == 552 and r[1][0].startswith("552 5.3.4") and len(cap.take()) == 0,
           "filter_limit_action=reject (before-queue): 552 5.3.4, nothing delivered", r)
    # Malware among the parts read before the limit is still found.
    over_eicar = multipart([("application/octet-stream", "eicar.com", mxtest.EICAR)] +
                           [("text/plain", None, b"part %d" % k) for k in range(6)])
    r = send(flt, over_eicar)
    tap.ok(r[0] == 250 and "virus found" in r[1][0] and len(cap.take()) == 0,
           "over a limit with EICAR read first: infected (quarantined), not over-limit", r)
    rc, out = start_refused("filter_limit_action=reject")
    tap.ok(rc != 0 and "filter_limit_action = reject needs filter_mode = before-queue" in out,
           "filter_limit_action=reject in after-queue mode is a start-up error", out)
    lim_rc = lim.stop()
    tap.ok(lim_rc == 0, "the limited mxscand stopped cleanly", lim.logtext()[-2000:])

    ffo = start_filter({"scanner_endpoints": "unix:%s unix:%s" % (os.path.join(work, "gone.sock"),
                                                                scand.socket),
                        "filter_infected_action": "discard"})
    r = send(ffo, EICAR_MSG)
    tap.ok(r[0] == 250 and "discarded" in r[1][0] and
           "scanner=unix:%s" % scand.socket in ffo.logtext(),
           "first scanner endpoint down: the next one answers (failover)", r)

    # The quarantine cannot be written: 451, Postfix keeps the message.
    qgone = os.path.join(work, "quarantine-gone")
    fqg = start_filter({"filter_quarantine_dir": qgone})
    mxtest.rmtree(qgone)
    r = send(fqg, EICAR_MSG)
    tap.ok(r[0] == 451 and r[1][0].startswith("451 4.3.0") and not cap.take(),
           "quarantine not writable: 451 4.3.0, nothing delivered", r)


def test_forward_faults(tap):
    """(d) forward-server faults (Postfix's smtp-sink)."""
    def via_sink(opts, what, check, rcpt="r@example.test", options=None):
        fx = start_filter(options, forward=sink(*opts))
        c = fx.client()
        steps = [c.cmd("EHLO client.test")]
        steps.append(c.cmd("MAIL FROM:<s@example.test>"))
        if steps[-1][0] == 250:
            steps.append(c.cmd("RCPT TO:<%s>" % rcpt))
            if steps[-1][0] == 250:
                steps.append(c.cmd("DATA"))
                if steps[-1][0] == 354:
                    c.send(b"Subject: x\r\n\r\nbody\r\n.\r\n")
                    steps.append(c.reply())
        c.cmd("QUIT")
        c.close()
        last = steps[-1]
        tap.ok(check(last, steps), "forward server %s: %s" % (what, last[1][:1]), steps)
        return fx

    via_sink(["-Q", "CONNECT"], "greets 421",
             lambda r, st: r[0] == 451 and len(st) == 2)
    via_sink(["-f", "RCPT", "-B", "550 5.1.1 <r@example.test>: Recipient address rejected"],
             "5xx at RCPT is relayed faithfully",
             lambda r, st: r == (550, ["550 5.1.1 <r@example.test>: Recipient address rejected"]))
    via_sink(["-r", "RCPT"], "4xx at RCPT is relayed",
             lambda r, st: r == (450, ["450 4.3.0 Error: command failed"]))
    via_sink(["-Q", "RCPT"], "421 at RCPT becomes 451",
             lambda r, st: r[0] == 451)
    via_sink(["-Q", "MAIL"], "421 at MAIL becomes 451",
             lambda r, st: r[0] == 451)
    via_sink(["-r", "."], "4xx at end of data is relayed",
             lambda r, st: r[0] == 450 and len(st) == 5)
    via_sink(["-f", "."], "5xx at end of data is relayed",
             lambda r, st: r[0] == 500 and len(st) == 5)
    via_sink(["-q", "."], "disconnect at end of data gives 451",
             lambda r, st: r[0] == 451 and len(st) == 5)
    via_sink(["-Q", "."], "421 at end of data gives 451",
             lambda r, st: r[0] == 451 and len(st) == 5)
    via_sink(["-q", "DATA"], "disconnect at DATA gives 451",
             lambda r, st: r[0] == 451 and len(st) == 5)
    t0 = time.time()
    via_sink(["-W", ".:30"], "slower than filter_forward_timeout gives 451",
             lambda r, st: r[0] == 451 and len(st) == 5 and time.time() - t0 < 20 * SLOW,
             options={"filter_forward_timeout": "1s"})


def test_quarantine(tap):
    """(e) mxscan-quarantine."""
    conf = fq.conf
    rc, out, err = quarantine(conf, "list")
    tap.ok(rc == 0 and out.decode().startswith(qid + " ") and mxtest.EICAR_SIG in out.decode(),
           "mxscan-quarantine list", (rc, out, err))
    rc, out, err = quarantine(conf, "show", qid)
    tap.ok(rc == 0 and b"mail: <sender@example.test> BODY=8BITMIME\n" in out and
           b"rcpt: <v2@example.test>\n" in out and b"queue_id: QID777\n" in out and
           out.endswith(b"\n\n" + EICAR_MSG),
           "mxscan-quarantine show: envelope, then the message", out[:400])
    rc, out, err = quarantine(conf, "show", "../../etc/passwd")
    tap.ok(rc != 0, "mxscan-quarantine refuses an id that is not one", err)
    rc, out, err = quarantine(conf, "release", qid)
    cap.wait(1)
    got = cap.take()
    tap.ok(rc == 0 and len(got) == 1 and got[0].data == EICAR_MSG and
           got[0].mail == b"<sender@example.test> BODY=8BITMIME" and
           got[0].rcpt == [b"<v1@example.test>", b"<v2@example.test>"],
           "mxscan-quarantine release: original bytes and envelope delivered",
           (rc, err, [(g.mail, g.rcpt) for g in got]))
    tap.ok(not os.path.exists(os.path.join(qdir, qid + ".msg")) and
           not os.path.exists(os.path.join(qdir, qid + ".env")), "released entry removed")
    # A recipient the forward server refuses stops a release: nothing is
    # delivered and the entry stays.
    send(fq, EICAR_MSG, rcpts=["one@example.test", "two@example.test"])
    rc, out, err = quarantine(conf, "list")
    qid3 = out.split()[0].decode() if out.split() else "none"
    rc, out, err = quarantine(conf, "-o", "filter_forward=" + sink("-f", "RCPT"), "release", qid3)
    tap.ok(rc == 1 and "refused" in err and not cap.take() and
           os.path.exists(os.path.join(qdir, qid3 + ".env")),
           "mxscan-quarantine release with a refused recipient: nothing delivered, entry kept",
           (rc, err))
    quarantine(conf, "delete", qid3)
    send(fq, EICAR_MSG)
    rc, out, err = quarantine(conf, "list")
    qid2 = out.split()[0].decode() if out.split() else "none"
    rc, out, err = quarantine(conf, "delete", qid2)
    rc2, out2, err2 = quarantine(conf, "list")
    tap.ok(rc == 0 and rc2 == 0 and out2 == b"" and os.listdir(qdir) == [],
           "mxscan-quarantine delete", (rc, err, out2, os.listdir(qdir)))


def test_concurrency(tap):
    """(f) concurrency."""
    N = 30
    results = [None] * N
    bodies = {}

    def one(i):
        if i % 5 == 0:
            body = EICAR_MSG
        else:
            body = simple_message(b"parallel %d\r\n" % i + b"y" * (i * 997) + b"\r\n",
                                  subject="p%d" % i)
            bodies[i] = body
        try:
            results[i] = send(fq, body, rcpts=["p%d@example.test" % i])
        except OSError as e:
            results[i] = (0, [str(e)])

    ths = [threading.Thread(target=one, args=(i,)) for i in range(N)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120 * SLOW)
    ok_inf = all(results[i] and results[i][0] == 250 and "quarantined" in results[i][1][0]
                 for i in range(0, N, 5))
    ok_clean = all(results[i] and results[i][0] == 250 and "CAPTURE1" in results[i][1][0]
                   for i in bodies)
    cap.wait(len(bodies))
    got = cap.take()
    tap.ok(ok_inf and ok_clean, "%d parallel sessions: every reply right" % N, results)
    tap.ok(sorted(g.data for g in got) == sorted(bodies.values()),
           "%d parallel sessions: exactly the clean messages delivered, intact" % N,
           "%d delivered" % len(got))
    qn = len([x for x in os.listdir(qdir) if x.endswith(".env")])
    tap.eq(qn, N // 5, "%d parallel sessions: infected ones quarantined" % N)

    # filter_max_connections: one more connection waits, it is not refused.
    fm = start_filter({"filter_max_connections": "2"})
    c1, c2 = fm.client(), fm.client()
    s3 = socket.create_connection(("127.0.0.1", fm.port), timeout=30 * SLOW)
    # Held back, not refused: it waits in the listen backlog, unaccepted, so
    # no greeting can come (seen there, not by waiting for one).
    held = mxtest.wait_for(lambda: mxtest.listen_backlog(fm.port) == 1, 10 * SLOW)
    s3.setblocking(False)
    try:
        early = s3.recv(100)
    except BlockingIOError:
        early = None
    s3.setblocking(True)
    c1.cmd("QUIT")
    c1.close()
    s3.settimeout(30 * SLOW)
    late = s3.recv(100)
    tap.ok(c2.greeting[0] == 220 and held and early is None and late.startswith(b"220 "),
           "over filter_max_connections: the next client waits for a free slot", (early, late))
    s3.close()
    c2.close()


def test_bounded(tap):
    """(g) bounded inputs."""
    fb = start_filter({"filter_max_message_size": "4k", "filter_client_timeout": "1s"})
    c = fb.client()
    c.cmd("EHLO client.test")
    r = c.cmd(b"NOOP " + b"x" * 5000)
    tap.ok(r[0] == 500 and r[1][0].startswith("500 5.5.2"), "overlong command line: 500 5.5.2", r)
    tap.eq(c.code("NOOP"), 250, "session goes on after an overlong line")
    r = c.cmd("MAIL FROM:<s@example.test> SIZE=100000")
    tap.ok(r[0] == 552 and r[1][0].startswith("552 5.3.4"), "SIZE over the limit: 552 5.3.4", r)
    c.close()
    r = send(fb, simple_message(b"z" * 10000 + b"\r\n"))
    tap.ok(r[0] == 552 and r[1][0].startswith("552 5.3.4"), "too big message: 552 5.3.4", r)
    tap.eq(len(cap.take()), 0, "too big message: nothing delivered")
    c = fb.client()
    codes_ = []
    for i in range(25):
        junk = bytes(b for b in ((i * 37 + k) % 256 for k in range(1, 40)) if b not in (10, 13))
        try:
            codes_.append(c.cmd(junk)[0])
        except OSError:
            break
        if codes_[-1] in (0, 421):
            break
    tap.ok(codes_[:19] == [500] * 19 and 421 in codes_, "garbage: 500s, then 421 and close", codes_)
    c.close()
    c = fb.client()
    t0 = time.time()
    r = c.reply()
    eof = c.f.readline()
    tap.ok(r[0] == 421 and r[1][0].startswith("421 4.4.2") and eof == b"" and
           time.time() - t0 < 10 * SLOW, "client silence: 421 4.4.2 after filter_client_timeout", r)
    c.close()
    tap.ok("client=" in fb.logtext() and "action=too-big" in fb.logtext(), "too big message logged")


def test_stop(tap):
    codes = [(f.port, f.stop()) for f in filters]
    for p_ in sinks:
        if p_.poll() is None:
            p_.terminate()
            p_.wait(10)
    cap.stop()
    scand.stop()
    bad = [(port, rc) for port, rc in codes if rc != 0]
    tap.ok(not bad, "every mxscan-filter stopped cleanly (exit 0)",
           "\n".join("port %d exit %s:\n%s" % (port, rc, [f for f in filters if f.port == port][0].logtext()[-3000:])
                     for port, rc in bad))


if __name__ == "__main__":
    mxtest.run(globals())
