#!/usr/bin/env python3
"""conversion_emulator - a test double for the Messaging Server conversion channel.

It follows only the documented contract (see
/work/shared/reference/sunone-conversion.md, sections 2 and 3):

  * the message is parsed with the `email` package (compat32 policy, so
    headers and bodies keep their bytes where possible);
  * only discrete leaf parts are offered to the command (multipart/* and
    message/* containers never are); a conversions entry (class Entry,
    default: the canonical virus-scan entry with in-type=*) selects them;
  * each offered part's DECODED body goes to INPUT_FILE (mode 0600, in a
    private 0700 directory per part) and the command runs with no shell,
    with the channel's environment: INPUT_FILE, OUTPUT_FILE,
    OUTPUT_OPTIONS, OUTPUT_HEADERS, INPUT_HEADERS (original-header-file),
    MESSAGE_HEADERS (message-header-file, 2 = outermost message),
    INPUT_TYPE, INPUT_SUBTYPE, INPUT_ENCODING, INPUT_DESCRIPTION,
    INPUT_DISPOSITION, INPUT_CHANNEL, OUTPUT_CHANNEL, PART_NUMBER,
    ATTACHMENT_NUMBER, CONVERSION_TAG, and the PARAMETER-SYMBOL /
    DPARAMETER-SYMBOL variables (default NAME from the Content-Type `name`
    parameter, FILENAME from the Content-Disposition `filename` parameter;
    RFC 2231 values are decoded, so they may hold any byte but NUL);
  * after the command, OUTPUT_OPTIONS (only with override-option-file=1)
    is read as NAME=value lines (values may be single or double quoted)
    and applied:
        STATUS=178030178 (FORCEDELETE)   the part is deleted
        STATUS=178029946/7 (FORCERETURN) the message is bounced ('bounce')
        STATUS=178030250 (FORCEHOLD)     the message is held ('hold')
        STATUS=178030259 (FORCEDISCARD)  the message is discarded ('discard')
        STATUS=178030307 (FORCEJETTISON) the message is discarded ('discard')
        STATUS=178030098 (FORCEPOST)     redirected to postmaster ('postmaster')
        STATUS=178030130 (FORCEASIS)     the part stays as it was
        STATUS=178028698 (AGN)           the message is requeued ('retry')
    with no STATUS the part's body becomes OUTPUT_FILE, re-encoded with
    the part's Content-Transfer-Encoding (or OUTPUT_ENCODING), relabelled
    by OUTPUT_TYPE / OUTPUT_SUBTYPE / OUTPUT_DESCRIPTION /
    OUTPUT_DISPOSITION (and OUTPUT_HEADERS with override-header-file=1);
  * undocumented corners are resolved the safe way and flagged in the
    part result: a command that times out, exits non-zero without any
    output, or exits 0 without OUTPUT_FILE or STATUS makes the message
    'retry' (temporary failure, not delivered).  An unknown STATUS value
    is treated as 'retry' as well.

A message-level STATUS stops the processing of further parts, as the
real channel gives up on the message at that point.  When a part's
output equals its input and it is not relabelled, its original encoded
text is kept, so a message without changes is delivered byte for byte.

Module use:
    res = convert_message(raw_bytes, ["/path/mxscan-conversion", "-c", conf])
    res.disposition, res.message, res.parts[i].options, ...
    pr = run_part(cmd, body_bytes, env={"NAME": "x.exe"})   # one part, raw

CLI:
    python3 tests/conversion_emulator.py --command CMD [--arg A ...]
        [--env K=V ...] [--timeout S] < message > message.out
prints one line per part and the disposition to stderr; writes the
delivered message to stdout (nothing when not delivered); exit status 0
for deliver, 1 for any other disposition, 2 for usage errors.
"""
import argparse
import base64
import email
import email.generator
import email.policy
import email.utils
import fnmatch
import io
import os
import quopri
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

# PMDF status codes (decimal), section 3 of the reference.
AGN = 178028698
FORCERETURN = 178029946
FORCERETURN_SAMPLE = 178029947
FORCEPOST = 178030098
FORCEASIS = 178030130
FORCEDELETE = 178030178
FORCEHOLD = 178030250
FORCEDISCARD = 178030259
FORCEJETTISON = 178030307

STATUS_NAMES = {
    AGN: "AGN", FORCERETURN: "FORCERETURN", FORCERETURN_SAMPLE: "FORCERETURN+1",
    FORCEPOST: "FORCEPOST", FORCEASIS: "FORCEASIS", FORCEDELETE: "FORCEDELETE",
    FORCEHOLD: "FORCEHOLD", FORCEDISCARD: "FORCEDISCARD", FORCEJETTISON: "FORCEJETTISON",
}

# Message-level dispositions a STATUS forces.
MESSAGE_STATUS = {
    AGN: "retry",
    FORCERETURN: "bounce",
    FORCERETURN_SAMPLE: "bounce",
    FORCEPOST: "postmaster",
    FORCEHOLD: "hold",
    FORCEDISCARD: "discard",
    FORCEJETTISON: "discard",
}

# Every option the documented OUTPUT_OPTIONS table knows (table 13-4).
KNOWN_OPTIONS = ("OUTPUT_TYPE", "OUTPUT_SUBTYPE", "OUTPUT_DESCRIPTION", "OUTPUT_DISPOSITION",
                 "OUTPUT_ENCODING", "OUTPUT_MODE", "OUTPUT_DIAGNOSTIC", "STATUS")

POLICY = email.policy.compat32


class Entry:
    """The parts of one conversions entry the emulator honours.

    in_type / in_subtype are fnmatch patterns (case-insensitive).
    parameter_symbols / dparameter_symbols list the parameter names
    (Content-Type / Content-Disposition) whose value goes into the
    environment variable of the same name in upper case.
    """

    def __init__(self, in_type="*", in_subtype="*", parameter_symbols=("NAME",),
                 dparameter_symbols=("FILENAME",), message_header_file=2,
                 original_header_file=True, override_header_file=True,
                 override_option_file=True, in_channel="tcp_local", out_channel="ims-ms",
                 tag=""):
        self.in_type = in_type
        self.in_subtype = in_subtype
        self.parameter_symbols = tuple(parameter_symbols)
        self.dparameter_symbols = tuple(dparameter_symbols)
        self.message_header_file = message_header_file
        self.original_header_file = original_header_file
        self.override_header_file = override_header_file
        self.override_option_file = override_option_file
        self.in_channel = in_channel
        self.out_channel = out_channel
        self.tag = tag

    def matches(self, ctype, csub):
        return (fnmatch.fnmatchcase(ctype.lower(), self.in_type.lower())
                and fnmatch.fnmatchcase(csub.lower(), self.in_subtype.lower()))


DEFAULT_ENTRY = Entry()


class PartResult:
    """What happened to one offered part."""

    def __init__(self):
        self.part_number = ""
        self.type = ""
        self.subtype = ""
        self.name = ""            # NAME / FILENAME value given to the command
        self.encoding = ""
        self.exit_code = None     # None: not run (or timed out before exit)
        self.timed_out = False
        self.elapsed = 0.0
        self.stderr = b""
        self.stdout = b""
        self.options = {}         # parsed OUTPUT_OPTIONS (last value per key)
        self.options_lines = []   # raw lines of OUTPUT_OPTIONS (str, as read)
        self.options_raw = None   # bytes of OUTPUT_OPTIONS, None when not written
        self.output_written = False
        self.input = b""          # decoded body given to the command
        self.output = None        # bytes of OUTPUT_FILE, None when not written
        self.output_equals_input = False
        self.status = None        # int STATUS, or None
        self.action = ""          # copied, converted, deleted, asis, bounce, hold, ...
        self.note = ""            # why, for the undocumented corners
        self.leftover_files = []  # files the command left beside its outputs

    def status_name(self):
        return STATUS_NAMES.get(self.status, str(self.status))

    def summary(self):
        return ("part=%s type=%s/%s name=%r exit=%s status=%s action=%s same=%s%s"
                % (self.part_number or "-", self.type, self.subtype, self.name,
                   "timeout" if self.timed_out else self.exit_code,
                   "-" if self.status is None else self.status_name(), self.action,
                   self.output_equals_input, (" note=" + self.note) if self.note else ""))


class ConversionResult:
    """The fate of the whole message."""

    def __init__(self):
        self.disposition = "deliver"   # deliver, bounce, hold, discard, retry, postmaster
        self.message = None            # reassembled bytes when delivered
        self.parts = []                # PartResult, offered parts in order
        self.diagnostic = None         # OUTPUT_DIAGNOSTIC of the part that bounced
        self.deciding_part = None      # PartResult that set a message-level disposition

    def part(self, number):
        for p in self.parts:
            if p.part_number == number:
                return p
        raise KeyError(number)


# --- parsing helpers ------------------------------------------------------

def parse_options(raw):
    """OUTPUT_OPTIONS text -> (dict, list of lines).  Values lose one level
    of surrounding quotes ('...' or "...")."""
    text = raw.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    opts = {}
    for line in lines:
        stripped = line.rstrip("\r")
        if "=" not in stripped:
            continue
        key, value = stripped.split("=", 1)
        key = key.strip().upper()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        opts[key] = value
    return opts, lines


def _param(part, name, header):
    """Decoded value of a Content-Type / Content-Disposition parameter,
    RFC 2231 continuations and charsets included; None when absent."""
    value = part.get_param(name, failobj=None, header=header)
    if value is None:
        return None
    value = email.utils.collapse_rfc2231_value(value, errors="surrogateescape",
                                               fallback_charset="latin-1")
    return value


def _header_bytes(msg_or_part):
    """The header block of a message or part as bytes (each header once,
    as it was parsed), with a final newline."""
    out = io.BytesIO()
    for k, v in msg_or_part.raw_items():
        line = "%s: %s\n" % (k, v)
        out.write(line.encode("ascii", "surrogateescape"))
    return out.getvalue()


def _first_disposition(part):
    v = part.get("Content-Disposition")
    if v is None:
        return ""
    return str(v).split(";", 1)[0].strip()


def _decoded_body(part):
    body = part.get_payload(decode=True)
    if body is None:
        return b""
    return body


def _encode_body(data, cte):
    """Bytes -> payload text for a Content-Transfer-Encoding."""
    cte = (cte or "7bit").lower()
    if cte == "base64":
        return base64.encodebytes(data).decode("ascii")
    if cte == "quoted-printable":
        return quopri.encodestring(data).decode("ascii")
    return data.decode("ascii", "surrogateescape")


def _leaves(msg, number=""):
    """(part_number, part, parent, index) for every discrete leaf part, in
    order.  Numbers follow the IMAP style: 1, 2, 2.1; a single-part
    message's body is part 1."""
    if not msg.is_multipart():
        yield (number or "1", msg, None, None)
        return
    payload = msg.get_payload()
    if msg.get_content_maintype() == "message":
        # message/rfc822: its one sub-message is walked with the same number.
        for sub in payload:
            for item in _leaves(sub, number):
                yield item
        return
    for i, sub in enumerate(payload):
        sub_number = "%s.%d" % (number, i + 1) if number else str(i + 1)
        if sub.is_multipart():
            for item in _leaves(sub, sub_number):
                yield item
        else:
            yield (sub_number, sub, msg, i)


# --- running one part -----------------------------------------------------

def _run(command, env, timeout, cwd):
    """Run COMMAND (list, no shell) with ENV (bytes dict).  Returns
    (exit code or None, timed_out, stdout, stderr, elapsed)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, False, out, err, time.monotonic() - t0
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return None, True, out, err, time.monotonic() - t0


def _to_bytes(v):
    if isinstance(v, bytes):
        return v
    return str(v).encode("utf-8", "surrogateescape")


def run_part(command, body, env=None, timeout=60.0, ctype="application", csub="octet-stream",
             workdir=None, input_mode=0o600, keep=False, base_env=None):
    """Offer one raw part (decoded BODY bytes) to COMMAND the way the channel
    does, with ENV added to the channel's variables (a value of None
    removes a variable, so callers can emulate a broken entry).  Returns
    a PartResult; the caller applies it.  With keep=True the per-part
    directory stays and its path is in result.dir."""
    pr = PartResult()
    pr.type, pr.subtype = ctype, csub
    pr.input = body
    d = tempfile.mkdtemp(prefix="mxconv.", dir=workdir)
    os.chmod(d, 0o700)
    pr.dir = d
    try:
        paths = {
            "INPUT_FILE": os.path.join(d, "input"),
            "OUTPUT_FILE": os.path.join(d, "output"),
            "OUTPUT_OPTIONS": os.path.join(d, "options"),
            "OUTPUT_HEADERS": os.path.join(d, "outheaders"),
        }
        fd = os.open(paths["INPUT_FILE"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        os.chmod(paths["INPUT_FILE"], input_mode)
        e = dict(base_env if base_env is not None else _base_environment())
        for k, v in paths.items():
            e[k.encode()] = v.encode()
        e[b"INPUT_TYPE"] = _to_bytes(ctype)
        e[b"INPUT_SUBTYPE"] = _to_bytes(csub)
        for k, v in (env or {}).items():
            kb = _to_bytes(k)
            if v is None:
                e.pop(kb, None)
            else:
                vb = _to_bytes(v)
                if b"\0" in vb:
                    # The channel hands C strings: a decoded NUL ends the value.
                    vb = vb.split(b"\0", 1)[0]
                    pr.note = "NUL in %s truncated" % k
                e[kb] = vb
        for var in (b"FILENAME", b"NAME"):
            if e.get(var):
                pr.name = e[var].decode("utf-8", "surrogateescape")
                break
        pr.exit_code, pr.timed_out, pr.stdout, pr.stderr, pr.elapsed = _run(
            command, e, timeout, d)
        _collect(pr, paths)
        known = {os.path.basename(p) for p in paths.values()} | {"input", "headers",
                                                                "msgheaders"}
        pr.leftover_files = sorted(n for n in os.listdir(d) if n not in known)
        return pr
    finally:
        if not keep:
            shutil.rmtree(d, ignore_errors=True)


def _base_environment():
    """The environment the command inherits: the channel runs with a
    small, fixed environment, not the caller's."""
    e = {}
    for k in ("PATH", "LANG", "TZ", "LD_LIBRARY_PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS",
              "LSAN_OPTIONS", "MSAN_OPTIONS", "TSAN_OPTIONS"):
        if k in os.environ:
            e[k.encode()] = os.environ[k].encode("utf-8", "surrogateescape")
    e.setdefault(b"PATH", b"/usr/bin:/bin")
    return e


def _collect(pr, paths):
    """Read what the command left and decide the part's fate."""
    if os.path.exists(paths["OUTPUT_FILE"]):
        with open(paths["OUTPUT_FILE"], "rb") as f:
            pr.output = f.read()
        pr.output_written = True
        pr.output_equals_input = pr.output == pr.input
    if os.path.exists(paths["OUTPUT_OPTIONS"]):
        with open(paths["OUTPUT_OPTIONS"], "rb") as f:
            pr.options_raw = f.read()
        pr.options, pr.options_lines = parse_options(pr.options_raw)
    pr.output_headers = None
    if os.path.exists(paths["OUTPUT_HEADERS"]):
        with open(paths["OUTPUT_HEADERS"], "rb") as f:
            pr.output_headers = f.read()


def decide(pr, override_option_file=True):
    """Set pr.status / pr.action from the command's outputs.  Returns the
    message-level disposition this part forces, or None."""
    opts = pr.options if override_option_file else {}
    if pr.timed_out:
        pr.action = "retry"
        pr.note = "command timed out"
        return "retry"
    if "STATUS" in opts:
        try:
            pr.status = int(opts["STATUS"].strip())
        except ValueError:
            pr.status = -1
        if pr.status in MESSAGE_STATUS:
            pr.action = MESSAGE_STATUS[pr.status]
            return pr.action
        if pr.status == FORCEDELETE:
            pr.action = "deleted"
            return None
        if pr.status == FORCEASIS:
            pr.action = "asis"
            return None
        pr.action = "retry"
        pr.note = "unknown STATUS %r" % opts["STATUS"]
        return "retry"
    if pr.exit_code != 0 and not pr.output_written and pr.options_raw is None:
        pr.action = "retry"
        pr.note = "exit %s with no outputs" % pr.exit_code
        return "retry"
    if not pr.output_written:
        pr.action = "retry"
        pr.note = "no OUTPUT_FILE and no STATUS"
        return "retry"
    relabel = any(k in opts for k in ("OUTPUT_TYPE", "OUTPUT_SUBTYPE", "OUTPUT_DESCRIPTION",
                                      "OUTPUT_DISPOSITION", "OUTPUT_ENCODING"))
    pr.action = "copied" if pr.output_equals_input and not relabel else "converted"
    if pr.exit_code != 0:
        pr.note = "exit %s with outputs (outputs applied)" % pr.exit_code
    return None


# --- the whole message ----------------------------------------------------

def _apply_part(part, pr, entry):
    """Rewrite PART (an email.message.Message leaf) from PR's outputs."""
    opts = pr.options if entry.override_option_file else {}
    if pr.action == "copied":
        return  # keep the original encoded text, byte for byte
    cte = opts.get("OUTPUT_ENCODING") or part.get("Content-Transfer-Encoding") or "7bit"
    cte = str(cte).strip()
    if cte.lower() in ("7bit", "8bit", "binary") and re.search(rb"[^\x00-\x7f]", pr.output):
        if cte.lower() == "7bit":
            cte = "base64"   # 8-bit output cannot stay 7bit; the channel re-encodes
    part.set_payload(_encode_body(pr.output, cte))
    if "Content-Transfer-Encoding" in part:
        part.replace_header("Content-Transfer-Encoding", cte)
    elif cte.lower() != "7bit":
        part["Content-Transfer-Encoding"] = cte
    t = opts.get("OUTPUT_TYPE")
    s = opts.get("OUTPUT_SUBTYPE")
    if t or s:
        newtype = "%s/%s" % (t or part.get_content_maintype(), s or part.get_content_subtype())
        if "Content-Type" in part:
            part.set_type(newtype)
        else:
            part["Content-Type"] = newtype
    if "OUTPUT_DESCRIPTION" in opts:
        if "Content-Description" in part:
            part.replace_header("Content-Description", opts["OUTPUT_DESCRIPTION"])
        else:
            part["Content-Description"] = opts["OUTPUT_DESCRIPTION"]
    if "OUTPUT_DISPOSITION" in opts:
        old = part.get("Content-Disposition")
        params = str(old).split(";", 1)[1] if old is not None and ";" in str(old) else ""
        value = opts["OUTPUT_DISPOSITION"] + ((";" + params) if params else "")
        if old is not None:
            part.replace_header("Content-Disposition", value)
        else:
            part["Content-Disposition"] = value
    if entry.override_header_file and pr.output_headers:
        for line in pr.output_headers.decode("ascii", "replace").splitlines():
            if ":" in line and not line[:1].isspace():
                k, v = line.split(":", 1)
                if k in part:
                    part.replace_header(k, v.strip())
                else:
                    part[k] = v.strip()


def convert_message(raw, command, env=None, timeout=60.0, entry=DEFAULT_ENTRY, workdir=None,
                    part_env=None):
    """Run COMMAND over every leaf part of RAW (bytes) that ENTRY selects.

    env: extra variables for every part (None removes one);
    part_env: optional function(part_number, part) -> dict of extra
    variables for that part.  Returns a ConversionResult."""
    res = ConversionResult()
    msg = email.message_from_bytes(raw, policy=POLICY)
    private = tempfile.mkdtemp(prefix="mxconvmsg.", dir=workdir)
    os.chmod(private, 0o700)
    changed = False
    deletions = []
    try:
        msgheaders = os.path.join(private, "msgheaders")
        with open(msgheaders, "wb") as f:
            f.write(_header_bytes(msg))
        os.chmod(msgheaders, 0o600)
        attachment = 0
        for number, part, parent, index in list(_leaves(msg)):
            ctype = part.get_content_maintype()
            csub = part.get_content_subtype()
            if not entry.matches(ctype, csub):
                continue
            attachment += 1
            e = {}
            for sym in entry.parameter_symbols:
                v = _param(part, sym.lower(), "content-type")
                if v is not None:
                    e[sym.upper()] = v
            for sym in entry.dparameter_symbols:
                v = _param(part, sym.lower(), "content-disposition")
                if v is not None:
                    e[sym.upper()] = v
            e["INPUT_ENCODING"] = str(part.get("Content-Transfer-Encoding", "7bit")).strip()
            e["INPUT_DESCRIPTION"] = str(part.get("Content-Description", ""))
            e["INPUT_DISPOSITION"] = _first_disposition(part)
            e["INPUT_CHANNEL"] = entry.in_channel
            e["OUTPUT_CHANNEL"] = entry.out_channel
            e["PART_NUMBER"] = number
            e["ATTACHMENT_NUMBER"] = str(attachment)
            e["CONVERSION_TAG"] = entry.tag
            if entry.original_header_file:
                hpath = os.path.join(private, "headers.%s" % number)
                with open(hpath, "wb") as f:
                    f.write(_header_bytes(part))
                e["INPUT_HEADERS"] = hpath
            if entry.message_header_file:
                # 2 = outermost message; 1 = nearest message/rfc822 (the
                # emulator does not track nesting: outermost as well).
                e["MESSAGE_HEADERS"] = msgheaders
            e.update(env or {})
            if part_env is not None:
                e.update(part_env(number, part) or {})
            pr = run_part(command, _decoded_body(part), env=e, timeout=timeout, ctype=ctype,
                          csub=csub, workdir=private)
            pr.part_number = number
            pr.encoding = e["INPUT_ENCODING"]
            res.parts.append(pr)
            disp = decide(pr, entry.override_option_file)
            if disp is not None:
                res.disposition = disp
                res.deciding_part = pr
                if disp == "bounce":
                    res.diagnostic = pr.options.get("OUTPUT_DIAGNOSTIC")
                return res  # the channel stops at a message-level verdict
            if pr.action == "deleted":
                deletions.append((parent, index, part))
                changed = True
            elif pr.action == "converted":
                _apply_part(part, pr, entry)
                changed = True
        for parent, index, part in deletions:
            if parent is None:
                # The whole body was the deleted part: leave an empty text body.
                for h in ("Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
                          "Content-Description"):
                    del part[h]
                part["Content-Type"] = "text/plain"
                part.set_payload("")
            else:
                parent.get_payload().remove(part)
        if not changed:
            res.message = raw
        else:
            out = io.BytesIO()
            email.generator.BytesGenerator(out, mangle_from_=False, policy=POLICY).flatten(msg)
            res.message = out.getvalue()
        return res
    finally:
        shutil.rmtree(private, ignore_errors=True)


def leaf_bodies(raw):
    """[(part_number, content-type, decoded body)] of a message, for checks."""
    msg = email.message_from_bytes(raw, policy=POLICY)
    return [(n, p.get_content_type(), _decoded_body(p)) for n, p, _, _ in _leaves(msg)]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Emulate the conversion channel for one message.")
    ap.add_argument("--command", required=True,
                    help="program to run (split like a shell would, but run with no shell)")
    ap.add_argument("--arg", action="append", default=[], help="extra argument (repeatable)")
    ap.add_argument("--env", action="append", default=[], metavar="K=V",
                    help="extra environment variable for every part (repeatable)")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--in-type", default="*")
    ap.add_argument("--in-subtype", default="*")
    args = ap.parse_args(argv)
    command = shlex.split(args.command) + args.arg
    env = {}
    for kv in args.env:
        if "=" not in kv:
            ap.error("--env wants K=V, got %r" % kv)
        k, v = kv.split("=", 1)
        env[k] = v
    raw = sys.stdin.buffer.read()
    res = convert_message(raw, command, env=env, timeout=args.timeout,
                          entry=Entry(in_type=args.in_type, in_subtype=args.in_subtype))
    for pr in res.parts:
        sys.stderr.write(pr.summary() + "\n")
        for line in pr.options_lines:
            sys.stderr.write("    option: %s\n" % line)
    sys.stderr.write("disposition=%s%s\n" % (
        res.disposition, (" diagnostic=%r" % res.diagnostic) if res.diagnostic else ""))
    if res.disposition == "deliver":
        sys.stdout.buffer.write(res.message)
        sys.stdout.flush()
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
