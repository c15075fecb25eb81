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
A failing database does not hold back a feed (a sha256 feed "haus" on an
origin of its own; the ClamAV mirror on another):
7. DNS down, a daily.cvd with a flipped byte on the mirror and a new haus:
   haus is installed, daily stays at its installed version, exit 7; the
   next run checks daily's header again unconditionally (the failed
   check's validators were not kept) and fails the same way, with
   nothing else new: current untouched.
8. DNS announces daily 5 and the mirror answers 429, a new haus: haus is
   installed, daily stays, exit 5; the next run inside the cool-down makes
   zero requests to the mirror and still installs a newer haus, exit 5.
9. A first install (no current set) whose daily cannot be fetched builds
   no set at all (exit 5), even though the feed could be fetched.
Skipped when ../shared/testdata/clamav-cvd is absent.
"""
import hashlib
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


def publish_haus(n):
    """doc/haus: haus.ndb detecting HAUS-N, and its .sha256 sidecar."""
    d = os.path.join(doc, "haus")
    os.makedirs(d, exist_ok=True)
    body = updtest.ndb_line("Haus.Test.%d" % n, updtest.marker("HAUS-%d" % n)).encode()
    p = os.path.join(d, "haus.ndb")
    with open(p, "wb") as f:
        f.write(body)
    with open(p + ".sha256", "w") as f:
        f.write("%s  haus.ndb\n" % hashlib.sha256(body).hexdigest())
    updtest.stamp(p, p + ".sha256")


def haus_feed():
    """update_feeds: haus over plain http on nginx's fourth origin (never
    on cool-down here)."""
    return "haus verify=sha256 interval=0 url=%s files=haus.ndb" % ng.url(
        "/m/haus", "http", ng.alt2_port)


def detects(n):
    """The daemon serves current and detects HAUS-N."""
    ok = mxtest.wait_for(lambda: os.path.realpath(mx.health().get("database_path") or "/")
                         == up.current_dir(), 30)
    return ok and updtest.scan(mx, b"x" + updtest.marker("HAUS-%d" % n) + b"y") \
        == "stream: Haus.Test.%d.UNOFFICIAL FOUND" % n


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



def test_db_verify_keeps(tap):
    """7: a corrupt daily.cvd does not hold back a feed."""
    dns.stop()
    bad = os.path.join(doc, "bad")
    os.makedirs(bad)
    for name, v in (("main", 3), ("daily", 5)):
        with open(updtest.cvd(v), "rb") as f, open(os.path.join(bad, name + ".cvd"), "wb") as g:
            g.write(f.read())
    updtest.flip_byte(os.path.join(bad, "daily.cvd"), 512 + 3000)
    updtest.stamp(os.path.join(bad, "main.cvd"), os.path.join(bad, "daily.cvd"))
    publish_haus(1)
    over = {"update_mirrors": ng.url("/m/bad", "http"), "update_feeds": haus_feed()}
    cur = up.current()
    mark = ng.mark()
    r = up.run(overrides=over)
    reqs = ng.requests_since(mark)
    tap.eq(r.rc, 7, "corrupt daily.cvd, new feed: exit 7 (daily's verification)") or tap.diag(r)
    tap.ok(any(" /m/bad/daily.cvd 200 " in q for q in reqs), "daily.cvd was fetched", reqs)
    tap.ok(up.current() != cur and same("daily", 4) and same("main", 3),
           "a new set, with the installed daily 4 kept (and main 3)")
    tap.ok(detects(1), "the feed is installed and the daemon detects its test string")
    tap.ok("daily keeps its installed version 4" in r.err and "verify failed" in r.err,
           "the log says daily failed verification and kept version 4", r.err)

    cur, snap = up.current(), up.snapshot()
    mark = ng.mark()
    r = up.run(overrides=over)
    reqs = ng.requests_since(mark)
    daily = [q for q in reqs if " /m/bad/daily.cvd " in q]
    tap.eq(r.rc, 7, "the next run: daily still corrupt, exit 7") or tap.diag(r)
    tap.ok(len(daily) == 2 and " 206 " in daily[0] and " 200 " in daily[1],
           "daily's header is checked again and the CVD fetched again", "\n".join(reqs))
    tap.ok(daily and '"bytes=0-511" "-" "-"' in daily[0],
           "daily's header check is unconditional (no validator kept from the failed run)",
           "\n".join(daily))
    tap.eq((up.current(), up.snapshot()), (cur, snap),
           "nothing else new: no set built, current untouched")


def test_db_cooldown_keeps(tap):
    """8: ClamAV's mirror in cool-down does not hold back a feed."""
    dns.set({RECORD: updtest.cvd_record(3, 5, 0)})
    publish_haus(2)
    mirror_port = ng.alt_port
    over = {"update_mirrors": ng.url("/e429/clamav", "http", mirror_port),
            "update_feeds": haus_feed()}
    cur = up.current()
    mark = ng.mark()
    r = up.run(overrides=over)
    reqs = ng.requests_since(mark)
    to_mirror = [q for q in reqs if q.startswith("%d " % mirror_port)]
    tap.eq(r.rc, 5, "mirror answers 429, new feed: exit 5 (cool-down)") or tap.diag(r)
    tap.ok(len(to_mirror) == 1 and " /e429/clamav/daily.cvd 429 " in to_mirror[0],
           "one request to the mirror (daily.cvd, answered 429)", "\n".join(reqs))
    tap.ok(up.current() != cur and same("daily", 4) and same("main", 3),
           "a new set, daily stays at its installed version 4")
    tap.ok(detects(2), "the feed's new version is installed and detected")
    tap.ok("daily keeps its installed version 4" in r.err, "the log says daily kept version 4",
           r.err)

    publish_haus(3)
    cur = up.current()
    mark = ng.mark()
    r = up.run(overrides=over)
    reqs = ng.requests_since(mark)
    tap.eq(r.rc, 5, "next run inside the cool-down: exit 5") or tap.diag(r)
    tap.eq([q for q in reqs if q.startswith("%d " % mirror_port)], [],
           "next run inside the cool-down: zero requests to the mirror")
    tap.ok(up.current() != cur and same("daily", 4) and detects(3),
           "and the feed (due) still updates: its newer version is installed", reqs)


def test_first_set_needs_all(tap):
    """9: no first set without every configured database."""
    froot = os.path.join(work, "fresh")
    fup = updtest.Updater(work, froot, dict(up.options, database_root=froot), name="fresh.conf")
    mark = ng.mark()
    r = fup.run(overrides={"update_mirrors": ng.url("/e429/clamav", "http", ng.alt_port),
                           "update_feeds": haus_feed()})
    reqs = ng.requests_since(mark)
    tap.eq(r.rc, 5, "first install, daily's mirror on cool-down: exit 5") or tap.diag(r)
    tap.ok(any(q.startswith("%d " % ng.alt2_port) for q in reqs),
           "the feed was fetched", "\n".join(reqs))
    tap.ok(fup.current() is None and fup.versions() == [],
           "no set built without the databases (no current, no version)", fup.versions())
    tap.ok("no installed version to keep" in r.err, "the log says why", r.err)


mxtest.run(globals(), tap)
