/*
 * qp.h - lenient quoted-printable (RFC 2045 6.7), as mail clients read it.
 *
 * A pure function on bytes.  "=XY" with hex digits of either case is the
 * byte; "=" then only spaces or tabs to the line end is a soft line
 * break; any other "=" (invalid escapes "=X", "=XY" with non-hex) stays as
 * it is, with what follows it; line ends are kept as sent.
 */
#ifndef MX_QP_H
#define MX_QP_H

#include <stddef.h>

/* qp_decode - decode N bytes at IN into OUT (N bytes always suffice);
 * returns the decoded length. */
size_t qp_decode(const unsigned char *in, size_t n, unsigned char *out);

/* qp_hex_value - the value of a hex digit of either case, -1 for another byte. */
int qp_hex_value(unsigned char c);

/* qp_looks_encoded - 1 when IN (N bytes) holds at least MIN escapes "=XY"
 * (hex), so that a reading as quoted-printable differs from the text. */
int qp_looks_encoded(const unsigned char *in, size_t n, size_t min);

#endif
