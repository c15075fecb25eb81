/*
 * base64.c - lenient base64 decoding and base64 runs in text (see
 * base64.h).
 */
#include "auto-config.h"

#include <string.h>

#include "common/base64.h"

/* The value of each alphabet byte (0 for 'A' and for every byte outside). */
static const signed char base64_val[256] = {
	['A'] = 0, ['B'] = 1, ['C'] = 2, ['D'] = 3, ['E'] = 4, ['F'] = 5, ['G'] = 6,
	['H'] = 7, ['I'] = 8, ['J'] = 9, ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13,
	['O'] = 14, ['P'] = 15, ['Q'] = 16, ['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20,
	['V'] = 21, ['W'] = 22, ['X'] = 23, ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27,
	['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34,
	['j'] = 35, ['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40, ['p'] = 41,
	['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45, ['u'] = 46, ['v'] = 47, ['w'] = 48,
	['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
	['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['+'] = 62,
	['/'] = 63,
};

int base64_is_alphabet(unsigned char c)
{
	return c == 'A' || base64_val[c] != 0;
}

int base64_value(unsigned char c)
{
	return base64_is_alphabet(c) ? base64_val[c] : -1;
}

/* base64_flush - the whole bytes of a short group of K sextets in ACC. */
static size_t base64_flush(unsigned long acc, int k, unsigned char *out)
{
	size_t o = 0;

	if (k >= 2)
		out[o++] = (unsigned char)(acc >> (6 * k - 8));
	if (k == 3)
		out[o++] = (unsigned char)(acc >> (6 * k - 16));
	return o;
}

/* base64_decode - lenient decoding, '=' read as PAD says. */
size_t base64_decode(const unsigned char *in, size_t n, unsigned char *out, enum base64_pad pad)
{
	unsigned long acc = 0;
	size_t o = 0, i;
	int k = 0, pads = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = in[i];

		if (!base64_is_alphabet(c)) {
			if (c != '=' || k == 0)
				continue;
			if (pad == BASE64_PAD_RESTART) {
				o += base64_flush(acc, k, out + o);
				acc = 0;
				k = 0;
			} else if (k >= 2 && k + ++pads >= 4) {
				break;	/* the padding is complete: the data ends */
			}
			continue;
		}
		pads = 0;
		acc = acc << 6 | (unsigned long)base64_val[c];
		if (++k == 4) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
			k = 0;
		}
	}
	return o + base64_flush(acc, k, out + o);
}

/* base64_inner_pad - an '=' before more alphabet. */
int base64_inner_pad(const unsigned char *in, size_t n)
{
	const unsigned char *eq = memchr(in, '=', n);
	size_t i;

	if (eq == NULL)
		return 0;
	for (i = (size_t)(eq - in) + 1; i < n; i++)
		if (base64_is_alphabet(in[i]))
			return 1;
	return 0;
}

/* base64_line - the alphabet bytes of a line, or -1. */
long base64_line(const unsigned char *text, size_t n)
{
	long good = 0;
	size_t i = 0;

	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r'))
		n--;
	while (i < n && (text[i] == ' ' || text[i] == '\t'))
		i++;
	for (; i < n; i++) {
		if (base64_is_alphabet(text[i]))
			good++;
		else if (text[i] != '=')
			return -1;
	}
	return good;
}

/* base64_mixed - a line of N bytes at TEXT has upper case and lower case
 * or digits, as base64 of binary data has (prose without spaces rarely). */
static int base64_mixed(const unsigned char *text, size_t n)
{
	int upper = 0, other = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		upper |= text[i] >= 'A' && text[i] <= 'Z';
		other |= (text[i] >= 'a' && text[i] <= 'z') || (text[i] >= '0' && text[i] <= '9');
	}
	return upper && other;
}

/* base64_next_run - the next run of base64 lines. */
int base64_next_run(const unsigned char *text, size_t len, size_t *pos, size_t min,
		    size_t *start_r, size_t *end_r)
{
	size_t p = *pos, start = 0, end = 0, total = 0;
	int in_run = 0, long_line = 0;

	while (p < len) {
		const unsigned char *nl = memchr(text + p, '\n', len - p);
		size_t eol = nl != NULL ? (size_t)(nl - text) : len;
		size_t next = nl != NULL ? eol + 1 : len;
		long good = base64_line(text + p, eol - p);

		if (good > 0 || (good == 0 && in_run)) {
			if (!in_run) {
				in_run = 1;
				start = p;
				total = 0;
				long_line = 0;
			}
			if (good > 0)
				end = next;
			total += (size_t)good;
			if (!long_line && good >= 16 && base64_mixed(text + p, eol - p))
				long_line = 1;
		} else if (in_run) {
			if (total >= min && long_line)
				break;
			in_run = 0;
		}
		p = next;
	}
	if (!in_run || total < min || !long_line) {
		*pos = len;
		return 0;
	}
	*start_r = start;
	*end_r = end;
	*pos = end > p ? end : p;
	return 1;
}
