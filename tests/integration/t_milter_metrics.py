#!/usr/bin/env python3
"""t_milter_metrics - mxscan-milter's Prometheus endpoint (milter_metrics_listen).

Real messages go in with swaks through a real Postfix (tests/lib/postfix.py,
loopback only) whose smtpd_milters is mxscan-milter, scanned by a real
mxscand.  Shows: the milter's page passes `promtool check metrics` and
mxscan-milter(8) names every family; messages by action and verdict,
scanner failures, aborted messages and both time histograms move by
exactly the messages sent (M clean accepted, N infected refused with 550,
one client gone mid-DATA, one tempfailed after mxscand is gone); the
endpoint answers only GET of metrics_path; without milter_metrics_listen
the milter listens on no TCP port.
"""
import os
import re
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
import postfix  # noqa: E402
import promtext  # noqa: E402
from milterproc import MILTER, SLOW, T, Milter  # noqa: E402
from promtext import delta  # noqa: E402

tap = mxtest.Tap()
missing = postfix.available()
if missing:
    tap.skip_all("missing: " + ", ".join(missing))
if not os.access(MILTER, os.X_OK):
    tap.ok(False, "mxscan-milter is built", MILTER)
    tap.done()
M_CLEAN, N_EICAR = 2, 1


@mxtest.setup
def start(tap):
    global work, scand, milter, mport, pf
    work = mxtest.tmpdir("t_milter_metrics")
    os.chmod(work, 0o755)
    db = mxtest.make_test_db(os.path.join(work, "db"))
    os.mkdir(os.path.join(work, "scand"))
    scand = mxtest.Daemon(db, workdir=os.path.join(work, "scand"))
    mport = mxtest.free_port()
    msock = os.path.join(work, "milter.sock")
    milter = Milter("unix:" + msock, ["unix:" + scand.socket],
                    {"milter_metrics_listen": "127.0.0.1:%d" % mport}, name="metrics-milter")
    main = dict(postfix.snippet_main("main.cf.milter"))
    main["smtpd_milters"] = "unix:" + msock
    pf = postfix.Postfix(mode="none", main_extra=main, workdir=os.path.join(work, "pf"))
    os.mkdir(pf.dir)
    pf.start()


def message(subject, attachment, name):
    return mimegen.multipart_message(
        [mimegen.leaf(b"See the attachment.\r\n", "text/plain", cte="8bit"),
         mimegen.leaf(attachment, "application/octet-stream", name=name, filename=name,
                      cte="base64")],
        boundary=b"b-metrics",
        headers=["From: a@example.test", "To: bob@example.test", "Subject: " + subject,
                 "MIME-Version: 1.0"])


def send(data):
    """One message with swaks through Postfix; the reply code to the end of DATA."""
    _rc, tr = pf.swaks("bob@example.test", data, timeout=60 * SLOW)
    tail = tr.split("\n -> .\n")[-1] if "\n -> .\n" in tr else ""
    m = re.search(r"^(?:<-|<\*\*) +(\d{3})", tail, re.M)
    return m.group(1) if m else tr[-800:]


def drop_mid_data():
    """A client that leaves in the middle of DATA: Postfix aborts the
    message at the milter."""
    s = socket.create_connection(("127.0.0.1", pf.smtp_port), 30 * SLOW)
    f = s.makefile("rb")

    def reply():
        line = f.readline()
        while line[3:4] == b"-":
            line = f.readline()
        return line
    reply()
    for cmd in (b"EHLO c.example.test", b"MAIL FROM:<a@example.test>",
                b"RCPT TO:<bob@example.test>", b"DATA"):
        s.sendall(cmd + b"\r\n")
        reply()
    s.sendall(b"Subject: gone\r\n\r\n" + b"x" * 70000 + b"\r\n")
    s.close()


def test_messages_counted(tap):
    text, before = promtext.scrape(mport)
    ok, out = promtext.check(text)
    tap.ok(ok, "promtool check metrics passes on mxscan-milter's page", out)
    page = open(os.path.join(mxtest.SRCDIR, "doc", "mxscan-milter.8")).read().replace("\\-", "-")
    families = set(re.findall(r"^# TYPE (\S+)", text, re.M))
    tap.ok(families and all(f in page for f in families), "mxscan-milter(8) names every family",
           sorted(f for f in families if f not in page))
    for i in range(M_CLEAN):
        tap.eq(send(message("clean %d" % i, os.urandom(2000), "r.bin")), "250",
               "clean message %d accepted (250)" % i)
    for i in range(N_EICAR):
        tap.eq(send(message("eicar %d" % i, mxtest.EICAR, "e.com")), "550",
               "infected message %d refused (550)" % i)
    text, after = promtext.scrape(mport)
    tap.eq(delta(before, after, "mxscan_milter_messages_total", action="accept"), M_CLEAN,
           "messages_total{accept} rose by M")
    tap.eq(delta(before, after, "mxscan_milter_messages_total", action="reject"), N_EICAR,
           "messages_total{reject} rose by N")
    tap.eq(delta(before, after, "mxscan_milter_verdicts_total", verdict="clean"), M_CLEAN,
           "verdicts_total{clean} rose by M")
    tap.eq(delta(before, after, "mxscan_milter_verdicts_total", verdict="infected"), N_EICAR,
           "verdicts_total{infected} rose by N")
    for h in ("mxscan_milter_message_duration_seconds", "mxscan_milter_scan_duration_seconds"):
        tap.eq(delta(before, after, h + "_count"), M_CLEAN + N_EICAR, "%s_count rose by M+N" % h)
    tap.eq(sum(delta(before, after, "mxscan_milter_scanner_failures_total", kind=k)
               for k in ("scan-error", "unavailable")), 0, "no scanner failure counted")

    drop_mid_data()
    tap.ok(mxtest.wait_for(lambda: promtext.value(promtext.scrape(mport)[1],
                                                  "mxscan_milter_aborted_total") >
                           promtext.value(after, "mxscan_milter_aborted_total"), T),
           "a client gone mid-DATA: aborted_total rose")
    _, dropped = promtext.scrape(mport)
    tap.eq(delta(after, dropped, "mxscan_milter_aborted_total"), 1, "aborted_total rose by 1")
    tap.eq(sum(delta(after, dropped, "mxscan_milter_messages_total", action=a)
               for a in ("accept", "reject", "tempfail", "other")), 0,
           "the aborted message got no action")

    # The scanner goes away: the next message is tempfailed and counted so.
    scand.stop()
    tap.eq(send(message("after", b"data", "r.bin")), "451",
           "with mxscand stopped the message is tempfailed (451)")
    text, last = promtext.scrape(mport)
    tap.eq(delta(dropped, last, "mxscan_milter_scanner_failures_total", kind="unavailable"), 1,
           "scanner_failures_total{unavailable} rose by 1")
    tap.eq(delta(dropped, last, "mxscan_milter_messages_total", action="tempfail"), 1,
           "messages_total{tempfail} rose by 1")
    tap.eq(delta(dropped, last, "mxscan_milter_verdicts_total", verdict="unavailable"), 1,
           "verdicts_total{unavailable} rose by 1")
    tap.ok(promtext.check(text)[0], "promtool still passes after every kind of message")


def test_refuses_all_but_get(tap):
    promtext.check_refusals(tap, mport)


def test_stops_clean(tap):
    """The endpoint's thread stops with the milter (under ASan: no leak, no report)."""
    rc = milter.stop()
    log = milter.logtext()
    tap.ok(rc == 0 and "Sanitizer" not in log and "runtime error" not in log,
           "mxscan-milter with its metrics endpoint exits 0 on SIGTERM", (rc, log[-1500:]))


def test_off_by_default(tap):
    m = Milter("unix:" + os.path.join(work, "plain.sock"), ["unix:" + scand.socket],
               name="plain-milter")
    tap.eq(promtext.tcp_listeners(m.proc.pid), set(),
           "without milter_metrics_listen the milter listens on no TCP port")
    m.stop(graceful=False)


if __name__ == "__main__":
    mxtest.run(globals())
