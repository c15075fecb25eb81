#!/usr/bin/env python3
"""t_spamfilter_kit - scripts/messaging-server's ClamAV spamfilter kit
agrees with itself and with mxscand.

Shows: the option.dat lines name the kit's option file and act on the
VERDICT it sets; HOST and PORT are mxscand's scand_tcp_listen;
MESSAGE_BUFFER_SIZE fits in scand_stream_max_length; mxscand loads the
kit's mxscan.conf lines; and a daemon run with them answers what the
package does (connect over TCP, the whole message as one INSTREAM, one
reply, then the connection is closed), counted on its metrics page.
Messaging Server itself is proprietary and not run here.
"""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402
import promtext  # noqa: E402

tap = mxtest.Tap()
KIT = os.path.join(mxtest.SRCDIR, "scripts", "messaging-server")


def read_options(name, sep="="):
    """NAME's OPTION=value lines (comments: "!" or "#")."""
    out = {}
    for line in open(os.path.join(KIT, name), encoding="utf-8"):
        line = line.strip()
        if line and line[0] not in "!#" and sep in line:
            k, v = line.split(sep, 1)
            out[k.strip()] = v.strip()
    return out


def size(text):
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def test_kit_agrees(tap):
    dat = read_options("clamav-spamfilter.option.dat")
    opt = read_options("clamav-spamfilter.opt")
    conf = read_options("mxscan.conf.spamfilter")
    tap.eq(os.path.basename(dat.get("spamfilter1_config_file", "")), "clamav-spamfilter.opt",
           "option.dat names the kit's option file")
    tap.ok(dat.get("spamfilter1_library", "").endswith("/lib/libclamav.so"),
           "option.dat loads Messaging Server's libclamav.so", dat)
    tap.ok(opt.get("MODE") == "0" and opt.get("VERDICT") and
           dat.get("spamfilter1_verdict_0") == opt["VERDICT"] and
           dat.get("spamfilter1_action_0", "").startswith("data:,"),
           "MODE 0: the verdict the package answers is the one the Sieve action matches",
           (opt, dat))
    tap.eq("%s:%s" % (opt.get("HOST"), opt.get("PORT")), conf.get("scand_tcp_listen"),
           "HOST:PORT is mxscand's scand_tcp_listen")
    tap.ok(int(opt["MESSAGE_BUFFER_SIZE"]) <= size(conf["scand_stream_max_length"]),
           "a full MESSAGE_BUFFER_SIZE fits in scand_stream_max_length",
           (opt["MESSAGE_BUFFER_SIZE"], conf["scand_stream_max_length"]))
    r = subprocess.run([mxtest.MXSCAND, "-n", "-c", os.path.join(KIT, "mxscan.conf.spamfilter")],
                       capture_output=True, text=True)
    tap.ok(r.returncode == 0 and "scand_tcp_listen" in r.stdout,
           "mxscand -n loads the kit's mxscan.conf lines", r.stderr)


def test_like_the_package(tap):
    conf = read_options("mxscan.conf.spamfilter")
    work = mxtest.tmpdir("t_spamfilter_kit")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    os.makedirs(os.path.join(work, "d"))
    port, mport = mxtest.free_port(), mxtest.free_port()
    opts = dict(conf)
    opts.update({"scand_tcp_listen": "127.0.0.1:%d" % port,  # the kit's port may be taken here
                 "scand_metrics_listen": "127.0.0.1:%d" % mport})
    d = mxtest.Daemon(db, workdir=os.path.join(work, "d"), options=opts)
    _, before = promtext.scrape(mport)
    msg = mimegen.multipart_message(
        [mimegen.leaf(b"Hello.\r\n", "text/plain", cte="8bit"),
         mimegen.leaf(mxtest.EICAR, "application/octet-stream", name="e.com", filename="e.com")],
        headers=["From: a@example.test", "To: b@example.test", "Subject: kit",
                 "MIME-Version: 1.0"])
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(b"zINSTREAM\0" + mxtest.instream_bytes(msg))
        reply = mxtest.recv_all(s)  # until mxscand closes
    finally:
        s.close()
    tap.ok(reply.startswith(b"stream: ") and reply.endswith(b" FOUND\0"),
           "the whole message over TCP: one FOUND reply, then mxscand closes", reply)
    _, after = promtext.scrape(mport)
    tap.eq(promtext.delta(before, after, "mxscand_requests_total", command="INSTREAM",
                          result="found"), 1, "counted on the metrics page the kit enables")
    d.stop()


if __name__ == "__main__":
    mxtest.run(globals())
