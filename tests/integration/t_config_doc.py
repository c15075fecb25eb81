#!/usr/bin/env python3
"""t_config_doc - doc/mxscan.conf.5 documents exactly the compiled table.

Every row printed by config-dump (name|type|default|min|max) must appear
in the man page as a ".B name" entry whose summary line states the same
type, default and bounds (rendered by tests/lib/confdoc.py), and the page
must not document a parameter the table lacks.  Also checks that every
program's --help and man page exist, and that mxscand -n prints only
non-default settings."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import confdoc  # noqa: E402
import mxtest  # noqa: E402

tap = mxtest.Tap()


def unroff(s):
    return s.replace("\\-", "-").replace("\\e", "\\")


def test_table(tap):
    dump = os.path.join(mxtest.BUILDDIR, "tests", "unit", "config-dump")
    rows = [l.split("|") for l in subprocess.check_output([dump], text=True).splitlines()]
    tap.ok(len(rows) > 30, "config-dump prints the table (%d rows)" % len(rows))

    page = open(os.path.join(mxtest.SRCDIR, "doc", "mxscan.conf.5"), encoding="utf-8").read()
    entries = {}
    lines = page.split("\n")
    for i, l in enumerate(lines):
        if l == ".TP" and i + 2 < len(lines) and lines[i + 1].startswith(".B "):
            name = lines[i + 1][3:].strip()
            if re.fullmatch(r"[a-z][a-z0-9_]+", name) and "_" in name:
                entries[name] = unroff(lines[i + 2])

    table_names = [r[0] for r in rows]
    bad = []
    for name, typ, default, lo, hi in rows:
        want = confdoc.summary(name, typ, default, lo, hi)
        got = entries.get(name)
        if got != want:
            bad.append("%s: page %r, table %r" % (name, got, want))
    tap.ok(not bad, "every table row documented with its type, default and bounds", "\n".join(bad))
    extra = sorted(set(entries) - set(table_names))
    tap.ok(not extra, "the page documents no parameter the table lacks", extra)

    # The table order is the page order (grouped by program prefix).
    order = [n for n in re.findall(r"^\.TP\n\.B ([a-z][a-z0-9_]+)$", page, re.M) if n in table_names]
    tap.eq(order, table_names, "the page lists parameters in table order")

    # A deliberately mismatched row is caught (the check can fail).
    name, typ, default, lo, hi = rows[3]
    tap.ok(confdoc.summary(name, typ, default + "0", lo, hi) != entries.get(name),
           "a changed default would not match the page")


def test_programs(tap):
    """Every program documents itself: --help works, the man page is
    written and names every long option --help lists (for mxscan-tune,
    every option of every subcommand's -h too)."""
    progs = [("scanner/mxscand", "mxscand.8", []), ("wrappers/mxscan/mxscan", "mxscan.1", []),
             ("wrappers/conversion/mxscan-conversion", "mxscan-conversion.8", []),
             ("wrappers/filter/mxscan-filter", "mxscan-filter.8", []),
             ("wrappers/quarantine/mxscan-quarantine", "mxscan-quarantine.8", []),
             ("updater/mxscan-update", "mxscan-update.8", []),
             ("wrappers/milter/mxscan-milter", "mxscan-milter.8", []),
             ("tuning/mxscan-tune", "mxscan-tune.1", ["corpus", "gendb", "sweep", "plan", "compare"])]
    for prog, man, subs in progs:
        path = os.path.join(mxtest.BUILDDIR, prog)
        r = subprocess.run([path, "--help"], capture_output=True, text=True)
        helptext = r.stdout + r.stderr
        tap.ok(r.returncode == 0 and "Usage:" in helptext, "%s --help" % os.path.basename(prog), helptext)
        if os.environ.get("MX_ASAN"):
            # The sanitizer suite covers every program: each one is built with
            # the runtime (not linked statically or against musl without it).
            with open(path, "rb") as f:
                tap.ok(b"__asan_init" in f.read(), "%s carries the sanitizer runtime"
                       % os.path.basename(prog))
        for sub in subs:
            r = subprocess.run([path, sub, "-h"], capture_output=True, text=True)
            tap.ok(r.returncode == 0 and "Usage:" in r.stdout + r.stderr,
                   "%s %s -h" % (os.path.basename(prog), sub), r.stdout + r.stderr)
            helptext += r.stdout + r.stderr
        mp = os.path.join(mxtest.SRCDIR, "doc", man)
        text = open(mp, encoding="utf-8").read() if os.path.exists(mp) else ""
        tap.ok(".SH NAME" in text and len(text) > 1500, "man page %s is written" % man)
        plain = unroff(text)
        missing = sorted({o for o in re.findall(r"(?<![\w-])--([a-z][a-z0-9-]+)", helptext)
                          if "--" + o not in plain})
        tap.ok(not missing, "man page %s names every option of --help" % man,
               "missing: " + " ".join(missing))


def test_dash_n(tap):
    """-n prints exactly the non-default settings."""
    d = mxtest.tmpdir("confdoc")
    conf = os.path.join(d, "mxscan.conf")
    with open(conf, "w") as f:
        f.write("# comment\nscand_threads = 7\n\nscand_queue_max =\n  33\nscand_bytecode = yes\n")
    r = subprocess.run([mxtest.MXSCAND, "-c", conf, "-n"], capture_output=True, text=True)
    got = sorted(l.replace(" ", "") for l in r.stdout.splitlines() if l.strip())
    tap.eq(got, ["scand_queue_max=33", "scand_threads=7"], "mxscand -n prints only non-default values")

    with open(conf, "w") as f:
        f.write("scand_threads = 7\nscand_thraeds = 8\n")
    r = subprocess.run([mxtest.MXSCAND, "-c", conf, "-n"], capture_output=True, text=True)
    tap.ok(r.returncode != 0 and (conf + ":2") in r.stderr, "unknown parameter is an error naming file:line",
           r.stderr)
    with open(conf, "w") as f:
        f.write("scand_threads = 7\n")
    r = subprocess.run([mxtest.MXSCAND, "-c", conf, "-o", "scand_threads=100000", "-n"],
                       capture_output=True, text=True)
    tap.ok(r.returncode != 0 and "scand_threads" in r.stderr, "out-of-bounds override is an error", r.stderr)


if __name__ == "__main__":
    mxtest.run(globals())
