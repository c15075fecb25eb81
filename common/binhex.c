/*
 * binhex.c - BinHex 4.0 decoding (see binhex.h).
 */
#include "auto-config.h"

#include <string.h>

#include "common/binhex.h"

#define BINHEX_BANNER "(This file must be converted with BinHex"

static const char binhex_alphabet[] =
	"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";

/* binhex_next - the next encoded text. */
int binhex_next(const char *text, size_t len, size_t *pos, int bare, size_t *start_r,
		size_t *end_r)
{
	size_t p = *pos, k = strlen(BINHEX_BANNER);
	const char *colon = NULL, *close;

	while (p < len) {
		const char *nl = memchr(text + p, '\n', len - p);
		size_t next = nl != NULL ? (size_t)(nl - text) + 1 : len;

		if (len - p >= k && memcmp(text + p, BINHEX_BANNER, k) == 0) {
			colon = memchr(text + next, ':', len - next);
			break;
		}
		if (bare && text[p] == ':') {
			colon = text + p;
			break;
		}
		p = next;
	}
	if (colon == NULL) {
		*pos = len;
		return 0;
	}
	close = memchr(colon + 1, ':', len - (size_t)(colon + 1 - text));
	*start_r = (size_t)(colon + 1 - text);
	*end_r = close != NULL ? (size_t)(close - text) : len;
	*pos = close != NULL ? *end_r + 1 : len;
	return 1;
}

/* binhex_be - the big-endian number of W bytes at P. */
static size_t binhex_be(const unsigned char *p, int w)
{
	size_t v = 0;
	int i;

	for (i = 0; i < w; i++)
		v = v << 8 | p[i];
	return v;
}

/* binhex_decode - 6-bit text, run lengths, header. */
size_t binhex_decode(const unsigned char *in, size_t n, unsigned char *out, size_t cap,
		     struct binhex_forks *f)
{
	static signed char val[256];
	static int ready;
	unsigned long acc = 0;
	size_t o = 0, i, left, nl;
	int bits = 0, run = 0;
	unsigned char last = 0;

	memset(f, 0, sizeof(*f));
	if (!ready) {	/* benign race: every thread writes the same table */
		memset(val, -1, sizeof(val));
		for (i = 0; i < 64; i++)
			val[(unsigned char)binhex_alphabet[i]] = (signed char)i;
		ready = 1;
	}
	for (i = 0; i < n && o < cap; i++) {
		unsigned char b;

		if (val[in[i]] < 0)
			continue;
		acc = (acc << 6 | (unsigned long)val[in[i]]) & 0xffffUL;
		bits += 6;
		if (bits < 8)
			continue;
		bits -= 8;
		b = (unsigned char)(acc >> bits);
		if (run) {	/* the count after 0x90 */
			run = 0;
			if (b == 0) {
				out[o++] = 0x90;
				last = 0x90;
			} else {
				size_t k;

				for (k = 1; k < b && o < cap; k++)
					out[o++] = last;
			}
		} else if (b == 0x90) {
			run = 1;
		} else {
			out[o++] = b;
			last = b;
		}
	}
	/* name length, name, NUL, type, creator, flags, two lengths, CRC */
	if (o < 1 || o < (nl = out[0]) + 1 + 1 + 4 + 4 + 2 + 4 + 4 + 2)
		return 0;
	memcpy(f->name, out + 1, nl < sizeof(f->name) ? nl : sizeof(f->name) - 1);
	f->data = 1 + nl + 1 + 4 + 4 + 2 + 4 + 4 + 2;
	f->data_len = binhex_be(out + 1 + nl + 1 + 10, 4);
	f->rsrc_len = binhex_be(out + 1 + nl + 1 + 14, 4);
	left = o - f->data;
	if (f->data_len > left)
		f->data_len = left;
	f->rsrc = f->data + f->data_len + 2;	/* after the data fork's CRC */
	if (f->rsrc > o)
		f->rsrc = o;
	if (f->rsrc_len > o - f->rsrc)
		f->rsrc_len = o - f->rsrc;
	return o;
}
