/*
 * uu.c - uuencoded files in text (see uu.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <string.h>

#include "common/uu.h"

/* uu_line - the line at *P (without CR LF) and its length; advances *P. */
static const char *uu_line(const char *text, size_t len, size_t *p, size_t *n_r)
{
	const char *line = text + *p, *nl = memchr(line, '\n', len - *p);
	size_t eol = nl != NULL ? (size_t)(nl - text) : len;

	*p = nl != NULL ? eol + 1 : len;
	if (eol > (size_t)(line - text) && text[eol - 1] == '\r')
		eol--;
	*n_r = eol - (size_t)(line - text);
	return line;
}

/* uu_begin - 1 when LINE (N bytes) is "begin <octal> <name>"; the name to F. */
static int uu_begin(const char *line, size_t n, struct uu_file *f)
{
	size_t i = 5, digits = 0, name;

	if (n < 9 || memcmp(line, "begin", 5) != 0 || (line[5] != ' ' && line[5] != '\t'))
		return 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (i < n && line[i] >= '0' && line[i] <= '7' && digits < 5) {
		i++;
		digits++;
	}
	if (digits == 0 || digits > 4 || i >= n || (line[i] != ' ' && line[i] != '\t'))
		return 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == n)
		return 0;
	name = n - i < sizeof(f->name) ? n - i : sizeof(f->name) - 1;
	memcpy(f->name, line + i, name);
	f->name[name] = '\0';
	return 1;
}

/* uu_next - the next begin line. */
int uu_next(const char *text, size_t len, size_t *pos, struct uu_file *f)
{
	while (*pos < len) {
		size_t n;
		const char *line = uu_line(text, len, pos, &n);

		if (uu_begin(line, n, f)) {
			f->data = *pos;
			return 1;
		}
	}
	return 0;
}

/* uu_decode - the encoded lines up to "end", into OUT. */
size_t uu_decode(const char *text, size_t len, size_t *pos, unsigned char *out, size_t cap)
{
	size_t o = 0;

	while (*pos < len && o < cap) {
		size_t n, want, got = 0, i;
		const char *line = uu_line(text, len, pos, &n);
		unsigned char buf[64];

		if (n >= 3 && memcmp(line, "end", 3) == 0)
			break;
		if (n == 0)
			continue;
		want = (size_t)((line[0] - 0x20) & 0x3f);
		for (i = 1; got < want && i < n; i += 4) {
			unsigned char c[4];
			size_t k;

			for (k = 0; k < 4; k++)
				c[k] = (unsigned char)((i + k < n ? line[i + k] - 0x20 : 0) & 0x3f);
			buf[got++] = (unsigned char)(c[0] << 2 | c[1] >> 4);
			if (got < want)
				buf[got++] = (unsigned char)(c[1] << 4 | c[2] >> 2);
			if (got < want)
				buf[got++] = (unsigned char)(c[2] << 6 | c[3]);
		}
		if (got > cap - o)
			got = cap - o;
		memcpy(out + o, buf, got);
		o += got;
	}
	return o;
}
