"""confdoc - how doc/mxscan.conf.5 states a parameter's type, default and
bounds.  t_config_doc.py renders each row of the compiled table (from
config-dump) with these functions and requires the same text in the man
page, so the two cannot drift apart."""


def _scaled(n, units):
    if n == 0:
        return "0"
    for factor, suffix in units:
        if n % factor == 0:
            return "%d%s" % (n // factor, suffix)
    return str(n)


def fmt_time(ms):
    return _scaled(ms, [(3600000, "h"), (60000, "m"), (1000, "s"), (1, "ms")])


def fmt_size(n):
    if n == 4294967295:
        return "4294967295"
    return _scaled(n, [(1 << 30, "g"), (1 << 20, "m"), (1 << 10, "k"), (1, "")])


def summary(name, typ, default, lo, hi):
    """The man page's summary line for one table row (as printed by
    config-dump: name|type|default|min|max)."""
    d = default if default != "" else "(empty)"
    if typ == "time":
        rng = " Range: %s to %s." % (fmt_time(int(lo)), fmt_time(int(hi)))
    elif typ == "size":
        rng = " Range: %s to %s." % (fmt_size(int(lo)), fmt_size(int(hi)))
    elif typ in ("integer", "mode", "range"):
        rng = " Range: %s to %s." % (lo, hi)
    elif typ == "choice":
        rng = " One of: %s." % ", ".join(lo.split())
    else:
        rng = ""
    return "Type: %s. Default: %s.%s" % (typ, d, rng)
