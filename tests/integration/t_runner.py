#!/usr/bin/env python3
"""t_runner - the test harness itself: mxtest.run and the cleanup registry.

Small test scripts written here are run as the suite runs its tests, and
their TAP is read back: a function that raises is one not ok line naming
it and the exception, with the traceback as # lines; the next function
still runs; a @setup function that raises stops the run; mxtest.Stop
stops it without a test point of its own; the plan 1..N always comes
last and counts every test point; what a raising function registered is
drained at once, last first, and the rest at the end; SIGTERM drains the
registry too; a script in the old style (Tap.done) still works; mimegen's
leaf() and multipart_message() give the bytes a hand-built message had.
"""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mimegen  # noqa: E402
import mxtest  # noqa: E402

tap = mxtest.Tap()
LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib")
HEAD = "import os, sys, time\nsys.path.insert(0, %r)\nimport mxtest\ntap = mxtest.Tap()\n" % LIB


@mxtest.setup
def start(tap):
    global work
    work = mxtest.tmpdir("trunner")


def script(name, body):
    path = os.path.join(work, name + ".py")
    with open(path, "w") as f:
        f.write(HEAD + body)
    return path


def run(name, body, env=None):
    p = subprocess.run([sys.executable, script(name, body)], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout, p.stderr


def points(out):
    return [l for l in out.splitlines() if re.match(r"(not )?ok \d+", l)]


def test_exception(tap):
    rc, out, err = run("raises", '''
def test_one(tap):
    tap.ok(True, "first")

def test_two(tap):
    tap.ok(True, "second")
    mxtest.on_cleanup(print, "# cleanup two")
    raise ValueError("bad value\\nsecond line")

def test_three(tap):
    tap.ok(True, "third")

if __name__ == "__main__":
    mxtest.run(globals())
''')
    lines = out.splitlines()
    tap.eq(points(out), ["ok 1 - first", "ok 2 - second", "not ok 3 - test_two raised ValueError: bad value",
                         "ok 4 - third"], "a raising function is one not ok naming it, the next one runs")
    tap.ok(any(l.startswith("# Traceback") for l in lines) and "# ValueError: bad value" in lines,
           "the traceback follows as # lines", out)
    tap.ok(lines[-1:] == ["1..4"] and rc == 1, "the plan comes last, the exit status is 1", (rc, out))
    tap.ok(lines.index("# cleanup two") < lines.index("ok 4 - third"),
           "what the raising function registered is drained before the next one runs", out)


def test_setup_stops(tap):
    rc, out, err = run("setup", '''
@mxtest.setup
def start(tap):
    mxtest.on_cleanup(print, "# cleanup start")
    raise RuntimeError("no daemon")

def test_after(tap):
    tap.ok(True, "never")

if __name__ == "__main__":
    mxtest.run(globals())
''')
    tap.eq(points(out), ["not ok 1 - start raised RuntimeError: no daemon"],
           "a @setup function that raises stops the run")
    tap.ok("# not run: test_after" in out and "# cleanup start" in out and out.endswith("1..1\n"),
           "the functions not run are named, the registry drained, the plan printed", out)


def test_stop(tap):
    rc, out, err = run("stop", '''
def test_first(tap):
    if not tap.ok(False, "the thing the rest needs"):
        raise mxtest.Stop("the rest needs it")

def test_second(tap):
    tap.ok(True, "never")

if __name__ == "__main__":
    mxtest.run(globals())
''')
    tap.eq(points(out), ["not ok 1 - the thing the rest needs"],
           "mxtest.Stop ends the run without a test point of its own")
    tap.ok("# stopped in test_first: the rest needs it" in out and out.endswith("1..1\n") and rc == 1,
           "it says why, and the plan counts what was printed", (rc, out))


def test_order(tap):
    rc, out, err = run("order", '''
def test_b(tap):
    mxtest.on_cleanup(print, "# cleanup 1")
    mxtest.on_cleanup(print, "# cleanup 2")
    tap.ok(True, "b")

def helper(tap):
    raise AssertionError("not a test function")

def test_a(tap):
    mxtest.on_cleanup(print, "# cleanup 3")
    tap.ok(True, "a")

if __name__ == "__main__":
    mxtest.run(globals())
''')
    tap.eq(points(out), ["ok 1 - b", "ok 2 - a"], "test_* functions in definition order, helpers not run")
    tap.eq([l for l in out.splitlines() if l.startswith("# cleanup")],
           ["# cleanup 3", "# cleanup 2", "# cleanup 1"],
           "at the end the registry is drained last first, after the plan")
    tap.ok(rc == 0 and out.splitlines().index("1..2") < out.splitlines().index("# cleanup 3"),
           "all passed: exit 0", (rc, out))


def test_sigterm(tap):
    marker = os.path.join(work, "terminated")
    path = script("sigterm", '''
def test_wait(tap):
    d = mxtest.tmpdir("sigterm")
    mxtest.on_cleanup(lambda: open(%r, "w").write(d))
    print("# ready", flush=True)
    time.sleep(60)  # the stimulus: killed by SIGTERM while it waits

if __name__ == "__main__":
    mxtest.run(globals())
''' % marker)
    p = subprocess.Popen([sys.executable, path], stdout=subprocess.PIPE, text=True)
    first = p.stdout.readline()
    p.send_signal(signal.SIGTERM)
    out = first + p.stdout.read()
    rc = p.wait(30)
    made = open(marker).read() if os.path.exists(marker) else None
    tap.ok(made is not None and not os.path.exists(made),
           "SIGTERM drains the registry (the cleanup ran, the temp dir is gone)", (made, out))
    tap.ok(rc != 0 and "not ok 1 - test_wait raised SystemExit" in out and out.endswith("1..1\n"),
           "a SIGTERM is reported as a failure of the function it hit, with the plan", (rc, out))


def test_old_style(tap):
    rc, out, err = run("old", '''
d = mxtest.tmpdir("old")
open(os.path.join(d, "x"), "w").close()
print("# dir " + d)
tap.ok(True, "one")
tap.eq(1, 2, "two")
tap.done()
''')
    d = re.search(r"^# dir (\S+)$", out, re.M)
    tap.ok(points(out) == ["ok 1 - one", "not ok 2 - two"] and out.endswith("1..2\n") and rc == 1,
           "a script in the old style (Tap, tap.done) prints the same TAP", out)
    tap.ok(d is not None and not os.path.exists(d.group(1)), "and its temp dir is removed at exit",
           out)
    rc, out, err = run("skip", '''
tap.skip_all("nothing to do here")
''')
    tap.ok(rc == 0 and out == "1..0 # SKIP nothing to do here\n", "skip_all: the plan 1..0 with SKIP",
           (rc, out, err))


def test_mimegen(tap):
    """leaf() writes what a hand-built message had, byte for byte."""
    msg = mimegen.multipart_message(
        [mimegen.leaf(b"hello", "text/plain", cte="8bit"),
         mimegen.leaf(b"\0\1\2", "application/octet-stream", name="a.bin", filename="a.bin")],
        boundary=b"B", headers=["Subject: s"], preamble=b"", epilogue=b"E\r\n")
    want = (b"Subject: s\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
            b"--B\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nhello\r\n"
            b"--B\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\n"
            b"Content-Disposition: attachment; filename=\"a.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--B--\r\nE\r\n")
    tap.eq(msg, want, "multipart_message of leaf() parts")
    tap.eq(mimegen.lf(msg), want.replace(b"\r\n", b"\n"), "lf(): the same with LF line ends")


if __name__ == "__main__":
    mxtest.run(globals())
