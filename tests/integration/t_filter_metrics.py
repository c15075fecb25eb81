#!/usr/bin/env python3
"""t_filter_metrics - mxscan-filter's Prometheus endpoint (filter_metrics_listen).

Real messages go in with swaks, through mxscan-filter and a real
mxscand, to Postfix's smtp-sink.  Shows: the filter's page passes
`promtool check metrics`; messages by action, verdicts, reply classes,
scanner failures and the time histograms move by exactly the messages
sent (M clean delivered, N infected quarantined, one tempfailed after
mxscand is gone); mxscand's MIMESCAN counters move by the same scans;
the endpoint answers only GET of metrics_path; without
filter_metrics_listen the filter listens on filter_listen alone.
"""
import os
import re
import shutil
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
import promtext  # noqa: E402
from promtext import delta  # noqa: E402
from smtptest import SLOW, Filter  # noqa: E402

tap = mxtest.Tap()
for prog in ("swaks", "smtp-sink"):
    if shutil.which(prog) is None and not os.path.exists("/usr/sbin/" + prog):
        tap.skip_all("missing " + prog)
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
M_CLEAN, N_EICAR = 2, 1


@mxtest.setup
def start(tap):
    global work, scand, sink, filt, fport, sport
    work = mxtest.tmpdir("t_filter_metrics")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    os.makedirs(os.path.join(work, "scand"))
    sport = mxtest.free_port()
    scand = mxtest.Daemon(db, workdir=os.path.join(work, "scand"),
                          options={"scand_metrics_listen": str(sport)})
    sink = "127.0.0.1:%d" % mxtest.free_port()
    mxtest.spawn([SMTP_SINK, "-u", "nobody", sink, "64"], stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
    host, port = sink.split(":")
    tap.ok(mxtest.wait_for(lambda: socket.create_connection((host, int(port)), 2).close() is None,
                           10 * SLOW), "smtp-sink is up")
    fport = mxtest.free_port()
    filt = Filter(scand.socket, sink, work, {"filter_metrics_listen": "127.0.0.1:%d" % fport})


def message(subject, attachment, name):
    return mimegen.multipart_message(
        [mimegen.leaf(b"See the attachment.\r\n", "text/plain", cte="8bit"),
         mimegen.leaf(attachment, "application/octet-stream", name=name, filename=name,
                      cte="base64")],
        boundary=b"b-metrics",
        headers=["From: a@example.test", "To: b@example.test", "Subject: " + subject,
                 "MIME-Version: 1.0"])


def swaks(data, n):
    """One message to the filter with swaks; the reply code to the end of DATA."""
    path = os.path.join(work, "msg%d.eml" % n)
    with open(path, "wb") as f:
        f.write(data[:-2] if data.endswith(b"\r\n") else data)
    r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(filt.port),
                        "--from", "a@example.test", "--to", "b@example.test",
                        "--data", "@" + path, "--timeout", "60"],
                       capture_output=True, text=True, timeout=120 * SLOW)
    lines = r.stdout.splitlines()
    replies = [lines[i + 1] for i in range(len(lines) - 1) if lines[i] == " -> ."]
    return replies[0][4:7] if replies else None


def test_messages_counted(tap):
    text, before = promtext.scrape(fport)
    ok, out = promtext.check(text)
    tap.ok(ok, "promtool check metrics passes on mxscan-filter's page", out)
    page = open(os.path.join(mxtest.SRCDIR, "doc", "mxscan-filter.8")).read().replace("\\-", "-")
    families = set(re.findall(r"^# TYPE (\S+)", text, re.M))
    tap.ok(families and all(f in page for f in families), "mxscan-filter(8) names every family",
           sorted(f for f in families if f not in page))
    _, sbefore = promtext.scrape(sport)
    n = 0
    for i in range(M_CLEAN):
        n += 1
        tap.eq(swaks(message("clean %d" % i, os.urandom(2000), "r.bin"), n), "250",
               "swaks: clean message %d accepted" % i)
    for i in range(N_EICAR):
        n += 1
        tap.eq(swaks(message("eicar %d" % i, mxtest.EICAR, "e.com"), n), "250",
               "swaks: infected message %d accepted (quarantined)" % i)
    text, after = promtext.scrape(fport)
    _, safter = promtext.scrape(sport)
    tap.eq(delta(before, after, "mxscan_filter_messages_total", action="delivered"), M_CLEAN,
           "messages_total{delivered} rose by M")
    tap.eq(delta(before, after, "mxscan_filter_messages_total", action="quarantined"), N_EICAR,
           "messages_total{quarantined} rose by N")
    tap.eq(delta(before, after, "mxscan_filter_verdicts_total", verdict="clean"), M_CLEAN,
           "verdicts_total{clean} rose by M")
    tap.eq(delta(before, after, "mxscan_filter_verdicts_total", verdict="infected"), N_EICAR,
           "verdicts_total{infected} rose by N")
    tap.eq(delta(before, after, "mxscan_filter_replies_total", **{"class": "2xx"}),
           M_CLEAN + N_EICAR, "replies_total{2xx} rose by M+N")
    for h in ("mxscan_filter_message_duration_seconds", "mxscan_filter_scan_duration_seconds"):
        tap.eq(delta(before, after, h + "_count"), M_CLEAN + N_EICAR, "%s_count rose by M+N" % h)
    tap.eq(delta(before, after, "mxscan_filter_scanner_failures_total", kind="unavailable"), 0,
           "no scanner failure counted")
    tap.eq(delta(sbefore, safter, "mxscand_requests_total", command="MIMESCAN", result="ok"),
           M_CLEAN, "mxscand: requests_total{MIMESCAN,ok} rose by M")
    tap.eq(delta(sbefore, safter, "mxscand_requests_total", command="MIMESCAN", result="found"),
           N_EICAR, "mxscand: requests_total{MIMESCAN,found} rose by N")

    # The scanner goes away: the next message is tempfailed and counted so.
    scand.stop()
    tap.eq(swaks(message("after", b"data", "r.bin"), n + 1), "451",
           "with mxscand stopped the message is tempfailed")
    _, last = promtext.scrape(fport)
    tap.eq(delta(after, last, "mxscan_filter_scanner_failures_total", kind="unavailable"), 1,
           "scanner_failures_total{unavailable} rose by 1")
    tap.eq(delta(after, last, "mxscan_filter_messages_total", action="tempfail"), 1,
           "messages_total{tempfail} rose by 1")
    tap.eq(delta(after, last, "mxscan_filter_replies_total", **{"class": "4xx"}), 1,
           "replies_total{4xx} rose by 1")
    text, _ = promtext.scrape(fport)
    tap.ok(promtext.check(text)[0], "promtool still passes after every kind of message")


def test_refuses_all_but_get(tap):
    promtext.check_refusals(tap, fport)


def test_stops_clean(tap):
    """The endpoint's thread stops with the filter (under ASan: no leak, no report)."""
    rc = filt.stop()
    log = filt.logtext()
    tap.ok(rc == 0 and "Sanitizer" not in log and "runtime error" not in log,
           "mxscan-filter with its metrics endpoint exits 0 on SIGTERM", (rc, log[-1500:]))


def test_off_by_default(tap):
    f = Filter(os.path.join(work, "none.sock"), sink, work)
    tap.eq(promtext.tcp_listeners(f.proc.pid), {f.port},
           "without filter_metrics_listen the filter listens on filter_listen only")
    f.stop()


if __name__ == "__main__":
    mxtest.run(globals())
