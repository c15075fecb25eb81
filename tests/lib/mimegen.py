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
        # ends with a soft break: the line end before the delimiter is no byte of the file
        body = binascii.b2a_qp(payload, quotetabs=True, istext=False).replace(b"\n", CRLF) + b"=" + CRLF
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


# --- MIME confusion: the classes of mxscand(8) ------------------------------
# Every function below takes (payload, filename) and returns a whole
# message in which a mail client shows PAYLOAD as an attachment (named
# FILENAME where the trick leaves a name).  CONFUSION maps each variant's
# name to (class, function); confusion_messages() crosses them with the
# carriers (ClamAV test files, EICAR in a zip) and gives each its clean
# twin.

def _crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xffff if crc & 0x8000 else (crc << 1) & 0xffff
    return crc


HQX_ALPHABET = b"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"


def binhex(payload, filename):
    """PAYLOAD as a BinHex 4.0 text (banner, ':' ... ':'), data fork only."""
    fn = _b(filename)[:63]
    hdr = bytes([len(fn)]) + fn + b"\0" + b"BINAmxsc" + b"\0\0" + len(payload).to_bytes(4, "big") \
        + b"\0\0\0\0"
    data = hdr + _crc16(hdr).to_bytes(2, "big") + payload + _crc16(payload).to_bytes(2, "big") + b"\0\0"
    data = data.replace(b"\x90", b"\x90\x00")
    bits, nbits, out = 0, 0, bytearray()
    for byte in data:
        bits = bits << 8 | byte
        nbits += 8
        while nbits >= 6:
            nbits -= 6
            out.append(HQX_ALPHABET[(bits >> nbits) & 0x3f])
    if nbits:
        out.append(HQX_ALPHABET[(bits << (6 - nbits)) & 0x3f])
    text = b":" + bytes(out) + b":"
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return b"(This file must be converted with BinHex 4.0)" + CRLF + CRLF.join(lines) + CRLF


def yenc(payload, filename):
    """PAYLOAD as a yEnc block (=ybegin ... =yend)."""
    out = b"=ybegin line=128 size=%d name=" % len(payload) + _b(filename) + CRLF
    line = b""
    for byte in payload:
        c = (byte + 42) % 256
        line += b"=" + bytes([(c + 64) % 256]) if c in (0, 9, 10, 13, 32, 46, 61) else bytes([c])
        if len(line) >= 128:
            out += line + CRLF
            line = b""
    if line:
        out += line + CRLF
    return out + b"=yend size=%d" % len(payload) + CRLF


def qp_all(payload, width=72):
    """PAYLOAD with every byte as =XX, soft breaks every WIDTH bytes."""
    enc = b"".join(b"=%02X" % c for c in payload)
    step = width // 3 * 3
    return b"=\r\n".join(enc[i:i + step] for i in range(0, len(enc), step)) + b"=" + CRLF


def _att(body, filename, cte=b"base64", ctype=None, extra=()):
    fn = _b(filename)
    hdrs = [b"Content-Type: " + (_b(ctype) if ctype else guess_type(fn)) + b'; name="' + fn + b'"',
            b'Content-Disposition: attachment; filename="' + fn + b'"']
    if cte is not None:
        hdrs.append(b"Content-Transfer-Encoding: " + _b(cte))
    return part(body, hdrs + [_b(x) for x in extra])


def _mixed(att, **kw):
    return multipart_message([text_part(), att], **kw)


def _b64_cut(payload, at):
    """base64 of PAYLOAD[:AT] (padded) and of the rest, one text."""
    return base64.b64encode(payload[:at]) + base64.b64encode(payload[at:])


def _wrap(data, width=76):
    return CRLF.join(data[i:i + width] for i in range(0, len(data), width)) + CRLF


# class 1: transfer encodings
def te_unknown(p, f):
    return _mixed(_att(b64_lines(p), f, cte=b"x-gzip64"))


def te_misspelled(p, f):
    return _mixed(_att(b64_lines(p), f, cte=b"base-64"))


def te_misspelled2(p, f):
    return _mixed(_att(b64_lines(p), f, cte=b"bas64"))


def te_padded(p, f):
    return _mixed(_att(b64_lines(p), f, cte=b'  "BASE64" ;'))


def te_case(p, f):
    return _mixed(_att(b64_lines(p), f, cte=b"BaSe64"))


def te_duplicated(p, f):
    return _mixed(_att(b64_lines(p), f, cte=b"7bit", extra=[b"Content-Transfer-Encoding: base64"]))


def te_duplicated_qp(p, f):
    return _mixed(_att(b64_lines(p), f, cte=b"base64",
                       extra=[b"Content-Transfer-Encoding: quoted-printable"]))


def _te_uu(word):
    return lambda p, f: _mixed(_att(uuencode(p, f), f, cte=word))


def te_uu_no_begin(p, f):
    body = b"".join(binascii.b2a_uu(p[i:i + 45], backtick=True).replace(b"\n", CRLF)
                    for i in range(0, len(p), 45))
    return _mixed(_att(body, f, cte=b"x-uuencode"))


def te_uu_in_text(p, f):
    return multipart_message([text_part(), text_part(b"see below\r\n\r\n" + uuencode(p, f) + b"bye\r\n")])


def te_uu_loose_begin(p, f):
    text = uuencode(p, f).replace(b"begin 644 ", b"begin  0644   ", 1)
    return multipart_message([text_part(b"file:\r\n" + text)])


def te_uu_single_part(p, f):
    return message(_hdr(), b"Here it is\r\n\r\n" + uuencode(p, f))


def te_binhex_cte(p, f):
    return _mixed(_att(binhex(p, f), f, cte=b"x-binhex", ctype=b"application/mac-binhex40"))


def te_binhex_in_text(p, f):
    return multipart_message([text_part(b"Mac file follows\r\n\r\n" + binhex(p, f))])


def te_binhex_bare(p, f):
    body = binhex(p, f).split(CRLF, 1)[1]
    return _mixed(_att(body, f, cte=b"binhex", ctype=b"application/mac-binhex40"))


def te_yenc_cte(p, f):
    return _mixed(_att(yenc(p, f), f, cte=b"x-yenc"))


def te_yenc_in_text(p, f):
    return multipart_message([text_part(b"yEnc follows\r\n" + yenc(p, f) + b"-- \r\nsig\r\n")])


def te_8bit_declared(p, f):
    return _mixed(_att(b64_lines(p), f, cte=b"8bit"))


# class 2: lenient base64
def b64_stray_eq(p, f):
    enc = base64.b64encode(p)
    return _mixed(_att(_wrap(enc[:2] + b"=" + enc[2:]), f))


def b64_stray_eq_later(p, f):
    enc = base64.b64encode(p)
    return _mixed(_att(_wrap(enc[:77] + b"=" + enc[77:]), f))


def b64_concat(p, f):
    return _mixed(_att(_wrap(_b64_cut(p, 4 if len(p) > 8 else 1)), f))


def b64_concat_many(p, f):
    cuts = sorted({1, 5, 11, 50, 101} & set(range(1, len(p))))
    parts, last = [], 0
    for c in cuts + [len(p)]:
        parts.append(base64.b64encode(p[last:c]))
        last = c
    return _mixed(_att(_wrap(b"".join(parts)), f))


def b64_junk_after_pad(p, f):
    body = b64_lines(p).rstrip(CRLF) + b"!!junk~~" + CRLF
    return _mixed(_att(body, f))


def b64_odd_lines(p, f):
    enc, out, i, w = base64.b64encode(p), b"", 0, 0
    widths = [1, 7, 13, 77, 3, 60, 2, 99]
    while i < len(enc):
        n = widths[w % len(widths)]
        out += enc[i:i + n] + CRLF
        i += n
        w += 1
    return _mixed(_att(out, f))


def b64_junk_lines_before(p, f):
    return _mixed(_att(b"This attachment is encoded; see below.\r\nPlease open it\r\n\r\n" + b64_lines(p), f))


def b64_junk_lines_after(p, f):
    return _mixed(_att(b64_lines(p) + b"\r\n-- end of the attached file --\r\nthanks\r\n", f))


def b64_nonalpha(p, f):
    enc = base64.b64encode(p)
    return _mixed(_att(_wrap(b"".join(enc[i:i + 9] + b"*" for i in range(0, len(enc), 9))), f))


def b64_spaces(p, f):
    enc = base64.b64encode(p)
    return _mixed(_att(_wrap(b" ".join(enc[i:i + 4] for i in range(0, len(enc), 4)), 95), f))


def b64_one_line(p, f):
    return _mixed(_att(base64.b64encode(p) + CRLF, f))


def b64_no_blank_line(p, f):
    att = _att(b64_lines(p), f).replace(b"base64\r\n\r\n", b"base64\r\n", 1)
    return _mixed(att)


def b64_no_padding(p, f):
    return _mixed(_att(_wrap(base64.b64encode(p).rstrip(b"=")), f))


def b64_lf(p, f):
    return lf(_mixed(_att(b64_lines(p), f)))


# class 3: lenient quoted-printable
def qp_everything(p, f):
    return _mixed(_att(qp_all(p), f, cte=b"quoted-printable"))


def qp_soft_spaces(p, f):
    return _mixed(_att(qp_all(p).replace(b"=\r\n", b"= \t \r\n"), f, cte=b"quoted-printable"))


def qp_lowercase(p, f):
    return _mixed(_att(qp_all(p).lower().replace(b"=\r\n", b"=\r\n"), f, cte=b"quoted-printable"))


def qp_invalid_text(p, f):
    text = text_part(b"price =X1 and =ZZ and =\r\n= \r\n", b"text/plain; charset=us-ascii")
    return multipart_message([text.replace(b"7bit", b"quoted-printable"),
                              _att(qp_all(p), f, cte=b"quoted-printable")])


def qp_undeclared(p, f):
    return _mixed(_att(qp_all(p), f, cte=None))


def qp_long_lines(p, f):
    return _mixed(_att(qp_all(p, 900), f, cte=b"quoted-printable"))


def qp_misspelled(p, f):
    return _mixed(_att(qp_all(p), f, cte=b"quoted_printable"))


def qp_lf(p, f):
    return lf(_mixed(_att(qp_all(p), f, cte=b"quoted-printable")))


def qp_trailing_eq(p, f):
    return _mixed(_att(qp_all(p).rstrip(CRLF) + b"=", f, cte=b"quoted-printable"))


# class 4: header parameters
def _ct_mixed(value):
    return lambda p, f, bnd=b"=_conf_b0und": multipart_message(
        [text_part(), attachment(p, f)], boundary=bnd, ct_header=b"Content-Type: multipart/mixed; " + value)


def hdr_2231_cont(p, f):
    return _ct_mixed(b'boundary*0="=_conf_"; boundary*1="b0und"')(p, f)


def hdr_2231_charset(p, f):
    return _ct_mixed(b"boundary*=utf-8''%3D_conf_b0und")(p, f)


def hdr_2231_utf16(p, f):
    fn = _b(f)
    att = part(b64_lines(p), [b"Content-Type: application/octet-stream; name*=utf-16''"
                              + b"".join(b"%%00%%%02X" % c for c in fn),
                              b"Content-Disposition: attachment; filename*=utf-16le''"
                              + b"".join(b"%%%02X%%00" % c for c in fn),
                              b"Content-Transfer-Encoding: base64"])
    return multipart_message([text_part(), att])


def hdr_comment(p, f):
    return _ct_mixed(b'(a comment) boundary=(another) "=_conf_b0und" (trailing)')(p, f)


def hdr_backslash(p, f):
    return _ct_mixed(b'boundary="=_conf\\_b0und"')(p, f)


def hdr_backslash_unquoted(p, f):
    return _ct_mixed(b"boundary==_conf\\_b0und")(p, f, bnd=b"=_conf\\_b0und")


def hdr_single_quotes(p, f):
    return _ct_mixed(b"boundary='=_conf_b0und'")(p, f)


def hdr_space_unquoted(p, f):
    return _ct_mixed(b"boundary=conf b0und x")(p, f, bnd=b"conf b0und x")


def hdr_dup_first(p, f):
    return _ct_mixed(b'boundary="=_conf_b0und"; boundary="=_fake_b0und"')(p, f)


def hdr_dup_last(p, f):
    return _ct_mixed(b'boundary="=_fake_b0und"; boundary="=_conf_b0und"')(p, f)


def hdr_dup_header(p, f):
    return multipart_message([text_part(), attachment(p, f)], boundary=b"=_conf_b0und",
                             ct_header=b"Content-Type: text/plain\r\nContent-Type: multipart/mixed; "
                             b'boundary="=_conf_b0und"')


def hdr_odd_case(p, f):
    return _ct_mixed(b'BoUnDaRy="=_conf_b0und"')(p, f)


def hdr_ws_equals(p, f):
    return _ct_mixed(b'boundary = "=_conf_b0und"')(p, f)


def hdr_odd_name(p, f):
    return _ct_mixed(b'x-boundary="nothing"; boundary\t=\t"=_conf_b0und"; \x01odd="1"')(p, f)


def hdr_folded(p, f):
    return header_folding(p, f)


# class 5: boundaries
def bnd_prefix(p, f):
    inner = multipart([text_part(b"inner\r\n"), attachment(p, f)], boundary=b"=_conf_b0und_inner",
                      preamble=b"")
    inner_part = part(inner, [b'Content-Type: multipart/mixed; boundary="=_conf_b0und_inner"'])
    return multipart_message([text_part(), inner_part], boundary=b"=_conf_b0und")


def bnd_trailing_ws(p, f):
    m = _mixed(attachment(p, f), boundary=b"=_conf_b0und")
    return m.replace(b"--=_conf_b0und\r\n", b"--=_conf_b0und \t \r\n")


def bnd_trailing_junk(p, f):
    m = _mixed(attachment(p, f), boundary=b"=_conf_b0und")
    return m.replace(b"--=_conf_b0und\r\n", b"--=_conf_b0und junk here\r\n")


def bnd_missing_close(p, f):
    return missing_close_boundary(p, f)


def bnd_outer_in_inner(p, f):
    inner = multipart([text_part(b"inner\r\n")], boundary=b"=_inner", close=False, preamble=b"")
    inner_part = part(inner, [b'Content-Type: multipart/alternative; boundary="=_inner"'])
    return multipart_message([text_part(), inner_part, attachment(p, f)], boundary=b"=_conf_b0und")


def bnd_body_only(p, f):
    return _mixed(attachment(p, f), boundary=b"=_conf_b0und",
                  ct_header=b"Content-Type: multipart/mixed")


def bnd_no_content_type(p, f):
    return _mixed(attachment(p, f), boundary=b"=_conf_b0und", ct_header=b"X-Note: no type")


def bnd_wrong_declared(p, f):
    return _mixed(attachment(p, f), boundary=b"=_conf_b0und",
                  ct_header=b'Content-Type: multipart/mixed; boundary="=_other"')


def bnd_case(p, f):
    return mismatched_boundary(p, f)


def bnd_lf(p, f):
    return lf(_mixed(attachment(p, f), boundary=b"=_conf_b0und"))


# class 6: containers
def _inner(p, f):
    return multipart_message([text_part(b"inner text\r\n"), attachment(p, f)], boundary=b"=_inner_b0und",
                             subject=b"inner", msgid="inner@example.org")


def cont_rfc822_b64(p, f):
    return multipart_message([text_part(), part(b64_lines(_inner(p, f)), [
        b"Content-Type: message/rfc822", b"Content-Transfer-Encoding: base64"])])


def cont_rfc822_qp(p, f):
    return multipart_message([text_part(), part(qp_all(_inner(p, f)), [
        b"Content-Type: message/rfc822", b"Content-Transfer-Encoding: quoted-printable"])])


def cont_global_b64(p, f):
    return multipart_message([text_part(), part(b64_lines(_inner(p, f)), [
        b"Content-Type: message/global", b"Content-Transfer-Encoding: base64"])])


def cont_rfc822_single_b64(p, f):
    inner = message(_hdr(b"inner", "in1@example.org") + [b"Content-Type: application/octet-stream",
                                                         b"Content-Transfer-Encoding: base64"], b64_lines(p))
    return multipart_message([text_part(), rfc822_part(inner)])


def cont_unknown_subtype(p, f):
    return _mixed(attachment(p, f), boundary=b"=_conf_b0und",
                  ct_header=b'Content-Type: multipart/x-strange; boundary="=_conf_b0und"')


def cont_nested_unknown(p, f):
    inner = multipart([text_part(b"inner\r\n"), attachment(p, f)], boundary=b"=_in", preamble=b"")
    return multipart_message([text_part(), part(inner, [b'Content-Type: multipart/foo; boundary="=_in"'])],
                             ct_header=b'Content-Type: multipart/bar; boundary="=_mimegen_b0und_1"')


def cont_single_part(p, f):
    fn = _b(f)
    return message(_hdr() + [b"Content-Type: " + guess_type(fn) + b'; name="' + fn + b'"',
                             b"Content-Transfer-Encoding: base64"], b64_lines(p))


def cont_single_part_no_mime(p, f):
    return message(_hdr(mime=False) + [b"Content-Transfer-Encoding: base64"], b64_lines(p))


def cont_double_b64(p, f):
    mid = multipart_message([text_part(b"middle\r\n"), part(b64_lines(_inner(p, f)), [
        b"Content-Type: message/rfc822", b"Content-Transfer-Encoding: base64"])],
        boundary=b"=_mid", subject=b"middle", msgid="mid@example.org")
    return multipart_message([text_part(), part(b64_lines(mid), [
        b"Content-Type: message/rfc822", b"Content-Transfer-Encoding: base64"])])


CONFUSION = {}
for _name, _fn in sorted(dict(globals()).items()):
    for _cls, _pfx in ((1, "te_"), (2, "b64_"), (3, "qp_"), (4, "hdr_"), (5, "bnd_"), (6, "cont_")):
        if _name.startswith(_pfx) and callable(_fn) and _name not in ("b64_lines", "qp_all"):
            CONFUSION[_name] = (_cls, _fn)
for _w in ("x-uuencode", "x-uue", "uue", "uuencode"):
    CONFUSION["te_uu_" + _w.replace("-", "_")] = (1, _te_uu(_w))

CLASSES = {1: "transfer encodings", 2: "lenient base64", 3: "lenient quoted-printable",
           4: "header parameters", 5: "boundaries", 6: "containers"}
TESTFILES = "/usr/share/clamav-testfiles"


def carriers():
    """(name, filename, infected bytes, clean bytes of the same kind): EICAR
    in a zip and the ClamAV test files that are installed."""
    harmless = b"This is a harmless text file; nothing in here is a virus.\r\n" * 3
    out = [("eicar.zip", "invoice.zip", zip_of("eicar.com", EICAR), zip_of("notes.txt", harmless))]
    for fn, clean in (("clam.exe", b"MZ" + b"\0" * 542), ("clam.zip", zip_of("notes.txt", harmless)),
                      ("clam.cab", zip_of("readme.txt", harmless))):
        path = os.path.join(TESTFILES, fn)
        if os.path.exists(path):
            with open(path, "rb") as fh:
                out.append((fn, fn, fh.read(), clean))
    return out


def confusion_messages():
    """Every variant crossed with every carrier: a list of (label, class,
    infected message, clean twin)."""
    out = []
    for cname, fname, bad, good in carriers():
        for vname, (cls, fn) in sorted(CONFUSION.items()):
            out.append(("%s/%s" % (vname, cname), cls, fn(bad, fname), fn(good, fname)))
    return out
