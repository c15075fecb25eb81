/*
 * qp.c - lenient quoted-printable decoding (see qp.h).
 */
#include "auto-config.h"

#include "common/qp.h"

int qp_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* qp_soft_break - the length of "=", blanks and a line end at IN[0] ('='),
 * or 0 when it is no soft break. */
static size_t qp_soft_break(const unsigned char *in, size_t n)
{
	size_t i = 1;

	while (i < n && (in[i] == ' ' || in[i] == '\t'))
		i++;
	if (i == n)	/* "=" at the very end: a soft break too */
		return i;
	if (in[i] == '\n')
		return i + 1;
	if (in[i] == '\r')
		return i + 1 < n && in[i + 1] == '\n' ? i + 2 : i + 1;
	return 0;
}

/* qp_decode - lenient decoding. */
size_t qp_decode(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0, soft;

	while (i < n) {
		if (in[i] != '=') {
			out[o++] = in[i++];
		} else if (i + 2 < n && qp_hex_value(in[i + 1]) >= 0 && qp_hex_value(in[i + 2]) >= 0) {
			out[o++] = (unsigned char)(qp_hex_value(in[i + 1]) << 4 | qp_hex_value(in[i + 2]));
			i += 3;
		} else if ((soft = qp_soft_break(in + i, n - i)) > 0) {
			i += soft;
		} else {
			out[o++] = in[i++];	/* an invalid escape stays */
		}
	}
	return o;
}

/* qp_looks_encoded - at least MIN valid escapes. */
int qp_looks_encoded(const unsigned char *in, size_t n, size_t min)
{
	size_t i, found = 0;

	for (i = 0; i + 2 < n && found < min; i++)
		if (in[i] == '=' && qp_hex_value(in[i + 1]) >= 0 && qp_hex_value(in[i + 2]) >= 0)
			found++;
	return found >= min;
}
