/*
 * storm.c - MIMESCAN's storm pre-pass.
 *
 * In a worm storm thousands of distinct messages carry one attachment,
 * encoded identically.  Once the first copy has been read, the verdict
 * cache knows that attachment's encoded text as infected; what a copy
 * still costs is GMime's parse of the whole message to find it.  This
 * pre-pass finds it more cheaply: the top-level Content-Type's boundary,
 * the delimiter lines (memmem), each part's header block for a base64
 * transfer encoding; it hashes each base64 body over exactly the bytes
 * the full walk hashes (between the part's blank line and the line break
 * that belongs to the next delimiter, RFC 2046 5.1.1) and looks it up.
 *
 * It only ever decides "infected", and only on a cached infected verdict
 * for those exact bytes, so a message it misreads is at worst left to the
 * full walk.  Anything it does not follow (no or duplicate Content-Type,
 * RFC 2231 or over-long boundaries, no delimiter, a header block without
 * an end) ends the pre-pass without a verdict.  The full walk then reuses
 * the keys computed here for the same byte ranges, so a message pays for
 * each hash once.
 *
 * storm_quick() is the same split on the loop thread, for a message
 * whose attachment is kept whole as known infected (bodies.h): a copy is
 * answered without a scan thread and without SHA-256.  Both the pre-pass
 * and the full walk keep the body they find infected there.
 */
#include "auto-config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/engine.h"
#include "scanner/bodies.h"
#include "scanner/storm.h"

#define STORM_BOUNDARY_MAX 70	/* RFC 2046 */
#define STORM_VALUE_MAX 1024

/* storm_body - where the body after the header block at P starts, or NULL. */
static const char *storm_body(const char *p, const char *end)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			return NULL;
		if (nl == p || (nl == p + 1 && *p == '\r'))
			return nl + 1;	/* the empty line */
		p = nl + 1;
	}
	return NULL;
}

/*
 * storm_header - the unfolded value of header NAME in the block P..END
 * into OUT; returns how many times the header occurs.
 */
static int storm_header(const char *p, const char *end, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name), o = 0;
	int count = 0, in = 0;

	out[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end, *v;

		if (eol > p && eol[-1] == '\r')
			eol--;
		if (in && p < eol && (*p == ' ' || *p == '\t')) {
			v = p;		/* a continuation line */
		} else if ((size_t)(eol - p) > nlen && strncasecmp(p, name, nlen) == 0 &&
			   p[nlen] == ':') {
			in = ++count == 1;
			v = p + nlen + 1;
		} else {
			in = 0;
			v = NULL;
		}
		for (; in && v != NULL && v < eol && o + 1 < size; v++)
			out[o++] = *v == '\t' ? ' ' : *v;
		if (in && o + 1 < size)
			out[o++] = ' ';
		p = nl != NULL ? nl + 1 : end;
	}
	out[o] = '\0';
	return count;
}

/*
 * storm_param - parameter NAME of a header VALUE (token or quoted string)
 * into OUT; 0 when it is absent, empty or too long.
 */
static int storm_param(const char *value, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name), o = 0;
	const char *p = value;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ')
			p++;
		if (strncasecmp(p, name, nlen) != 0)
			continue;
		p += nlen;
		while (*p == ' ')
			p++;
		if (*p != '=')
			continue;	/* e.g. the RFC 2231 form name*= */
		p++;
		while (*p == ' ')
			p++;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (o + 1 >= size)
					return 0;
				out[o++] = *p;
			}
			if (*p != '"')
				return 0;
		} else {
			for (; *p != '\0' && *p != ';' && *p != ' '; p++) {
				if (o + 1 >= size)
					return 0;
				out[o++] = *p;
			}
		}
		out[o] = '\0';
		return o > 0;
	}
	return 0;
}

/*
 * storm_delimiter - if a delimiter line "--BOUNDARY" starts at P, where
 * the line after it starts (END when it is the last line); *close is set
 * for the close delimiter "--BOUNDARY--".  NULL when P is no delimiter.
 */
static const char *storm_delimiter(const char *p, const char *end, const char *b, size_t blen,
				   int *close)
{
	if ((size_t)(end - p) < blen + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, blen) != 0)
		return NULL;
	p += blen + 2;
	*close = end - p >= 2 && p[0] == '-' && p[1] == '-';
	if (*close)
		p += 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p == '\r')
		p++;
	if (p == end)
		return end;
	return *p == '\n' ? p + 1 : NULL;
}

/*
 * storm_next - the next delimiter line at a line start after P, or NULL.
 * Searched by its "-" (never in base64 text, so memchr skips an encoded
 * attachment at memory speed).
 */
static const char *storm_next(const char *p, const char *end, const char *b, size_t blen,
			      const char **after, int *close)
{
	const char *from = p;

	while (p < end && (p = memchr(p, '-', (size_t)(end - p))) != NULL) {
		const char *line = p;

		if (line > end - 2 || line[1] != '-') {
			p++;
			continue;
		}
		if (line > from && line[-1] == '\n' &&
		    (*after = storm_delimiter(line, end, b, blen, close)) != NULL)
			return line - 1;
		p += 2;
	}
	return NULL;
}

/* storm_is_base64 - a Content-Transfer-Encoding value that is "base64". */
static int storm_is_base64(const char *value)
{
	const char *v = value + strspn(value, " ");

	return strncasecmp(v, "base64", 6) == 0 && v[6 + strspn(v + 6, " ")] == '\0';
}

/*
 * storm_split - the base64 bodies of the top-level parts; 0 when the
 * message is not one the pre-pass follows.
 */
static int storm_split(const char *buf, size_t len, struct storm *st)
{
	const char *end = buf + len, *body = storm_body(buf, end), *p, *nl, *after;
	char ct[STORM_VALUE_MAX], cte[64], boundary[STORM_BOUNDARY_MAX + 1];
	size_t blen;
	int close = 0, index = 0;

	st->n = 0;
	if (body == NULL || storm_header(buf, body, "Content-Type", ct, sizeof(ct)) != 1 ||
	    strncasecmp(ct + strspn(ct, " "), "multipart/", 10) != 0 ||
	    !storm_param(ct, "boundary", boundary, sizeof(boundary)))
		return 0;
	blen = strlen(boundary);
	/* The first delimiter: at the body's start or at a later line start. */
	if ((p = storm_delimiter(body, end, boundary, blen, &close)) == NULL) {
		if (storm_next(body, end, boundary, blen, &p, &close) == NULL)
			return 0;
	}
	while (!close && p < end && st->n < STORM_PARTS_MAX) {
		const char *start = p, *stop, *hend;

		index++;
		/* From the line break ending the delimiter (start > body > buf). */
		nl = storm_next(start - 1, end, boundary, blen, &after, &close);
		if (nl == NULL)
			return st->n > 0;	/* no closing delimiter: the rest is not read */
		/* The line break before the delimiter belongs to it. */
		stop = nl > start && nl[-1] == '\r' ? nl - 1 : nl;
		p = after;
		if (stop < start || (hend = storm_body(start, nl + 1)) == NULL)
			continue;
		if (hend > stop)	/* headers only: the blank line is the delimiter's */
			hend = stop;
		if (storm_header(start, hend, "Content-Transfer-Encoding", cte, sizeof(cte)) != 1 ||
		    !storm_is_base64(cte))
			continue;
		st->part[st->n].hoff = (size_t)(start - buf);
		st->part[st->n].hlen = (size_t)(hend - start);
		st->part[st->n].off = (size_t)(hend - buf);
		st->part[st->n].len = (size_t)(stop - hend);
		st->part[st->n].index = index;
		st->n++;
	}
	return st->n > 0;
}

int storm_check(const char *buf, size_t len, unsigned long long gen, struct storm *st,
		char *sig, size_t sigsize)
{
	int i;

	if (!storm_split(buf, len, st))
		return -1;
	for (i = 0; i < st->n; i++) {
		struct storm_part *p = &st->part[i];

		if (engine_hash_tagged("base64", buf + p->off, p->len, p->key) != 0)
			break;
		if (cache_lookup(p->key, gen, sig, sigsize) && *sig != '\0') {
			/* The next copy is recognised before a scan thread. */
			bodies_remember(buf + p->off, p->len, gen, sig);
			st->n = i + 1;
			return i;
		}
	}
	st->n = i;	/* only the keys computed */
	return -1;
}

int storm_quick(const char *buf, size_t len, unsigned long long gen, struct storm *st,
		char *sig, size_t sigsize)
{
	int i;

	if (!storm_split(buf, len, st))
		return -1;
	for (i = 0; i < st->n; i++)
		if (bodies_lookup(buf + st->part[i].off, st->part[i].len, gen, sig, sigsize))
			return i;
	st->n = 0;	/* no keys were computed: storm_key finds none */
	return -1;
}

const unsigned char *storm_key(const struct storm *st, size_t off, size_t len)
{
	int i;

	for (i = 0; st != NULL && i < st->n; i++)
		if (st->part[i].off == off && st->part[i].len == len)
			return st->part[i].key;
	return NULL;
}
