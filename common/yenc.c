/*
 * yenc.c - yEnc files in text (see yenc.h).
 */
#include "auto-config.h"

#include <string.h>

#include "common/yenc.h"

/* yenc_line_at - the offset of the next line starting with PREFIX at or
 * after POS (at a line start), or LEN. */
static size_t yenc_line_at(const char *text, size_t len, size_t pos, const char *prefix)
{
	size_t k = strlen(prefix);

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		if (len - pos >= k && memcmp(text + pos, prefix, k) == 0)
			return pos;
		pos = nl != NULL ? (size_t)(nl - text) + 1 : len;
	}
	return len;
}

/* yenc_next - the next =ybegin file. */
int yenc_next(const char *text, size_t len, size_t *pos, struct yenc_file *f)
{
	size_t at = yenc_line_at(text, len, *pos, "=ybegin "), eol, i, n = 0;
	const char *nl, *name;

	if (at >= len)
		return 0;
	nl = memchr(text + at, '\n', len - at);
	eol = nl != NULL ? (size_t)(nl - text) : len;
	f->name[0] = '\0';
	for (i = at + 7; i + 5 <= eol; i++) {	/* after "=ybegin" */
		if (memcmp(text + i, "name=", 5) == 0 && text[i - 1] == ' ') {
			name = text + i + 5;
			n = eol - (i + 5);
			if (n > 0 && name[n - 1] == '\r')
				n--;
			if (n >= sizeof(f->name))
				n = sizeof(f->name) - 1;
			memcpy(f->name, name, n);
			f->name[n] = '\0';
			break;
		}
	}
	f->data = nl != NULL ? eol + 1 : len;
	f->end = yenc_line_at(text, len, f->data, "=yend");
	*pos = f->end < len ? f->end + 1 : len;
	return 1;
}

/* yenc_decode - the data bytes, "=y" lines skipped. */
size_t yenc_decode(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t i = 0, o = 0;
	int bol = 1;

	while (i < n) {
		unsigned char c = in[i++];

		if (bol && c == '=' && i < n && in[i] == 'y') {	/* =ypart, =ycrc, ... */
			const unsigned char *nl = memchr(in + i, '\n', n - i);

			i = nl != NULL ? (size_t)(nl - in) + 1 : n;
			continue;
		}
		bol = c == '\n';
		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			if (i == n)
				break;
			c = (unsigned char)(in[i++] - 64);
		}
		out[o++] = (unsigned char)(c - 42);
	}
	return o;
}
