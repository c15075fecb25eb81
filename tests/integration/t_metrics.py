#!/usr/bin/env python3
"""t_metrics - mxscand's Prometheus endpoint (scand_metrics_listen).

Shows: the page passes `promtool check metrics`; the request counters,
histograms and byte counts move by exactly the requests this test sends
(N EICAR and M clean INSTREAMs, a stream over the size limit, an
unknown command, a RELOAD); the gauges agree with HEALTH; the endpoint
answers only GET of metrics_path (405 other methods, 404 other paths);
it is off by default (no TCP listener at all), a bare port binds
127.0.0.1, and a non-loopback address is refused at start-up unless
metrics_allow_remote = yes.
"""
import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402
import promtext  # noqa: E402
from promtext import delta, value  # noqa: E402

tap = mxtest.Tap()
N_EICAR, M_CLEAN = 3, 2
LIMIT = 4096


@mxtest.setup
def start(tap):
    global work, db, mx, port
    work = mxtest.tmpdir("t_metrics")
    for d in ("on", "off", "bare", "remote"):
        os.makedirs(os.path.join(work, d))
    db = mxtest.make_test_db(os.path.join(work, "db"))
    port = mxtest.free_port()
    mx = mxtest.Daemon(db, workdir=os.path.join(work, "on"), options={
        "scand_metrics_listen": "127.0.0.1:%d" % port,
        "scand_stream_max_length": str(LIMIT)})


def instream(data):
    return mx.request(b"zINSTREAM\0" + mxtest.instream_bytes(data))


def test_promtool(tap):
    text, samples = promtext.scrape(port)
    ok, out = promtext.check(text)
    tap.ok(ok, "promtool check metrics passes on mxscand's page", out)
    tap.eq(value(samples, "mxscand_build_info", version=mx_version(),
                 libclamav=clamav_version()), 1.0, "mxscand_build_info names both versions")
    names = {n for n, _ in samples}
    want = {"mxscand_requests_total", "mxscand_commands_total", "mxscand_scanned_bytes_total",
            "mxscand_scan_duration_seconds_count", "mxscand_request_duration_seconds_bucket",
            "mxscand_queue_depth", "mxscand_threads_busy", "mxscand_connections",
            "mxscand_engine_generation", "mxscand_signatures", "mxscand_database_version",
            "mxscand_reload_state", "mxscand_reload_consecutive_failures", "mxscand_reloads_total",
            "mxscand_cache_entries", "mxscand_cache_hit_ratio", "mxscand_build_info"}
    tap.ok(want <= names, "every promised family is on the page", sorted(want - names))
    page = open(os.path.join(mxtest.SRCDIR, "doc", "mxscand.8")).read().replace("\\-", "-")
    families = set(re.findall(r"^# TYPE (\S+)", text, re.M))
    tap.ok(families and all(f in page for f in families), "mxscand(8) names every family",
           sorted(f for f in families if f not in page))


def mx_version():
    return subprocess.run([mxtest.MXSCAND, "-V"], capture_output=True, text=True).stdout.split()[1]


def clamav_version():
    v = mx.request(b"zVERSION\0").rstrip(b"\0").decode()
    return v.split()[1].split("/")[0]


def test_counters_move_exactly(tap):
    """N EICAR and M clean INSTREAMs, one stream over the limit, one
    unknown command: each counter moves by exactly that."""
    _, before = promtext.scrape(port)
    clean = [b"clean body %d\n" % i * (i + 1) for i in range(M_CLEAN)]
    for _ in range(N_EICAR):
        r = instream(mxtest.EICAR)
        tap.ok(r.endswith(b"FOUND\0"), "EICAR found", r)
    for body in clean:
        tap.eq(instream(body), b"stream: OK\0", "clean body clean")
    r = instream(b"x" * (LIMIT + 1))
    tap.ok(b"size limit" in r, "a stream over scand_stream_max_length is refused", r)
    mx.request(b"zNOSUCHCOMMAND\0")
    _, after = promtext.scrape(port)

    tap.eq(delta(before, after, "mxscand_requests_total", command="INSTREAM", result="found"),
           N_EICAR, "requests_total{INSTREAM,found} rose by N")
    tap.eq(delta(before, after, "mxscand_requests_total", command="INSTREAM", result="ok"),
           M_CLEAN, "requests_total{INSTREAM,ok} rose by M")
    tap.eq(delta(before, after, "mxscand_requests_total", command="INSTREAM", result="limit"),
           1, "requests_total{INSTREAM,limit} rose by 1")
    tap.eq(delta(before, after, "mxscand_requests_total", command="INSTREAM", result="error"),
           0, "requests_total{INSTREAM,error} did not move")
    tap.eq(delta(before, after, "mxscand_commands_total", command="INSTREAM"),
           N_EICAR + M_CLEAN + 1, "commands_total{INSTREAM} counts every INSTREAM command")
    tap.eq(delta(before, after, "mxscand_commands_total", command="unknown"), 1,
           "an unknown command counts as command=\"unknown\"")
    for h in ("mxscand_scan_duration_seconds", "mxscand_request_duration_seconds"):
        tap.eq(delta(before, after, h + "_count", command="INSTREAM"), N_EICAR + M_CLEAN,
               "%s_count rose by N+M" % h)
        tap.eq(delta(before, after, h + "_bucket", command="INSTREAM", le="+Inf"),
               N_EICAR + M_CLEAN, "%s +Inf bucket equals its count" % h)
    tap.eq(delta(before, after, "mxscand_scanned_bytes_total", command="INSTREAM"),
           N_EICAR * len(mxtest.EICAR) + sum(len(b) for b in clean),
           "scanned_bytes_total rose by the bytes sent")
    tap.eq(delta(before, after, "mxscand_requests_total", command="FILDES", result="ok"), 0,
           "other commands' counters did not move")
    hits = value(after, "mxscand_cache_hits_total")
    misses = value(after, "mxscand_cache_misses_total")
    tap.ok(hits >= N_EICAR - 1 and
           abs(value(after, "mxscand_cache_hit_ratio") - hits / (hits + misses)) < 1e-9,
           "cache hit ratio is hits over lookups", (hits, misses))


def test_gauges_match_health(tap):
    h = mx.health()
    _, s = promtext.scrape(port)
    for metric, key in (("mxscand_engine_generation", "engine_generation"),
                        ("mxscand_signatures", "signatures"),
                        ("mxscand_database_version", "database_version"),
                        ("mxscand_cache_entries", "cache_entries"),
                        ("mxscand_threads", "threads_total"),
                        ("mxscand_reload_consecutive_failures", "reload_failures")):
        tap.eq(value(s, metric), float(h[key]), "%s equals HEALTH's %s" % (metric, key))
    tap.eq(value(s, "mxscand_reload_state", state=h["reload_state"]), 1.0,
           "reload_state is 1 for HEALTH's state")
    # this scrape's own connection is not a scan client; the test holds one open
    c = mxtest.connect(mx.socket)
    try:
        c.sendall(b"zIDSESSION\0")
        tap.ok(mxtest.wait_for(
            lambda: value(promtext.scrape(port)[1], "mxscand_connections") == 1, 30),
            "mxscand_connections counts the one open client connection")
    finally:
        c.sendall(b"zEND\0")
        c.close()


def test_reload_counted(tap):
    _, before = promtext.scrape(port)
    gen = int(mx.health()["engine_generation"])
    tap.eq(mx.request(b"zRELOAD\0"), b"RELOADING\0", "RELOAD accepted")
    tap.ok(mx.wait_health(lambda h: int(h["engine_generation"]) == gen + 1 and
                          h["reload_state"] == "idle") is not None, "the reload finished")
    _, after = promtext.scrape(port)
    tap.eq(delta(before, after, "mxscand_reloads_total", result="ok"), 1,
           "reloads_total{ok} rose by 1")
    tap.eq(delta(before, after, "mxscand_engine_generation"), 1, "engine_generation rose by 1")
    tap.eq(delta(before, after, "mxscand_commands_total", command="RELOAD"), 1,
           "commands_total{RELOAD} rose by 1")


def test_refuses_all_but_get(tap):
    for method in ("POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"):
        status, headers, _ = promtext.request(port, method, body=b"x=1" if method != "HEAD" else None)
        tap.ok(status == 405 and headers.get("allow") == "GET",
               "%s /metrics: 405 with Allow: GET" % method, (status, headers))
    for path in ("/", "/metrics/", "/metricsx", "/Metrics", "/../metrics", "/favicon.ico"):
        status, _, body = promtext.request(port, path=path)
        tap.ok(status == 404 and b"mxscand_" not in body, "GET %s: 404" % path, status)
    status, headers, body = promtext.request(port)
    tap.ok(status == 200 and headers.get("content-type", "").startswith("text/plain; version=0.0.4")
           and b"# TYPE mxscand_requests_total counter" in body,
           "GET /metrics: 200, text format 0.0.4", (status, headers))


def test_off_by_default(tap):
    d = mxtest.Daemon(db, workdir=os.path.join(work, "off"))
    tap.eq(promtext.tcp_listeners(d.proc.pid), set(), "by default mxscand listens on no TCP port")
    d.stop()


def test_bare_port_is_loopback(tap):
    p = mxtest.free_port()
    d = mxtest.Daemon(db, workdir=os.path.join(work, "bare"),
                      options={"scand_metrics_listen": str(p), "metrics_path": "/m"})
    tap.eq(promtext.request(p, path="/m")[0], 200, "a bare port is served, at metrics_path")
    rows = [l.split() for t in ("/proc/net/tcp", "/proc/net/tcp6") for l in list(open(t))[1:]]
    local = [r[1] for r in rows if r[3] == "0A" and r[1].endswith(":%04X" % p)]
    tap.eq(local, ["0100007F:%04X" % p], "it binds 127.0.0.1 only")
    d.stop()


def test_remote_refused(tap):
    host = non_loopback_address()
    if host is None:
        tap.skip("no non-loopback IPv4 address on this host")
        return
    p = mxtest.free_port()
    conf = os.path.join(work, "remote.conf")
    with open(conf, "w") as f:
        f.write("database_root = %s\nscand_socket = %s\nscand_user =\nscand_temp_dir = %s\n"
                % (db, os.path.join(work, "remote.sock"), work))
    for addr in ("%s:%d" % (host, p), "0.0.0.0:%d" % p):
        r = subprocess.run([mxtest.MXSCAND, "-f", "-c", conf, "-o", "scand_metrics_listen=" + addr],
                           capture_output=True, text=True, timeout=60)
        tap.ok(r.returncode != 0 and "metrics_allow_remote" in r.stderr,
               "%s is refused at start-up, naming metrics_allow_remote" % addr, r.stderr[-500:])
    d = mxtest.Daemon(db, workdir=os.path.join(work, "remote"), options={
        "scand_metrics_listen": "%s:%d" % (host, p), "metrics_allow_remote": "yes"})
    tap.eq(promtext.request(p, host=host)[0], 200, "with metrics_allow_remote = yes it is served")
    d.stop()


def non_loopback_address():
    """An IPv4 address of this host that is not loopback, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # no packet is sent: only picks the source address
        a = s.getsockname()[0]
        return None if a.startswith("127.") else a
    except OSError:
        return None
    finally:
        s.close()


if __name__ == "__main__":
    mxtest.run(globals())
