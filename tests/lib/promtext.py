"""promtext - scrape a metrics endpoint and read Prometheus' text format,
for the metrics tests (t_metrics.py, t_filter_metrics.py).

parse() reads samples with a parser of its own (label values unescaped),
so a test compares numbers, not text; check() runs Prometheus' own
`promtool check metrics` (Debian package prometheus) over a page."""
import http.client
import os
import re
import shutil
import subprocess

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def request(port, method="GET", path="/metrics", host="127.0.0.1", body=None):
    """One HTTP request; (status, headers dict with lower-case names, body bytes)."""
    c = http.client.HTTPConnection(host, port, timeout=30)
    try:
        c.request(method, path, body=body)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def check_refusals(tap, port, methods=("POST", "HEAD", "PUT"), paths=("/other",)):
    """The endpoint answers METHODS with 405 (Allow: GET) and GET of PATHS with 404."""
    for method in methods:
        status, headers, _ = request(port, method)
        tap.ok(status == 405 and headers.get("allow") == "GET", "%s: 405" % method, status)
    for path in paths:
        tap.eq(request(port, path=path)[0], 404, "GET %s: 404" % path)


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse(text):
    """{(name, ((label, value), ...sorted)): float} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if m is None:
            raise ValueError("not a sample line: %r" % line)
        labels = tuple(sorted((k, unescape(v)) for k, v in LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def scrape(port, path="/metrics"):
    """GET the page; (text, parsed samples).  Raises unless 200."""
    status, _, body = request(port, path=path)
    if status != 200:
        raise OSError("GET %s: HTTP %d" % (path, status))
    text = body.decode("utf-8")
    return text, parse(text)


def value(samples, name, **labels):
    """One sample's value (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(before, after, name, **labels):
    return value(after, name, **labels) - value(before, name, **labels)


def check(text):
    """promtool check metrics over TEXT: (passed, its output)."""
    if shutil.which("promtool") is None:
        return False, "promtool not installed (Debian package prometheus)"
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       capture_output=True, timeout=60)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    return p.returncode == 0 and out.strip() == "", out


def tcp_listeners(pid):
    """Loopback-or-not TCP ports PID listens on (from /proc: its socket
    inodes against the LISTEN rows of /proc/net/tcp and tcp6)."""
    inodes = set()
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            t = os.readlink(os.path.join(fddir, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.add(t[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                p = line.split()
                if p[3] == "0A" and p[9] in inodes:
                    ports.add(int(p[1].rsplit(":", 1)[1], 16))
    return ports
