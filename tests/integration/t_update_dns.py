#!/usr/bin/env python3
"""t_update_dns - mxscan-update asks DNS before it asks a mirror (issue 18).

Real parts: Debian's dnsmasq serves the TXT record current.cvd.clamav.net
on a loopback port (update_dns_server), a private nginx serves the signed
ClamAV test databases over HTTPS (main.cvd and daily.cvd, both ClamAV's
test CVDs), mxscand loads what the updater installs.  nginx's access log
is the witness of every HTTP request.

1. First install: the record announces main 3 and daily 3; the updater
   fetches both CVDs whole and makes no range request.
2. Unchanged record: zero HTTP requests; exit 0, current unchanged.
3. The record announces daily 4: exactly daily.cvd is fetched (one GET,
   no range request, main.cvd untouched) and installed; the daemon loads
   it.
4. DNS down (dnsmasq stopped): one range request for each database's CVD
   header, nothing else, nothing installed.
5. A record older than 12 hours is not trusted either: range requests.
6. DNS down and the mirror answers 429: exit 5 (cool-down) after one
   request; the next run makes no request at all, still exit 5.
Skipped when ../shared/testdata/clamav-cvd is absent.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
import updtest  # noqa: E402

updtest.need_updater()
updtest.need_tools("nginx", "openssl", "dnsmasq")
if not updtest.need_cvd():
    mxtest.Tap.skip_all("%s is absent (a fresh clone has no ../shared)" % updtest.CVD_DIR)
tap = mxtest.Tap()
RECORD = "current.cvd.clamav.net"


def publish(main, daily):
    """The mirror at main MAIN and daily DAILY (ClamAV's test CVDs)."""
    d = os.path.join(doc, "clamav")
    os.makedirs(d, exist_ok=True)
    for name, v in (("main", main), ("daily", daily)):
        p = os.path.join(d, "%s.cvd" % name)
        with open(updtest.cvd(v), "rb") as f, open(p + ".new", "wb") as g:
            g.write(f.read())
        os.rename(p + ".new", p)
        updtest.stamp(p)


@mxtest.setup
def start(tap):
    global ca, doc, dns, mx, ng, root, up, work
    work = mxtest.tmpdir("tupddns")
    updtest.cleanup_dir(work)
    ca = updtest.CA(work)
    doc = os.path.join(work, "doc")
    publish(3, 3)
    ng = updtest.Nginx(work, doc, ca)
    dns = updtest.Dnsmasq(work, {RECORD: updtest.cvd_record(3, 3, 0)})
    root = os.path.join(work, "root")
    os.makedirs(root)
    mx = updtest.start_daemon(work, root)
    up = updtest.Updater(work, root, {
        "update_mirrors": ng.url("/m/clamav"),
        "update_databases": "main daily",
        "update_dns_txt": RECORD,
        "update_dns_server": dns.server(),
        "update_ca_file": ca.ca_cert,
        "update_retries": "0",
        "update_retry_delay": "0",
        "update_reload_timeout": "60s",
        "scanner_endpoints": "unix:" + mx.socket,
    })


def gets(reqs):
    return [q.split()[2] for q in reqs]


def installed(name):
    with open(os.path.join(root, "current", "%s.cvd" % name), "rb") as f:
        return f.read()


def same(name, version):
    with open(updtest.cvd(version), "rb") as f:
        return installed(name) == f.read()


def test_dns_first(tap):
    """1-3: versions from DNS, HTTP only for what is newer."""
    mark = ng.mark()
    r = up.run()
    tap.eq(r.rc, 0, "first run installs main 3 and daily 3 (exit 0)") or tap.diag(r)
    reqs = ng.requests_since(mark)
    tap.ok(sorted(gets(reqs)) == ["/m/clamav/daily.cvd", "/m/clamav/main.cvd"]
           and not any('"bytes=' in q for q in reqs),
           "the versions came from DNS: two whole GETs, no range request", reqs)
    tap.ok(same("main", 3) and same("daily", 3), "main.cvd and daily.cvd are version 3")
    tap.ok("announced in DNS" in r.err, "the log says the version came from DNS", r.err)

    cur = up.current()
    mark = ng.mark()
    r = up.run()
    tap.eq(r.rc, 0, "unchanged TXT record: exit 0") or tap.diag(r)
    tap.eq(ng.requests_since(mark), [], "unchanged TXT record: zero HTTP requests")
    tap.eq(up.current(), cur, "unchanged TXT record: current untouched")

    publish(3, 4)
    dns.set({RECORD: updtest.cvd_record(3, 4, 0)})
    mark = ng.mark()
    r = up.run()
    tap.eq(r.rc, 0, "daily 4 in the record: exit 0") or tap.diag(r)
    reqs = ng.requests_since(mark)
    tap.eq(gets(reqs), ["/m/clamav/daily.cvd"], "daily 4 in the record: exactly daily.cvd fetched")
    tap.ok(all(" 200 " in q and '"bytes=' not in q for q in reqs), "one whole GET, no range", reqs)
    tap.ok(up.current() != cur and same("daily", 4) and same("main", 3),
           "the new current has daily 4 and main 3 (linked from the previous set)")
    ok = mxtest.wait_for(lambda: os.path.realpath(mx.health().get("database_path") or "/")
                         == up.current_dir(), 30)
    tap.ok(ok, "the daemon loaded the set with daily 4", mx.health())


def test_dns_down(tap):
    """4-5: no usable DNS answer: one range request per database."""
    dns.stop()
    cur = up.current()
    mark = ng.mark()
    r = up.run()
    tap.eq(r.rc, 0, "DNS down, mirror unchanged: exit 0") or tap.diag(r)
    reqs = ng.requests_since(mark)
    tap.ok(sorted(gets(reqs)) == ["/m/clamav/daily.cvd", "/m/clamav/main.cvd"]
           and all('"bytes=0-511"' in q and " 206 " in q for q in reqs),
           "DNS down: exactly one range request per database header", reqs)
    tap.ok("range request instead" in r.err, "the log says DNS failed and why", r.err)
    tap.eq(up.current(), cur, "DNS down, nothing newer: current untouched")

    dns.set({RECORD: updtest.cvd_record(3, 9, 0, when=time.time() - 13 * 3600)})
    mark = ng.mark()
    r = up.run()
    reqs = ng.requests_since(mark)
    tap.ok(r.rc == 0 and len(reqs) == 2 and all('"bytes=0-511"' in q for q in reqs)
           and "not trusted" in r.err,
           "a record 13 hours old is not trusted: range requests, daily 9 not believed",
           "%r\n%s" % (r, "\n".join(reqs)))


def test_cooldown(tap):
    """6: DNS down and a 429: the cool-down holds back the range checks."""
    dns.stop()
    cur = up.current()
    mark = ng.mark()
    r = up.run(overrides={"update_mirrors": ng.url("/e429")})
    reqs = ng.requests_since(mark)
    tap.eq(r.rc, 5, "DNS down, mirror answers 429: exit 5 (cool-down)") or tap.diag(r)
    tap.eq(len(reqs), 1, "one request, then the origin is left alone")
    with open(os.path.join(root, ".update-state")) as f:
        state = f.read()
    tap.ok("cooldown https://127.0.0.1:%d" % ng.port in state,
           "the cool-down is in the state file", state)
    mark = ng.mark()
    r = up.run(overrides={"update_mirrors": ng.url("/e429")})
    tap.eq(r.rc, 5, "next run within the cool-down: exit 5") or tap.diag(r)
    tap.eq(ng.requests_since(mark), [], "next run within the cool-down: zero HTTP requests")
    tap.eq(up.current(), cur, "current untouched")


mxtest.run(globals(), tap)
