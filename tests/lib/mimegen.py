"""mimegen - the tests' one MIME builder: whole messages, parts, and
malformed MIME variants of a message carrying an attachment.

Builders (bytes, CRLF line ends; lf() turns a message into LF ends):
message() a header block and a body; multipart_message() / multipart()
around parts made by text_part(), attachment(), rfc822_part(), part() or
leaf() (a part in the shape of a hand-written message, any headers and
encoding); uuencode(), b64_lines(), zip_of() for the bodies.

Every variant function takes (payload_bytes, filename) and returns the raw
RFC 5322 message.  VARIANTS maps the trick class
name to its function.  The shapes are documented per function so a test
can predict the per-part paths mxscand's MIMESCAN reports.

The EICAR string is not in this file: it comes from mxtest (assembled at
run time from two halves).
"""
import base64
import binascii
import io
import os
import sys
import urllib.parse
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mxtest import EICAR  # noqa: E402,F401  (re-exported for the tests)

CRLF = b"\r\n"
TEXT_BODY = b"Hello,\r\n\r\nplease find the document attached.\r\n\r\nRegards\r\n"


def _b(s):
    return s if isinstance(s, bytes) else s.encode("utf-8")


def _hdr(subject=b"test message", msgid=None, mime=True, extra=()):
    h = [b"From: Sender <sender@example.org>",
         b"To: Rcpt <rcpt@example.net>",
         b"Subject: " + _b(subject),
         b"Date: Mon, 01 Jan 2024 10:00:00 +0000",
         b"Message-ID: <" + _b(msgid or "mimegen-1@example.org") + b">"]
    if mime:
        h.append(b"MIME-Version: 1.0")
    h += [_b(x) for x in extra]
    return h


def _msg(headers, body):
    return CRLF.join(headers) + CRLF + CRLF + body


def message(headers, body):
    """A whole message: HEADERS (lines without their line ends, str or
    bytes), a blank line, BODY as it is."""
    return _msg([_b(h) for h in headers], body)


def lf(msg):
    """MSG with LF line ends (as a local file or a Unix channel holds it)."""
    return msg.replace(CRLF, b"\n")


def b64_lines(data, width=76):
    enc = base64.b64encode(data)
    return CRLF.join(enc[i:i + width] for i in range(0, len(enc), width)) + CRLF


def member_zip(n, tail):
    """A stored zip of N small random members and, last, TAIL as zz.com:
    scanning it walks N layers (a scan that takes a while, and a stop
    lands between two layers)."""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_STORED) as z:
        for i in range(n):
            z.writestr("m%05d.txt" % i, os.urandom(48))
        z.writestr("zz.com", tail)
    return bio.getvalue()


def zip_of(name, data):
    """A deflated zip holding DATA as NAME (fixed timestamp: same input,
    same bytes)."""
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        zi = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.external_attr = 0o644 << 16
        z.writestr(zi, data)
    return bio.getvalue()


def guess_type(filename):
    f = _b(filename).lower()
    if f.endswith(b".zip"):
        return b"application/zip"
    if f.endswith(b".pdf"):
        return b"application/pdf"
    if f.endswith(b".txt"):
        return b"text/plain"
    return b"application/octet-stream"


def part(body, headers):
    """One body part: its header lines, a blank line, the body."""
    return CRLF.join(_b(h) for h in headers) + CRLF + CRLF + body


def attachment(payload, filename, ctype=None, encoding="base64"):
    """An attachment part: Content-Type with name=, Content-Disposition with
    filename=, base64 (or quoted-printable / 7bit) body."""
    fn = _b(filename)
    ctype = _b(ctype) if ctype else guess_type(fn)
    if encoding == "base64":
        body = b64_lines(payload)
    elif encoding == "quoted-printable":
        body = binascii.b2a_qp(payload, quotetabs=True, istext=False).replace(b"\n", CRLF) + CRLF
    else:
        body = payload
    return part(body, [b"Content-Type: " + ctype + b'; name="' + fn + b'"',
                       b'Content-Disposition: attachment; filename="' + fn + b'"',
                       b"Content-Transfer-Encoding: " + _b(encoding)])


def text_part(text=TEXT_BODY, ctype=b"text/plain; charset=us-ascii"):
    return part(text, [b"Content-Type: " + _b(ctype), b"Content-Transfer-Encoding: 7bit"])


def leaf(body, ctype=b"application/octet-stream", name=None, filename=None, cte="base64",
         description=None, disposition=None):
    """A part in the shape of a hand-written message: Content-Type CTYPE
    (with ; name="NAME" when NAME is given), Content-Disposition
    (DISPOSITION as given, or attachment; filename="FILENAME"),
    Content-Description, Content-Transfer-Encoding CTE (none when CTE is
    None), the blank line, then the body: base64-encoded when CTE is
    base64, otherwise BODY as given (already in that encoding).  The
    body's last line break (CRLF or LF) is left out: the one before the
    next delimiter ends it (RFC 2046), so multipart() puts the delimiter
    right after the text."""
    ct = _b(ctype) + (b'; name="' + _b(name) + b'"' if name is not None else b"")
    headers = [b"Content-Type: " + ct]
    if disposition is not None:
        headers.append(b"Content-Disposition: " + _b(disposition))
    elif filename is not None:
        headers.append(b'Content-Disposition: attachment; filename="' + _b(filename) + b'"')
    if description:
        headers.append(b"Content-Description: " + _b(description))
    if cte is not None:
        headers.append(b"Content-Transfer-Encoding: " + _b(cte))
    text = b64_lines(body) if cte == "base64" else body
    if text.endswith(CRLF):
        text = text[:-2]
    elif text.endswith(b"\n"):
        text = text[:-1]
    return part(text, headers)


def multipart(parts, boundary=b"=_mimegen_b0und_1", close=True, subtype=b"mixed",
              open_with=None, close_with=None, preamble=b"This is a multi-part message in MIME format.\r\n",
              epilogue=b""):
    """The body of a multipart entity (not its header): PREAMBLE, each
    part after its delimiter line, the close delimiter, EPILOGUE."""
    bnd = _b(boundary)
    out = preamble
    for p in parts:
        out += b"--" + (open_with or bnd) + CRLF + p + CRLF
    if close:
        out += b"--" + (close_with or open_with or bnd) + b"--" + CRLF
    return out + epilogue


def multipart_message(parts, boundary=b"=_mimegen_b0und_1", subject=b"test message", msgid=None,
                      mime=True, ct_header=None, headers=None, **kw):
    """A whole message: multipart/mixed of PARTS (children 1, 2, ...).
    HEADERS (lines) replace the default From/To/Subject/Date/Message-ID/
    MIME-Version block; the Content-Type line follows either way."""
    bnd = _b(boundary)
    ct = ct_header or (b'Content-Type: multipart/mixed; boundary="' + bnd + b'"')
    head = [_b(h) for h in headers] if headers is not None else _hdr(subject, msgid, mime)
    return _msg(head + [ct], multipart(parts, bnd, **kw))


def rfc822_part(inner_message):
    """A message/rfc822 body part wrapping INNER_MESSAGE."""
    return part(inner_message, [b"Content-Type: message/rfc822",
                                b"Content-Disposition: inline"])


# --- the trick classes -----------------------------------------------------
# Unless said otherwise the shape is: top multipart/mixed, child 1 the
# text/plain greeting, child 2 the attachment (paths 1 and 2).

def plain(payload, filename, subject=b"test message", msgid=None):
    """Correct multipart/mixed with a base64 attachment."""
    return multipart_message([text_part(), attachment(payload, filename)], subject=subject, msgid=msgid)


def b64_junk(payload, filename):
    """base64 with junk characters (outside the alphabet), spaces and tabs
    inside the lines, odd line lengths and the padding dropped or doubled."""
    enc = base64.b64encode(payload).rstrip(b"=")
    junk = [b"!", b" ", b"*", b"\t", b"#", b".", b" \t", b"~", b"%", b"@"]
    out = b""
    i = 0
    j = 0
    while i < len(enc):
        n = 5 + (j * 7) % 23
        out += enc[i:i + n] + junk[j % len(junk)]
        if j % 4 == 3:
            out += CRLF
        i += n
        j += 1
    # Padding: missing when the length needed it, a wrong "===" otherwise.
    if len(payload) % 3 == 0:
        out += b"==="
    out += CRLF + b"  " + CRLF
    fn = _b(filename)
    att = part(out, [b"Content-Type: " + guess_type(fn) + b'; name="' + fn + b'"',
                     b'Content-Disposition: attachment; filename="' + fn + b'"',
                     b"Content-Transfer-Encoding: base64"])
    return multipart_message([text_part(), att])


def missing_close_boundary(payload, filename):
    """No closing --boundary-- line: the message just ends."""
    return multipart_message([text_part(), attachment(payload, filename)], close=False)


def mismatched_boundary(payload, filename):
    """The header declares boundary "MixB0und-Q7" (quoted); every delimiter
    in the body spells it in upper case, and the text part carries an extra
    boundary-like line (--MIXB0UND-Q7-not-a-delimiter)."""
    text = TEXT_BODY + b"--MIXB0UND-Q7-not-a-delimiter\r\nstill text\r\n"
    return multipart_message([text_part(text), attachment(payload, filename)],
                             boundary=b"MixB0und-Q7", open_with=b"MIXB0UND-Q7")


def duplicate_headers(payload, filename):
    """The attachment part has two Content-Type headers (text/plain first,
    then application/octet-stream) and two Content-Transfer-Encoding
    headers (7bit first, then base64)."""
    fn = _b(filename)
    att = part(b64_lines(payload), [
        b"Content-Type: text/plain; charset=us-ascii",
        b'Content-Disposition: attachment; filename="' + fn + b'"',
        b"Content-Transfer-Encoding: 7bit",
        b'Content-Type: application/octet-stream; name="' + fn + b'"',
        b"Content-Transfer-Encoding: base64"])
    return multipart_message([text_part(), att])


def rfc2231_encode(name):
    return b"UTF-8''" + urllib.parse.quote_from_bytes(_b(name), safe=b"").encode()


def _pct_all(name):
    return b"".join(b"%%%02X" % c for c in _b(name))


def rfc2231_name(payload, filename):
    """Two attachments carrying PAYLOAD, children 2 and 3 after the text:
    2 names the file as filename*=UTF-8''%xx%xx... (every byte encoded) and
    name*=...; 3 splits it in continuations filename*0*=UTF-8''...;
    filename*1*=... (and name*0* / name*1*).  Both decode to FILENAME."""
    fn = _b(filename)
    ctype = guess_type(fn)
    whole = b"UTF-8''" + _pct_all(fn)
    a2 = part(b64_lines(payload), [
        b"Content-Type: " + ctype + b"; name*=" + whole,
        b"Content-Disposition: attachment; filename*=" + whole,
        b"Content-Transfer-Encoding: base64"])
    cut = max(1, len(fn) // 2)
    c0 = b"UTF-8''" + _pct_all(fn[:cut])
    c1 = _pct_all(fn[cut:])
    a3 = part(b64_lines(payload), [
        b"Content-Type: " + ctype + b";\r\n name*0*=" + c0 + b";\r\n name*1*=" + c1,
        b"Content-Disposition: attachment;\r\n filename*0*=" + c0 + b";\r\n filename*1*=" + c1,
        b"Content-Transfer-Encoding: base64"])
    return multipart_message([text_part(), a2, a3])


def uuencode(payload, filename, mode=b"644", backtick=True):
    """PAYLOAD uuencoded as FILENAME (begin ... end); BACKTICK False writes
    a zero sextet as a space, as old encoders do."""
    out = b"begin " + _b(mode) + b" " + _b(filename) + CRLF
    for i in range(0, len(payload), 45):
        out += binascii.b2a_uu(payload[i:i + 45], backtick=backtick).rstrip(b"\n") + CRLF
    out += b"`" + CRLF + b"end" + CRLF
    return out


def uuencode_in_text(payload, filename):
    """Children 1 and 2 are text/plain; 2 holds the payload uuencoded
    (begin 644 FILENAME ... end) between lines of prose: expect 2.uu1."""
    text = (b"Here is the file you asked for, uuencoded.\r\n\r\n" + uuencode(payload, filename)
            + b"\r\nbye\r\n")
    return multipart_message([text_part(), text_part(text)])


def nested_rfc822(payload, filename):
    """Child 2 is a message/rfc822 whose body (2.1) is multipart: 2.1.1
    text, 2.1.2 another message/rfc822 whose body (2.1.2.1) is multipart:
    2.1.2.1.1 text, 2.1.2.1.2 the attachment."""
    inner = multipart_message([text_part(b"innermost text\r\n"), attachment(payload, filename)],
                              boundary=b"=_inner_2", subject=b"inner", msgid="inner@example.org")
    middle = multipart_message([text_part(b"middle text\r\n"), rfc822_part(inner)],
                               boundary=b"=_middle_1", subject=b"middle", msgid="middle@example.org")
    return multipart_message([text_part(), rfc822_part(middle)])


def qp_encoded(payload, filename):
    """The attachment quoted-printable encoded."""
    return multipart_message([text_part(), attachment(payload, filename, encoding="quoted-printable")])


def no_mime_version(payload, filename):
    """plain() without the MIME-Version header."""
    return multipart_message([text_part(), attachment(payload, filename)], mime=False)


def header_folding(payload, filename):
    """Content-Type (with the boundary parameter), Content-Disposition and
    Content-Transfer-Encoding folded over several lines, the folds between
    parameter name, '=' and value."""
    fn = _b(filename)
    bnd = b"=_folded_b0und"
    ct = (b"Content-Type: multipart/mixed;\r\n\tboundary=\r\n \"" + bnd
          + b"\";\r\n\tcharset=us-ascii")
    att = part(b64_lines(payload), [
        b"Content-Type:\r\n " + guess_type(fn) + b";\r\n\tname=\r\n \"" + fn + b"\"",
        b"Content-Disposition: attachment;\r\n filename\r\n =\r\n \"" + fn + b"\"",
        b"Content-Transfer-Encoding:\r\n\tbase64"])
    return multipart_message([text_part(), att], boundary=bnd, ct_header=ct)


VARIANTS = {
    "plain": plain,
    "b64_junk": b64_junk,
    "missing_close_boundary": missing_close_boundary,
    "mismatched_boundary": mismatched_boundary,
    "duplicate_headers": duplicate_headers,
    "rfc2231_name": rfc2231_name,
    "uuencode_in_text": uuencode_in_text,
    "nested_rfc822": nested_rfc822,
    "qp_encoded": qp_encoded,
    "no_mime_version": no_mime_version,
    "header_folding": header_folding,
}


# --- shapes for the limit tests --------------------------------------------

def many_parts(n, payload_for=lambda i: b"part %d text\r\n" % i):
    """A multipart/mixed with N text/plain children."""
    return multipart_message([text_part(payload_for(i)) for i in range(n)])


def nested_levels(levels, leaf_payload, filename=b"leaf.bin"):
    """LEVELS messages each carrying the next as its message/rfc822 body;
    the innermost is plain(leaf)."""
    msg = plain(leaf_payload, filename, subject=b"level %d" % levels)
    for i in range(levels):
        msg = _msg(_hdr(b"level %d" % (levels - 1 - i)) + [b"Content-Type: message/rfc822"], msg)
    return msg


if __name__ == "__main__":
    # Write every variant of EICAR to a directory, for looking at by hand.
    outdir = sys.argv[1] if len(sys.argv) > 1 else "."
    for name, fn in VARIANTS.items():
        with open(os.path.join(outdir, name + ".eml"), "wb") as f:
            f.write(fn(EICAR, "eicar.com"))
