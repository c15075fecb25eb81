#!/usr/bin/env python3
"""t_pipeline - a connection's unsent replies are bounded.

Inside IDSESSION a client may pipeline commands.  mxscand stops reading a
connection's commands while its unsent replies exceed
scand_max_pending_reply and goes on once the client has read them all, so
an honest pipelining client gets every reply, in order, and a client that
pipelines without reading cannot grow the daemon.  The send time-out
counts from the moment replies started to wait and restarts only when
the client has read them all: a client that reads a few bytes now and
then is dropped like one that reads nothing (on the previous build its
trickle reads kept it alive while mxscand's memory grew by gigabytes).
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mxtest  # noqa: E402

tap = mxtest.Tap()


@mxtest.setup
def start(tap):
    global mx, rss0
    work = mxtest.tmpdir("tpipeline")
    db = mxtest.make_test_db(os.path.join(work, "db"))
    mx = mxtest.Daemon(db, options={"scand_send_timeout": "3s", "scand_max_pending_reply": "64k",
                                    "scand_idle_timeout": "60s", "scand_threads": "2"})
    rss0 = mx.rss_kb()


def trickle(cmd):
    """Pipeline CMD without end, read 1 kB every half second; returns
    (seconds until mxscand dropped the connection or None, peak RSS in kB)."""
    s = mxtest.connect(mx.socket, 10)
    s.sendall(b"zIDSESSION\0")
    s.setblocking(False)
    batch = cmd * 4096
    t0 = time.time()
    peak = 0
    next_read = t0
    try:
        while time.time() - t0 < 25:
            try:
                s.send(batch)
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                return time.time() - t0, peak
            peak = max(peak, mx.rss_kb())
            if time.time() >= next_read:
                next_read += 0.5  # the trickle: 1 kB twice a second
                try:
                    if s.recv(1024) == b"":
                        return time.time() - t0, peak
                except BlockingIOError:
                    pass
                except ConnectionResetError:
                    return time.time() - t0, peak
            time.sleep(0.01)  # the client's own pace, not a synchronisation
        return None, peak
    finally:
        s.close()


def test_trickle(tap):
    """A trickle-reading pipeliner is dropped by scand_send_timeout."""
    for cmd in (b"zHEALTH\0", b"zVERSION\0"):
        dropped, peak = trickle(cmd)
        tap.ok(dropped is not None and dropped < 10,
               "trickle-reading %s pipeliner dropped by scand_send_timeout (after %s s)"
               % (cmd[1:-1].decode(), "%.1f" % dropped if dropped else "never"))
        tap.ok(peak - rss0 < 64 * 1024, "mxscand's RSS grew by %d kB at most (bound 64 MB)"
               % (peak - rss0))
        tap.ok(mxtest.ping(mx.socket), "mxscand still answers after the %s pipeliner"
               % cmd[1:-1].decode())


def test_honest(tap):
    # An honest client: 20000 pipelined commands, every reply read as it comes.
    N = 20000
    s = mxtest.connect(mx.socket, 60)
    s.sendall(b"zIDSESSION\0")

    def sender():
        for i in range(0, N, 500):
            s.sendall(b"zVERSION\0" * 500)
        s.sendall(b"zEND\0")

    th = threading.Thread(target=sender)
    th.start()
    got = mxtest.recv_all(s, limit=1 << 26)
    th.join()
    s.close()
    replies = got.split(b"\0")
    ids = [int(r.split(b":", 1)[0]) for r in replies if r]
    tap.eq(ids, list(range(1, N + 1)), "an honest pipeliner gets all %d replies, in order" % N)
    tap.ok(all(r.split(b": ", 1)[1].startswith(b"ClamAV ") for r in replies if r),
           "every one of them a VERSION reply")


def test_half_closed(tap):
    # A client that pipelines everything, closes its sending side, then reads.
    s = mxtest.connect(mx.socket, 60)
    s.sendall(b"zIDSESSION\0" + b"zPING\0" * 5000)
    s.shutdown(socket.SHUT_WR)
    got = mxtest.recv_all(s, limit=1 << 26)
    s.close()
    tap.eq(got.count(b"PONG\0"), 5000,
           "pipelined, half-closed, then read: every reply is delivered before the close")
    tap.ok(mx.rss_kb() - rss0 < 64 * 1024, "RSS bounded at the end (%d kB over start)"
           % (mx.rss_kb() - rss0))
    tap.eq(mx.stop(), 0, "mxscand stops cleanly")


if __name__ == "__main__":
    mxtest.run(globals())
