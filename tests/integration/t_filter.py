#!/usr/bin/env python3
"""t_filter - mxscan-filter between a Python SMTP client and a capture
server (or Postfix's smtp-sink), with a real mxscand; no Postfix.

Shows: (a) a transparent hop (bytes, parameters, XFORWARD, pipelining),
(b) every infected action, (c) scanner failure, (d) forward-server
faults, (e) mxscan-quarantine, (f) concurrency, (g) bounded inputs.
"""
import base64
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
import mxtest  # noqa: E402
from smtptest import Capture, Filter, SLOW, quarantine, simple_message  # noqa: E402

tap = mxtest.Tap()
for prog in ("smtp-sink",):
    if shutil.which(prog) is None and not os.path.exists("/usr/sbin/" + prog):
        tap.skip_all("missing " + prog)
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"

work = mxtest.tmpdir("t_filter")
db = mxtest.make_test_db(os.path.join(work, "db"))
scand = mxtest.Daemon(db)
cap = Capture()
filters = []
sinks = []


def start_filter(options=None, forward=None, wait=True, scanner=True):
    f = Filter(scand.socket if scanner else os.path.join(work, "nothing.sock"),
               forward or cap.addr, work, options, wait=wait)
    filters.append(f)
    return f


def multipart(parts):
    """A multipart/mixed message; PARTS are (content-type, filename, bytes)."""
    b = b"BOUNDARY-mx-42"
    out = (b"From: a@example.test\r\nTo: b@example.test\r\nSubject: parts\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + b + b"\"\r\n"
           b"\r\nPreamble.\r\n")
    for ctype, name, data in parts:
        out += b"--" + b + b"\r\nContent-Type: " + ctype.encode()
        if name:
            out += b"; name=\"" + name.encode() + b"\"\r\nContent-Disposition: attachment; " \
                   b"filename=\"" + name.encode() + b"\""
        if ctype.startswith("text/"):
            out += b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + data + b"\r\n"
        else:
            enc = base64.encodebytes(data).replace(b"\n", b"\r\n")
            out += b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + enc
    return out + b"--" + b + b"--\r\n"


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


try:
    # ---------------------------------------------------------------- (a)
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
finally:
    pass
