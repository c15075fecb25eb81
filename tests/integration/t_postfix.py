#!/usr/bin/env python3
"""t_postfix - mxscan-filter inside a real Postfix 3 (tests/lib/postfix.py:
a throwaway `master -d` instance on loopback ports), with a real mxscand,
mail sent with swaks and delivered to Maildirs by virtual(8).

Shows:
 (a) after-queue content_filter: clean mail lands in the Maildir
     byte-identical apart from Postfix's own headers; infected mail is
     quarantined, not delivered, and Postfix sends no bounce; XFORWARD
     passes the filter; a message to two recipients gets one verdict;
 (b) scanner down: Postfix gets 451 4.3.0, keeps the mail in its deferred
     queue; scanner back + postqueue -f: clean mail delivered, infected
     mail quarantined; the same with the filter itself stopped and
     restarted; a message over mxscand's MIME part limit is quarantined
     at once, never deferred (filter_limit_action); messages sent =
     delivered + quarantined;
 (c) before-queue smtpd_proxy_filter with filter_infected_action=reject:
     the SMTP client sees 550 5.7.0 for infected mail, 250 for clean mail
     (delivered), 451 4.3.0 while the scanner is down;
 (d) mxscan-quarantine release into Postfix's reinjection smtpd delivers
     the original message.
The Postfix wiring is the shipped kit in scripts/postfix (the harness
builds its instances from it); its files are also checked with postconf.
"""
import glob
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
import postfix  # noqa: E402
from mxtest import EICAR, EICAR_SIG  # noqa: E402

tap = mxtest.Tap()
missing = postfix.available()
if missing:
    tap.skip_all("missing: " + ", ".join(missing))
from smtptest import FILTER, SLOW, Filter, quarantine  # noqa: E402

if not os.access(FILTER, os.X_OK):
    # part of this build: a missing binary is a failure, not a skip
    tap.ok(False, "mxscan-filter is built", FILTER)
    tap.done()  # before any test function runs

T = 30 * SLOW  # patience for one delivery step (ASan builds are slower)


@mxtest.setup
def start(tap):
    global db, work
    work = mxtest.tmpdir("t_postfix")
    db = mxtest.make_test_db(os.path.join(work, "db"))


rng = random.Random(4242)
filters = []
instances = []


def cleanup():
    for f in filters:
        f.stop()
    for pf in instances:
        pf.stop()
    for d in mxtest.DAEMONS:
        d.stop()


def message(subject, attachment, name="report.bin", ctype="application/octet-stream"):
    """A complete RFC 5322 message (CRLF) with every header Postfix's
    cleanup would otherwise add, so the delivered copy can be compared."""
    n = rng.getrandbits(64)
    text = ("Hello Bob,\r\n\r\nthe file for case %x is attached.\r\n"
            ".a line with a leading dot\r\n..and two\r\n"
            "\r\nAlice\r\n" % n).encode()
    return mimegen.multipart_message(
        [mimegen.leaf(text, "text/plain; charset=us-ascii", cte=None),
         mimegen.leaf(attachment, ctype, name=name, filename=name)],
        boundary=b"=_b_%x" % n,
        headers=["From: Alice <alice@example.test>", "To: Bob <bob@example.test>",
                 "Subject: " + subject, "Date: Mon, 23 Nov 2026 12:00:00 +0000",
                 "Message-ID: <%x.t_postfix@example.test>" % n, "MIME-Version: 1.0"])


def clean_message(subject):
    return message(subject, bytes(rng.getrandbits(8) for _ in range(6000)))


def infected_message(subject):
    return message(subject, EICAR, name="invoice.com", ctype="application/x-msdownload")


def quarantined(qdir):
    return sorted(glob.glob(os.path.join(qdir, "*.msg")))


def quarantine_entries(qdir, original):
    """Quarantine .msg files holding ORIGINAL (found by Message-ID)."""
    mid = message_id(postfix.lf(original))
    out = []
    for path in quarantined(qdir):
        with open(path, "rb") as f:
            if message_id(postfix.lf(f.read())) == mid:
                out.append(path)
    return out


def postfix_view(delivered):
    """(Postfix's header block, the rest) of a delivered Maildir file."""
    return postfix.split_postfix_headers(delivered)


def no_bounce(pf, name):
    bounces = pf.log_lines(r"status=bounced|sender non-delivery notification|"
                           r"from=<>")
    tap.ok(not bounces and pf.maildir_count("alice") == 0,
           name + ": Postfix generated no bounce (maillog, sender's Maildir)",
           "\n".join(bounces))


def message_id(data):
    for line in data.split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip()
    return None


def delivered_as_sent(pf, user, original, name):
    """ORIGINAL (found by its Message-ID) is in USER's Maildir exactly,
    after Postfix's own leading headers (Return-Path, Delivered-To,
    Received...)."""
    mid = message_id(postfix.lf(original))
    found = [d for _p, d in pf.maildir(user) if message_id(postfix_view(d)[1]) == mid]
    if not tap.ok(len(found) == 1, name + ": delivered to %s's Maildir once" % user,
                  "%d copies of %s\n%s" % (len(found), mid, pf.logtext()[-3000:])):
        return
    head, rest = postfix_view(found[0])
    tap.ok(rest == postfix.lf(original) and head.startswith(b"Return-Path: <alice@example.test>"),
           name + ": byte-identical apart from Postfix's Return-Path/Delivered-To/Received",
           "delivered:\n%r\nsent:\n%r" % (found[0][:1500], postfix.lf(original)[:1200]))


def check_snippets():
    """The shipped kit as written (ports 10025/10026) parses in postconf
    without a warning (unknown or unused main.cf and -o parameters)."""
    for mode, services in (("after-queue", ["scan/unix", "127.0.0.1:10026/inet"]),
                           ("before-queue", ["smtp/inet", "127.0.0.1:10026/inet"])):
        d = os.path.join(work, "snippets-" + mode)
        os.mkdir(d)
        main = os.path.join(postfix.SNIPPETS, "main.cf." + mode)
        with open(os.path.join(d, "main.cf"), "w") as f:
            f.write(open(main).read() if os.path.exists(main) else "")
        with open(os.path.join(d, "master.cf"), "w") as f:
            f.write(open(os.path.join(postfix.SNIPPETS, "master.cf." + mode)).read())
        past = time.time() - 10  # Postfix waits for just-written files to age
        for name in ("main.cf", "master.cf"):
            os.utime(os.path.join(d, name), (past, past))
        # -P also warns about unused main.cf and -o parameters
        out = subprocess.run(["postconf", "-c", d, "-P"], capture_output=True, text=True)
        listed = subprocess.run(["postconf", "-c", d, "-M"] + services, capture_output=True,
                                text=True)
        tap.ok(out.returncode == 0 and not out.stderr and
               len(listed.stdout.splitlines()) == len(services),
               "scripts/postfix %s snippets: postconf reads them without a warning" % mode,
               out.stderr + listed.stdout + listed.stderr)


def check_conf_snippet():
    """scripts/postfix/mxscan.conf.filter is read by mxscan-filter as is,
    every value in it is the default (as it says), and its before-queue
    lines are an accepted combination."""
    conf = os.path.join(postfix.SNIPPETS, "mxscan.conf.filter")
    out = subprocess.run([FILTER, "-n", "-c", conf], capture_output=True, text=True)
    tap.ok(out.returncode == 0 and out.stdout == "",
           "scripts/postfix/mxscan.conf.filter: accepted, nothing but defaults",
           out.stdout + out.stderr)
    with open(conf) as f:
        before = f.read().replace("#filter_mode = before-queue", "filter_mode = before-queue")
        before = before.replace("#filter_infected_action = reject",
                                "filter_infected_action = reject")
    with open(os.path.join(work, "before.conf"), "w") as f:
        f.write(before)
    out = subprocess.run([FILTER, "-n", "-c", os.path.join(work, "before.conf")],
                         capture_output=True, text=True)
    tap.ok(out.returncode == 0 and "filter_infected_action = reject" in out.stdout,
           "scripts/postfix/mxscan.conf.filter: its before-queue lines are accepted",
           out.stdout + out.stderr)


def test_conf_snippet(tap):
    """scripts/postfix/mxscan.conf.filter as shipped."""
    check_conf_snippet()


@mxtest.setup
def start_scanner(tap):
    global scand
    os.mkdir(os.path.join(work, "scand"))
    scand = mxtest.Daemon(db, workdir=os.path.join(work, "scand"))


def test_snippets(tap):
    """The shipped Postfix snippets parse in postconf."""
    check_snippets()


@mxtest.setup
def test_after_queue(tap):
    """(a) after-queue."""
    global fa, m_inf, pa, qdir, reinject, send_after, sent
    reinject = mxtest.free_port()
    qdir = os.path.join(work, "quarantine")
    fa = Filter(scand.socket, "127.0.0.1:%d" % reinject, work,
                {"filter_quarantine_dir": qdir})
    filters.append(fa)
    pa = postfix.Postfix(mode="after-queue", filter_port=fa.port, reinject_port=reinject,
                         workdir=os.path.join(work, "pf-after"))
    os.mkdir(pa.dir)
    instances.append(pa)
    pa.start()
    tap.diag("after-queue Postfix up in %.2fs (smtpd %d, scan -> %d, reinjection %d)"
             % (pa.startup_seconds, pa.smtp_port, fa.port, pa.reinject_port))
    sent = {"after": 0}

    def send_after(data, name, to="bob@example.test"):
        rc, tr = pa.swaks(to, data)
        sent["after"] += 1
        tap.ok(rc == 0 and "<-  250 2.0.0 Ok: queued as" in tr,
               name + ": Postfix queued it (250 to swaks)", tr[-1500:])
        return tr

    m_clean = clean_message("clean after-queue")
    tr = send_after(m_clean, "clean")
    first_id = tr.split("queued as ")[-1].split()[0] if "queued as " in tr else "?"
    tap.ok(pa.wait_queue_empty(T), "clean: queue empty again", pa.logtext()[-2000:])
    delivered_as_sent(pa, "bob", m_clean, "clean")
    tap.ok(pa.log_lines(r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, .*status=sent \(250 " % fa.port),
           "clean: Postfix's scan transport delivered it to mxscan-filter",
           pa.logtext()[-2000:])
    tap.ok(pa.log_lines(r"smtpd\[\d+\]: \w+: client=\S+, orig_queue_id=%s, "
                        r"orig_client=unknown\[127\.0\.0\.1\]" % first_id),
           "clean: the reinjection smtpd logs the original queue id and client "
           "(XFORWARD through the filter)", pa.logtext()[-2000:])

    m_inf = infected_message("infected after-queue")
    send_after(m_inf, "infected")
    tap.ok(pa.wait_queue_empty(T), "infected: queue empty again", pa.logtext()[-2000:])
    q = quarantined(qdir)
    tap.eq(len(q), 1, "infected: one message in filter_quarantine_dir")
    if q:
        with open(q[0], "rb") as f:
            qbytes = f.read()
        # what Postfix's scan transport sent: its Received line, then the original
        tap.ok(qbytes.endswith(m_inf) and qbytes.startswith(b"Received: "),
               "infected: quarantined bytes are the message Postfix handed over",
               repr(qbytes[:600]))
    tap.ok(pa.log_lines(r"status=sent \(250 2\.0\.0 Ok: quarantined as \S+, virus found \(%s\)"
                        % EICAR_SIG.replace(".", r"\.")),
           "infected: maillog shows the filter's 250 quarantine reply", pa.logtext()[-2000:])
    tap.eq(pa.maildir_count("bob"), 1, "infected: not delivered (bob's Maildir unchanged)")
    no_bounce(pa, "infected")

    # one message, two recipients: one verdict, one delivery or quarantine
    two = ["bob@example.test", "dave@example.test"]
    m_two = clean_message("clean to two")
    send_after(m_two, "clean, two recipients", to=two)
    tap.ok(pa.wait_queue_empty(T), "clean, two recipients: queue empty again")
    delivered_as_sent(pa, "bob", m_two, "clean, two recipients")
    delivered_as_sent(pa, "dave", m_two, "clean, two recipients")
    i_two = infected_message("infected to two")
    send_after(i_two, "infected, two recipients", to=two)
    tap.ok(pa.wait_queue_empty(T), "infected, two recipients: queue empty again")
    q = quarantined(qdir)
    envs = []
    for path in q:
        with open(path[:-4] + ".env", "rb") as f:
            envs.append(f.read())
    tap.ok(len(q) == 2 and sum(1 for e in envs if e.count(b"\nrcpt: ") == 2) == 1,
           "infected, two recipients: quarantined once with both recipients", envs)
    tap.ok(pa.maildir_count("bob") == 2 and pa.maildir_count("dave") == 1,
           "infected, two recipients: delivered to neither")
    no_bounce(pa, "two recipients")


@mxtest.setup
def test_before_queue(tap):
    """(c) before-queue (while the scanner is up)."""
    global pb
    reinject_b = mxtest.free_port()
    fb = Filter(scand.socket, "127.0.0.1:%d" % reinject_b, work,
                {"filter_mode": "before-queue", "filter_infected_action": "reject",
                 "filter_quarantine_dir": os.path.join(work, "quarantine-b")})
    filters.append(fb)
    pb = postfix.Postfix(mode="before-queue", filter_port=fb.port, reinject_port=reinject_b,
                         workdir=os.path.join(work, "pf-before"))
    os.mkdir(pb.dir)
    instances.append(pb)
    pb.start()

    b_inf = infected_message("infected before-queue")
    rc, tr = pb.swaks("carol@example.test", b_inf)
    tap.ok(rc != 0 and "<** 550 5.7.0 " in tr,
           "before-queue infected: swaks sees 550 5.7.0 at end of DATA", tr[-1500:])
    b_clean = clean_message("clean before-queue")
    rc, tr = pb.swaks("carol@example.test", b_clean)
    tap.ok(rc == 0 and "<-  250 " in tr.split("\n -> .\n")[-1],
           "before-queue clean: swaks sees 250 at end of DATA", tr[-1500:])
    tap.ok(pb.wait_queue_empty(T) and pb.wait_maildir("carol", 1, T),
           "before-queue clean: queue drained into carol's Maildir", pb.logtext()[-2000:])
    delivered_as_sent(pb, "carol", b_clean, "before-queue clean")
    tap.eq(pb.maildir_count("carol"), 1, "before-queue infected: never queued or delivered")
    st = pb.log_lines(r" status=")
    tap.ok(len(st) == 1 and "status=sent (delivered to maildir)" in st[0],
           "before-queue: one delivery in maillog (the clean one)", pb.logtext()[-2000:])
    no_bounce(pb, "before-queue")


def test_scanner_down(tap):
    """(b) scanner down."""
    global scand
    scand.stop()
    m_down_clean = clean_message("clean while scanner down")
    m_down_inf = infected_message("infected while scanner down")
    send_after(m_down_clean, "scanner down, clean")
    send_after(m_down_inf, "scanner down, infected")
    tap.ok(pa.wait_deferred(2, T), "scanner down: both messages in Postfix's deferred queue",
           "%r\n%s" % (pa.queue(), pa.logtext()[-2000:]))
    tap.ok(len(pa.log_lines(r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, .*status=deferred "
                            r"\(host \S+ said: 451 4\.3\.0 " % fa.port)) == 2,
           "scanner down: maillog shows the filter's 451 4.3.0 for both", pa.logtext()[-2000:])
    tap.ok(pa.maildir_count("bob") == 2 and len(quarantined(qdir)) == 2,
           "scanner down: nothing delivered or quarantined")
    rc, tr = pb.swaks("carol@example.test", clean_message("before-queue, scanner down"))
    tap.ok(rc != 0 and "<** 451 4.3.0 " in tr,
           "before-queue, scanner down: swaks sees 451 4.3.0", tr[-1500:])

    scand = mxtest.Daemon(db, workdir=scand.dir)
    pa.flush()
    tap.ok(pa.wait_queue_empty(T) and pa.wait_maildir("bob", 3, T),
           "scanner back, postqueue -f: the deferred mail left the queue", pa.logtext()[-2000:])
    delivered_as_sent(pa, "bob", m_down_clean, "scanner back, clean")
    tap.ok(len(quarantined(qdir)) == 3 and len(quarantine_entries(qdir, m_down_inf)) == 1,
           "scanner back: the infected one was quarantined")
    no_bounce(pa, "scanner down and back")


def test_filter_down(tap):
    """(b') the filter itself down (stopped), then back on its port."""
    tap.eq(fa.stop(), 0, "filter down: mxscan-filter exits 0 on SIGTERM")
    m_fd = clean_message("clean while the filter is down")
    send_after(m_fd, "filter down, clean")
    tap.ok(pa.wait_deferred(1, T) and
           pa.log_lines(r"status=deferred \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: "
                        r"Connection refused\)" % fa.port),
           "filter down: Postfix defers the mail (connection refused, deferred queue)",
           pa.logtext()[-2000:])
    fa2 = Filter(scand.socket, "127.0.0.1:%d" % reinject, work,
                 {"filter_quarantine_dir": qdir, "filter_listen": "127.0.0.1:%d" % fa.port},
                 wait=False)
    fa2.port = fa.port
    filters.append(fa2)
    fa2.wait_ready()
    pa.flush()
    tap.ok(pa.wait_queue_empty(T) and pa.wait_maildir("bob", 4, T),
           "filter back, postqueue -f: the deferred mail left the queue", pa.logtext()[-2000:])
    delivered_as_sent(pa, "bob", m_fd, "filter back, clean")
    no_bounce(pa, "filter down and back")


def test_part_limit(tap):
    """(b'') a message mxscand will never scan (over scand_mime_max_parts)
    leaves Postfix's queue at once, into the quarantine (filter_limit_action)."""
    nparts = 1001
    bnd = b"=_many_%x" % rng.getrandbits(32)
    m_many = mimegen.multipart_message(
        [mimegen.leaf(b"part %d" % k, "text/plain", cte=None) for k in range(nparts)],
        boundary=bnd, preamble=b"",
        headers=["From: Alice <alice@example.test>", "To: Bob <bob@example.test>",
                 "Subject: a thousand and one parts", "Date: Mon, 23 Nov 2026 12:00:00 +0000",
                 "Message-ID: <%x.many@example.test>" % rng.getrandbits(64), "MIME-Version: 1.0"])
    tr = send_after(m_many, "%d MIME parts" % nparts)
    qid = tr.split("queued as ")[-1].split()[0] if "queued as " in tr else "?"
    tap.ok(pa.wait_queue_empty(T) and not pa.log_lines(r"%s: .*status=deferred" % qid),
           "over mxscand's part limit: never deferred, the queue is empty", pa.logtext()[-2000:])
    tap.ok(len(quarantine_entries(qdir, m_many)) == 1 and
           pa.log_lines(r"%s: .*status=sent \(250 2\.0\.0 Ok: quarantined as \S+, not scanned "
                        r"\(MIME part limit exceeded\.\)" % qid),
           "over mxscand's part limit: quarantined, and the maillog says why",
           pa.logtext()[-2000:])
    no_bounce(pa, "over the part limit")
    tap.eq((sent["after"], pa.maildir_count("bob") + len(quarantined(qdir))), (8, 8),
           "after-queue: messages sent = delivered + quarantined")


def test_release(tap):
    """(d) release from quarantine."""
    entry = quarantine_entries(qdir, m_inf)
    first = os.path.basename(entry[0])[:-4] if entry else "none"
    rc, out, err = quarantine(fa.conf, "-o", "filter_forward=127.0.0.1:%d" % pa.reinject_port,
                              "release", first)
    tap.eq(rc, 0, "release: mxscan-quarantine release exits 0")
    tap.ok(pa.wait_maildir("bob", 5, T) and pa.wait_queue_empty(T),
           "release: delivered through the reinjection smtpd", err + pa.logtext()[-2000:])
    delivered_as_sent(pa, "bob", m_inf, "release")
    tap.ok(first not in " ".join(quarantined(qdir)), "release: entry left the quarantine")
    tap.eq((sent["after"], pa.maildir_count("bob") + len(quarantined(qdir))), (8, 8),
           "after release: messages sent = delivered + quarantined")
    no_bounce(pa, "release")

    for f in filters[1:]:  # the first one was stopped above
        tap.eq(f.stop(), 0, "mxscan-filter on %d exits 0 on SIGTERM" % f.port)


def test_stop(tap):
    """Everything stopped; the directory kept on a failure with MX_KEEP."""
    # --- the end
    # Everything is removed, failed or not; MX_KEEP=1 keeps a failed run's
    # directory (Postfix configuration, maillog, filter logs) for a look.
    keep = bool(tap.failed and os.environ.get("MX_KEEP"))
    if tap.failed:
        for f in filters:
            tap.diag("mxscan-filter on %d, last log lines:\n%s" % (f.port, f.logtext()[-1500:]))
    for pf in instances:
        pf.keep = keep
    cleanup()
    if keep:
        tap.diag("work directory kept: " + work)
    else:
        mxtest.rmtree(work)


if __name__ == "__main__":
    mxtest.run(globals())
