#!/usr/bin/env python3
"""t_clients - the clamd clients people already run work against mxscand
unchanged: each a real third-party client from Debian or npm with its
ordinary configuration, all on one mxscand (UNIX socket mode 0666 and a
loopback TCP port, as a clamd would offer them).  For every client:
EICAR is found (with its signature name where the client reports one),
a clean file or message is clean, and mxscand's own log shows the
requests the client sent (so the verdicts are mxscand's).

  clamav-milter      Debian's clamav-milter.conf (OnInfected Quarantine,
                     AddHeader Replace) behind a real Postfix
                     (smtpd_milters), mail sent with swaks: the clean
                     message is delivered with X-Virus-Status: Clean, the
                     EICAR one goes to Postfix's hold queue
  clamsmtp           clamsmtpd as the same Postfix's after-queue
                     content_filter (Action: drop): clean mail delivered,
                     EICAR answered "250 Virus Detected; Discarded Email"
                     and not delivered
  clamdtop           in tmux: its screen shows the thread and queue lines
                     with the numbers mxscand's STATS gives, and it quits
                     cleanly on q
  ClamAV::Client     Perl (libclamav-client-perl): ping, version,
                     scan_path, scan_path_complete; scan_stream uses the
                     legacy STREAM command, tested when this mxscand has
                     scand_legacy_stream
  pyclamd            Python (python3-pyclamd): ping, version, scan_file,
                     contscan_file, multiscan_file, scan_stream over the
                     UNIX socket and over TCP
  rspamd             rspamd's antivirus module (Debian's rspamd.conf, a
                     throwaway local.d/antivirus.conf pointing at the
                     socket): rspamc shows CLAM_VIRUS with the signature
                     for the EICAR message, not for the clean one
  clamscan (npm)     Node's clamscan, installed by this test into the build
                     directory: getVersion, isInfected, scanStream; skipped
                     with the reason when npm or its registry is not there
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
import peers  # noqa: E402
import postfix  # noqa: E402
from mxtest import EICAR, EICAR_SIG  # noqa: E402

tap = mxtest.Tap()
if os.geteuid() != 0:
    tap.skip_all("needs root (the clients run as their packages' users)")

THREADS = 3            # an unusual scand_threads, so clamdtop's numbers are telling
NPM_PACKAGE = "clamscan@2.4.0"


@mxtest.setup
def start(tap):
    global work, mx, files, eicar_file, clean_file, tcp_port, legacy_stream
    work = mxtest.tmpdir("tclients")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    files = os.path.join(work, "files")
    os.makedirs(files)
    eicar_file = os.path.join(files, "eicar.com")
    clean_file = os.path.join(files, "clean.txt")
    with open(eicar_file, "wb") as f:
        f.write(EICAR)
    with open(clean_file, "wb") as f:
        f.write(b"Minutes of the meeting, nothing to see.\n" * 40)
    for p in (files, eicar_file, clean_file):
        os.chmod(p, 0o755 if os.path.isdir(p) else 0o644)
    tcp_port = mxtest.free_port()
    opts = {
        "scand_socket_mode": "0666",   # the clients run as clamav, clamsmtp, _rspamd
        "scand_tcp_listen": "127.0.0.1:%d" % tcp_port,
        "scand_threads": str(THREADS),
        "scand_scan_roots": work,      # SCAN of the files, and of clamsmtp's temp files
    }
    # Old clamd's STREAM (ClamAV::Client's scan_stream), where this
    # mxscand has it (issue 17 item 3).
    legacy_stream = subprocess.run([mxtest.MXSCAND, "-c", "/dev/null", "-o",
                                    "scand_legacy_stream=yes", "-n"],
                                   capture_output=True).returncode == 0
    if legacy_stream:
        opts["scand_legacy_stream"] = "yes"
    os.makedirs(os.path.join(work, "mxscand"))
    mx = mxtest.Daemon(db, workdir=os.path.join(work, "mxscand"), options=opts)


# --- helpers -----------------------------------------------------------------

def mark():
    """Where mxscand's log ends now (see requests_since)."""
    return os.path.getsize(mx.log)


def requests_since(offset):
    """mxscand's request log lines written after OFFSET, as dicts
    (cmd, verdict, sig...)."""
    with open(mx.log, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    out = []
    for line in text.splitlines():
        if " req=" in line:
            out.append(dict(kv.split("=", 1) for kv in line.split() if "=" in kv))
    return out


def served(offset, name, cmds):
    """A test point: since OFFSET mxscand logged a FOUND with EICAR's
    signature and an OK, each for one of CMDS."""
    reqs = [r for r in requests_since(offset) if r.get("cmd") in cmds]
    found = [r for r in reqs if r.get("verdict") == "FOUND" and r.get("sig") == EICAR_SIG]
    ok = [r for r in reqs if r.get("verdict") == "OK"]
    tap.ok(found and ok, "%s: mxscand's log shows its %s requests, FOUND and OK"
           % (name, "/".join(sorted(cmds))), requests_since(offset))


def message(subject, attachment, filename):
    n = os.urandom(6).hex()
    return mimegen.multipart_message(
        [mimegen.text_part(b"Hello,\r\n\r\nthe file is attached.\r\n"),
         mimegen.attachment(attachment, filename)],
        subject=subject.encode(), msgid="%s.t_clients@example.test" % n)


def clean_message(subject):
    return message(subject, os.urandom(3000), "report.pdf")


def infected_message(subject):
    return message(subject, EICAR, "invoice.com")


def queued_for(rcpt):
    """Messages for RCPT still in Postfix's queue."""
    return [m for m in pf.queue()
            if any(r.get("address") == rcpt for r in m.get("recipients", []))]


def message_id(data):
    m = re.search(rb"^Message-ID:\s*(\S+)", data, re.M | re.I)
    return m.group(1) if m else None


# --- MTA clients: clamav-milter and clamsmtp in one Postfix --------------------

def test_mta_clients(tap):
    """One Postfix: the public smtpd hands every message to clamsmtpd
    (after-queue content_filter, the scripts/postfix wiring with
    clamsmtpd in mxscan-filter's place); a second smtpd runs Debian's
    clamav-milter as its smtpd_milters."""
    missing = postfix.available() + peers.missing("clamsmtpd", "clamav-milter")
    if missing:
        tap.skip("MTA clients: missing " + ", ".join(missing))
        return
    global pf
    filter_port, milter_port = mxtest.free_port(), mxtest.free_port()
    milter = peers.ClamavMilter(os.path.join(work, "milter"), mx.socket)
    pf = postfix.Postfix(mode="after-queue", filter_port=filter_port, master_extra=[
        "127.0.0.1:%d inet n - n - 10 smtpd\n  -o content_filter=\n  -o smtpd_milters=unix:%s"
        % (milter_port, milter.socket)])
    pf.start()
    smtpd = peers.Clamsmtpd(os.path.join(work, "clamsmtp"), filter_port, pf.reinject_port,
                            mx.socket, action="drop")

    # clamav-milter: clean delivered with its header, EICAR held
    at = mark()
    clean, bad = clean_message("milter clean"), infected_message("milter eicar")
    rc1, out1 = pf.swaks("dave@example.test", data=clean, port=milter_port)
    rc2, out2 = pf.swaks("dave@example.test", data=bad, port=milter_port)
    tap.ok(rc1 == 0 and rc2 == 0, "clamav-milter: Postfix accepts both messages (250)",
           out1[-1500:] + out2[-1500:])
    held = mxtest.wait_for(lambda: [m for m in pf.queue() if m.get("queue_name") == "hold"], 60)
    tap.ok(held and pf.wait_maildir("dave", 1, 60),
           "clamav-milter: the EICAR message is in Postfix's hold queue, the clean one delivered",
           pf.queue() and "queue: %r" % pf.queue() or pf.logtext()[-3000:])
    box = pf.maildir("dave")
    tap.ok(len(box) == 1 and message_id(box[0][1]) == message_id(clean)
           and b"\nX-Virus-Status: Clean" in box[0][1]
           and b"\nX-Virus-Scanned: clamav-milter " in box[0][1],
           "clamav-milter: only the clean message delivered, with X-Virus-Status: Clean",
           box and box[0][1][:1500])
    tap.ok(pf.log_lines(r"milter-hold: END-OF-MESSAGE from \S+: milter triggers HOLD action"),
           "clamav-milter: Postfix logs the milter's HOLD", pf.logtext()[-2000:])
    tap.ok(re.search(r"infected by %s$" % re.escape(EICAR_SIG), milter.logtext(), re.M),
           "clamav-milter: its log names %s" % EICAR_SIG, milter.logtext()[-1500:])
    served(at, "clamav-milter", {"FILDES"})

    # clamsmtp: clean delivered, EICAR discarded with its 250
    at = mark()
    clean, bad = clean_message("clamsmtp clean"), infected_message("clamsmtp eicar")
    rc1, out1 = pf.swaks("carol@example.test", data=clean)
    rc2, out2 = pf.swaks("carol@example.test", data=bad)
    tap.ok(rc1 == 0 and rc2 == 0, "clamsmtp: Postfix accepts both messages",
           out1[-1500:] + out2[-1500:])
    tap.ok(pf.wait_log(r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d.*status=sent "
                       r"\(250 Virus Detected; Discarded Email\)" % filter_port, 60)
           and pf.wait_maildir("carol", 1, 60)
           and mxtest.wait_for(lambda: not queued_for("carol@example.test"), 60),
           "clamsmtp: EICAR answered 250 Virus Detected; Discarded Email, clean delivered",
           pf.logtext()[-3000:] + smtpd.logtext()[-1500:])
    box = pf.maildir("carol")
    tap.ok(len(box) == 1 and message_id(box[0][1]) == message_id(clean),
           "clamsmtp: only the clean message in the Maildir", [b[1][:300] for b in box])
    served(at, "clamsmtp", {"SCAN"})


# --- clamdtop ----------------------------------------------------------------

def stats_numbers():
    """(live, idle, max, queue) from mxscand's STATS."""
    raw = mx.request(b"zSTATS\0").decode()
    t = re.search(r"^THREADS: live (\d+)  idle (\d+) max (\d+) ", raw, re.M)
    q = re.search(r"^QUEUE: (\d+) items$", raw, re.M)
    return tuple(int(x) for x in t.groups()) + (int(q.group(1)),), raw


def test_clamdtop(tap):
    """clamdtop (clamav-daemon) on mxscand's socket, in a tmux pane: the
    summary row (LIV IDL QUEUE) and the detail lines (Primary threads:
    live idle max, Queue: items) carry STATS' numbers."""
    if peers.missing("clamdtop", "tmux"):
        tap.skip("clamdtop: missing " + ", ".join(peers.missing("clamdtop", "tmux")))
        return
    # a private server whose socket goes with the test's directory
    tmux = ["tmux", "-S", os.path.join(work, "tmux.sock"), "-f", "/dev/null"]

    def kill_server():
        subprocess.run(tmux + ["kill-server"], capture_output=True)

    mxtest.on_cleanup(kill_server)
    subprocess.run(tmux + ["new-session", "-d", "-x", "132", "-y", "40",
                           "clamdtop %s; echo clamdtop exited $?; sleep 600" % mx.socket],
                   check=True, env=dict(os.environ, TERM="xterm"))

    def screen():
        return subprocess.run(tmux + ["capture-pane", "-p"], capture_output=True,
                              text=True).stdout

    def drawn():
        text = screen()
        return "clamdtop exited" in text or ("Primary threads:" in text and "Queue:" in text and
                                             re.search(r"^\s*1 \d\d:\d\d:\d\d ", text, re.M))

    mxtest.wait_for(drawn, 30)
    text = screen()
    shown = "clamdtop exited" not in text and drawn()
    want, raw = stats_numbers()
    tap.ok(shown, "clamdtop shows mxscand's summary, thread and queue lines", text)
    row = re.search(r"^\s*1 \d\d:\d\d:\d\d\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s", text, re.M)
    thr = re.search(r"Primary threads: live\s+(\d+) idle\s+(\d+) max\s+(\d+)", text)
    que = re.search(r"Queue:\s+(\d+) items\s+(\d+) max", text)
    got = (tuple(int(x) for x in thr.groups()) + (int(que.group(1)),)) if thr and que else None
    tap.eq(got, want, "clamdtop: live, idle, max and queue are STATS' (%s)"
           % " ".join(x for x in raw.splitlines() if x.startswith(("THREADS", "QUEUE"))))
    tap.eq(want[2], THREADS, "STATS: max is scand_threads")
    tap.ok(row is not None and (int(row.group(1)), int(row.group(2)), int(row.group(3)))
           == (want[0], want[1], want[3]), "clamdtop: the summary row's LIV IDL QUEUE are STATS'",
           text)
    subprocess.run(tmux + ["send-keys", "q"], check=True)
    tap.ok(mxtest.wait_for(lambda: "clamdtop exited 0" in screen(), 30),
           "clamdtop quits cleanly on q (exit 0)", screen())


# --- library clients ---------------------------------------------------------

PERL = r"""
use strict; use warnings; use ClamAV::Client;
my ($sock, $port, $eicar, $clean, $dir, $stream) = @ARGV;
my $c = ClamAV::Client->new(socket_name => $sock);
print "ping ", ($c->ping ? 1 : 0), "\n";
print "version ", $c->version, "\n";
my @r = $c->scan_path($eicar); print "path-eicar ", ($r[1] // "OK"), "\n";
@r = $c->scan_path($clean); print "path-clean ", ($r[1] // "OK"), "\n";
my %all = $c->scan_path_complete($dir);
print "complete $_ $all{$_}\n" for sort keys %all;
if ($stream) {
    my $t = ClamAV::Client->new(socket_host => "127.0.0.1", socket_port => $port);
    for my $f ($eicar, $clean) {
        open(my $fh, "<", $f) or die "$f: $!"; binmode $fh;
        print "stream ", ($t->scan_stream($fh) // "OK"), "\n";
    }
}
"""


def test_perl_clamav_client(tap):
    """Perl's ClamAV::Client as its documentation shows it."""
    out = subprocess.run(["perl", "-e", "use ClamAV::Client"], capture_output=True)
    if out.returncode != 0:
        tap.skip("ClamAV::Client: libclamav-client-perl not installed")
        return
    at = mark()
    r = subprocess.run(["perl", "-e", PERL, mx.socket, str(tcp_port), eicar_file, clean_file,
                        files, "1" if legacy_stream else ""],
                       capture_output=True, text=True, timeout=120)
    lines = r.stdout.splitlines()
    tap.ok(r.returncode == 0 and "ping 1" in lines and
           any(x.startswith("version ClamAV ") for x in lines),
           "ClamAV::Client: ping and version", r.stdout + r.stderr)
    tap.ok("path-eicar " + EICAR_SIG in lines and "path-clean OK" in lines,
           "ClamAV::Client: scan_path finds EICAR by name, the clean file clean", r.stdout)
    tap.eq([x for x in lines if x.startswith("complete ")],
           ["complete %s %s" % (eicar_file, EICAR_SIG)],
           "ClamAV::Client: scan_path_complete (CONTSCAN) lists exactly the EICAR file")
    served(at, "ClamAV::Client", {"SCAN", "CONTSCAN"})
    if legacy_stream:
        tap.eq([x for x in lines if x.startswith("stream ")],
               ["stream " + EICAR_SIG, "stream OK"],
               "ClamAV::Client: scan_stream (legacy STREAM over TCP) finds EICAR, clean is OK")
    else:
        tap.skip("ClamAV::Client scan_stream: it sends the legacy STREAM command, which "
                 "clamd removed in 0.97 and this mxscand does not have (scand_legacy_stream)")


PYCLAMD = r"""
import json, sys, pyclamd
sock, port, eicar, clean, d = sys.argv[1:6]
u = pyclamd.ClamdUnixSocket(filename=sock)
t = pyclamd.ClamdNetworkSocket(host="127.0.0.1", port=int(port))
data = lambda p: open(p, "rb").read()
print(json.dumps({
    "ping": [u.ping(), t.ping()],
    "version": u.version(),
    "file_eicar": u.scan_file(eicar), "file_clean": u.scan_file(clean),
    "contscan": u.contscan_file(d), "multiscan": u.multiscan_file(d),
    "stream_eicar": u.scan_stream(data(eicar)), "stream_clean": u.scan_stream(data(clean)),
    "tcp_eicar": t.scan_stream(data(eicar)), "tcp_clean": t.scan_stream(data(clean)),
}))
"""


def debian_python():
    """A python3 that imports Debian's pyclamd (the test itself may run
    under another python3)."""
    for py in ("/usr/bin/python3", "python3"):
        if subprocess.run([py, "-c", "import pyclamd"], capture_output=True).returncode == 0:
            return py
    return None


def test_pyclamd(tap):
    py = debian_python()
    if py is None:
        tap.skip("pyclamd: python3-pyclamd not installed")
        return
    at = mark()
    r = subprocess.run([py, "-c", PYCLAMD, mx.socket, str(tcp_port), eicar_file, clean_file,
                        files], capture_output=True, text=True, timeout=120)
    if not tap.ok(r.returncode == 0, "pyclamd: the client ran", r.stderr[-2000:]):
        return
    got = json.loads(r.stdout)
    found = ["FOUND", EICAR_SIG]
    tap.ok(got["ping"] == [True, True] and got["version"].startswith("ClamAV "),
           "pyclamd: ping (UNIX and TCP) and version", got)
    tap.eq((got["file_eicar"], got["file_clean"]), ({eicar_file: found}, None),
           "pyclamd: scan_file finds EICAR, the clean file is clean (None)")
    tap.eq((got["contscan"], got["multiscan"]), ({eicar_file: found}, {eicar_file: found}),
           "pyclamd: contscan_file and multiscan_file list exactly the EICAR file")
    tap.eq((got["stream_eicar"], got["stream_clean"], got["tcp_eicar"], got["tcp_clean"]),
           ({"stream": found}, None, {"stream": found}, None),
           "pyclamd: scan_stream (INSTREAM) on the UNIX socket and over TCP")
    served(at, "pyclamd", {"SCAN", "CONTSCAN", "MULTISCAN", "INSTREAM"})


# --- rspamd ------------------------------------------------------------------

def test_rspamd(tap):
    """rspamd's antivirus module, configured as rspamd's documentation
    shows for clamav, pointed at mxscand's socket."""
    if peers.missing("rspamd", "rspamc"):
        tap.skip("rspamd: not installed")
        return
    av = ('clamav {\n  scan_mime_parts = true;\n  scan_text_mime = false;\n'
          '  scan_image_mime = false;\n  symbol = "CLAM_VIRUS";\n  type = "clamav";\n'
          '  action = "reject";\n  servers = "%s";\n}\n' % mx.socket)
    rs = peers.Rspamd(os.path.join(work, "rspamd"), {"antivirus.conf": av})
    at = mark()
    rc1, bad = rs.rspamc("symbols", data=infected_message("rspamd eicar"))
    rc2, good = rs.rspamc("symbols", data=clean_message("rspamd clean"))
    tap.ok(rc1 == 0 and re.search(r"^Symbol: CLAM_VIRUS \([-\d.]+\)\[%s\]$" % re.escape(EICAR_SIG),
                                  bad, re.M) and re.search(r"^Action: reject$", bad, re.M),
           "rspamd: rspamc shows CLAM_VIRUS[%s] and reject for the EICAR message" % EICAR_SIG, bad)
    tap.ok(rc2 == 0 and "CLAM_VIRUS" not in good and "Symbol: " in good,
           "rspamd: no CLAM_VIRUS for the clean message", good)
    served(at, "rspamd", {"INSTREAM"})
    rs.stop()


# --- Node: clamscan from npm -------------------------------------------------

NODE = r"""
const NodeClam = require('clamscan');
const fs = require('fs');
const [sock, port, eicar, clean] = process.argv.slice(2);
(async () => {
  const out = {};
  for (const [label, conn] of [['unix', { socket: sock }],
                               ['tcp', { host: '127.0.0.1', port: Number(port) }]]) {
    const clam = await new NodeClam().init({
      clamscan: { active: false }, preference: 'clamdscan',
      clamdscan: Object.assign({ active: true, localFallback: false, timeout: 60000 }, conn),
    });
    out[label + '_version'] = await clam.getVersion();
    for (const [name, f] of [['eicar', eicar], ['clean', clean]]) {
      const r = await clam.scanStream(fs.createReadStream(f));
      out[label + '_stream_' + name] = [r.isInfected, r.viruses];
    }
    if (label === 'unix') {
      for (const [name, f] of [['eicar', eicar], ['clean', clean]]) {
        const r = await clam.isInfected(f);
        out['file_' + name] = [r.isInfected, r.viruses];
      }
    }
  }
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(2); });
"""


def npm_module():
    """The npm folder under the build directory holding NPM_PACKAGE
    (installed now if it is not there yet); (folder, None) or (None, the
    reason it cannot be had)."""
    if peers.missing("node", "npm"):
        return None, "node or npm not installed"
    folder = os.path.join(mxtest.BUILDDIR, "tests", "npm")
    name, version = NPM_PACKAGE.rsplit("@", 1)
    pkg = os.path.join(folder, "node_modules", name, "package.json")
    try:
        with open(pkg) as f:
            if json.load(f).get("version") == version:
                return folder, None
    except (OSError, ValueError):
        pass
    # bounded: no retries, 20 s per request (npm's defaults wait minutes offline)
    bounded = ["--fetch-retries=0", "--fetch-timeout=20000"]
    ping = subprocess.run(["npm", "ping"] + bounded, capture_output=True, text=True, timeout=120)
    if ping.returncode != 0:
        why = [x for x in ping.stderr.splitlines()
               if x.startswith("npm error") and "complete log" not in x]
        return None, "the npm registry is unreachable (npm ping: %s)" % (
            "; ".join(why[:2]) or "exit %d" % ping.returncode)
    os.makedirs(folder, exist_ok=True)
    r = subprocess.run(["npm", "install", "--prefix", folder, "--no-audit", "--no-fund",
                        "--no-package-lock"] + bounded + [NPM_PACKAGE],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError("npm install %s failed:\n%s" % (NPM_PACKAGE, r.stderr[-2000:]))
    return folder, None


def test_node_clamscan(tap):
    folder, why = npm_module()
    if folder is None:
        tap.skip("node clamscan: " + why)
        return
    at = mark()
    script = os.path.join(work, "clamscan-client.js")
    with open(script, "w") as f:
        f.write(NODE)
    r = subprocess.run(["node", script, mx.socket, str(tcp_port), eicar_file, clean_file],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, NODE_PATH=os.path.join(folder, "node_modules")))
    if not tap.ok(r.returncode == 0, "node clamscan (%s): the client ran" % NPM_PACKAGE,
                  r.stdout[-1000:] + r.stderr[-2000:]):
        return
    got = json.loads(r.stdout.strip().splitlines()[-1])
    found, clean = [True, [EICAR_SIG]], [False, []]
    tap.ok(got["unix_version"].startswith("ClamAV ") and got["tcp_version"] == got["unix_version"],
           "node clamscan: getVersion on the UNIX socket and over TCP", got)
    tap.eq([got[k] for k in ("unix_stream_eicar", "unix_stream_clean", "tcp_stream_eicar",
                             "tcp_stream_clean")], [found, clean, found, clean],
           "node clamscan: scanStream finds EICAR by name, clean is clean (UNIX and TCP)")
    tap.eq([got["file_eicar"], got["file_clean"]], [found, clean],
           "node clamscan: isInfected of a file")
    served(at, "node clamscan", {"INSTREAM", "MULTISCAN"})


def test_daemon_stops(tap):
    tap.eq(mx.stop(), 0, "mxscand stops cleanly after serving every client")


if __name__ == "__main__":
    mxtest.run(globals())
