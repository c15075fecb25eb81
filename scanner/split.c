/*
 * split.c - the boundary-discovering splitter (see split.h).
 */
#include "auto-config.h"

#include <string.h>
#include <strings.h>

#include "scanner/split.h"

/* Tokens counted while discovering: more distinct ones are ignored. */
#define SPLIT_CANDIDATES 64

struct split_candidate {
	const char *tok;
	size_t len;
	int count;
	int header_follows;
};

/* split_line - the line at *P: its start, its length without CR LF;
 * *P moves to the next line. */
static const char *split_line(const char *msg, size_t len, size_t *p, size_t *n_r)
{
	const char *line = msg + *p, *nl = memchr(line, '\n', len - *p);
	size_t eol = nl != NULL ? (size_t)(nl - msg) : len;

	*p = nl != NULL ? eol + 1 : len;
	if (eol > (size_t)(line - msg) && msg[eol - 1] == '\r')
		eol--;
	*n_r = eol - (size_t)(line - msg);
	return line;
}

/* split_header_line - "Name:" at the start of LINE. */
int split_header_line(const char *line, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 100; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ':')
			return i > 0;
		if (c <= ' ' || c >= 0x7f)
			return 0;
	}
	return 0;
}

/* split_token - the token of a "--" line: up to white space, a close
 * delimiter's "--" cut; its length, 0 when it is none. */
static size_t split_token(const char *line, size_t n)
{
	size_t i = 2;

	if (n < 3 || line[0] != '-' || line[1] != '-')
		return 0;
	while (i < n && line[i] != ' ' && line[i] != '\t')
		i++;
	if (i - 2 > 2 && line[i - 1] == '-' && line[i - 2] == '-')
		i -= 2;
	return i - 2 <= SPLIT_TOKEN_MAX ? i - 2 : 0;
}

/* split_add - keep boundary TOK (LEN bytes) unless it is kept already. */
static void split_add(struct split *s, const char *tok, size_t len)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->blen[i] == len && memcmp(s->bnd[i], tok, len) == 0)
			return;
	if (s->n < SPLIT_BOUNDARIES_MAX) {
		s->bnd[s->n] = tok;
		s->blen[s->n++] = len;
	}
}

/* split_starts - 1 when some line of MSG starts "--" and TOK. */
static int split_starts(const struct split *s, const char *tok, size_t len)
{
	size_t p = 0, n;

	while (p < s->len) {
		const char *line = split_line(s->msg, s->len, &p, &n);

		if (n >= len + 2 && line[0] == '-' && line[1] == '-' &&
		    memcmp(line + 2, tok, len) == 0)
			return 1;
	}
	return 0;
}

/* split_declared - the boundary= values of Content-Type headers (quotes,
 * spaces and RFC 2231 section marks around the value dropped) that start
 * a "--" line. */
static void split_declared(struct split *s)
{
	const char *p = s->msg, *end = s->msg + s->len;
	int tries = 0;

	/* Each check reads the message once: a bounded number of them. */
	while (s->n < SPLIT_BOUNDARIES_MAX && p < end &&
	       (p = memmem(p, (size_t)(end - p), "oundary", 7)) != NULL) {
		const char *v = p + 7, *e;

		p = v;
		if (p - 8 < s->msg || (p[-8] != 'b' && p[-8] != 'B'))
			continue;
		while (v < end && (*v == '*' || (*v >= '0' && *v <= '9') || *v == ' ' || *v == '\t'))
			v++;
		if (v == end || *v != '=')
			continue;
		v++;
		while (v < end && (*v == ' ' || *v == '\t' || *v == '"' || *v == '\''))
			v++;
		e = v;
		while (e < end && *e != '"' && *e != ';' && *e != '\r' && *e != '\n' && *e != '\'')
			e++;
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > v && (size_t)(e - v) <= SPLIT_TOKEN_MAX && tries++ < 2 * SPLIT_BOUNDARIES_MAX &&
		    split_starts(s, v, (size_t)(e - v)))
			split_add(s, v, (size_t)(e - v));
	}
}

/* split_init - discover the boundaries. */
void split_init(struct split *s, const char *msg, size_t len)
{
	struct split_candidate c[SPLIT_CANDIDATES];
	int nc = 0, i;
	size_t p = 0, n;

	memset(s, 0, sizeof(*s));
	s->msg = msg;
	s->len = len;
	s->first = 1;
	while (p < len) {
		const char *line = split_line(msg, len, &p, &n);
		size_t t = split_token(line, n), q = p, hn;
		const char *next;

		if (t == 0)
			continue;
		for (i = 0; i < nc; i++)
			if (c[i].len == t && memcmp(c[i].tok, line + 2, t) == 0)
				break;
		if (i == nc) {
			if (nc == SPLIT_CANDIDATES)
				continue;
			c[nc].tok = line + 2;
			c[nc].len = t;
			c[nc].count = 0;
			c[nc++].header_follows = 0;
		}
		c[i].count++;
		next = split_line(msg, len, &q, &hn);
		if (q > p && split_header_line(next, hn))
			c[i].header_follows = 1;
	}
	for (i = 0; i < nc; i++)
		if (c[i].count >= 2 || c[i].header_follows)
			split_add(s, c[i].tok, c[i].len);
	split_declared(s);
}

/* split_is_delimiter - LINE (N bytes) starts "--" and a boundary. */
static int split_is_delimiter(const struct split *s, const char *line, size_t n)
{
	int i;

	if (n < 3 || line[0] != '-' || line[1] != '-')
		return 0;
	for (i = 0; i < s->n; i++)
		if (n - 2 >= s->blen[i] && memcmp(line + 2, s->bnd[i], s->blen[i]) == 0)
			return 1;
	return 0;
}

/* split_headers - the header block of SEG from seg->start. */
static void split_headers(const struct split *s, struct split_segment *seg)
{
	size_t p = seg->start, n;
	int any = 0;

	seg->headers_end = seg->body = seg->start;
	while (p < seg->end) {
		const char *line = split_line(s->msg, seg->end, &p, &n);

		if (n == 0) {	/* the blank line (RFC 2046: even without headers) */
			seg->blank_line = 1;
			seg->body = p;
			return;
		}
		if (split_header_line(line, n) || (any && (line[0] == ' ' || line[0] == '\t'))) {
			any = 1;
			seg->headers_end = seg->body = p;
			continue;
		}
		return;	/* no header: the body starts here, blank line or not */
	}
	seg->blank_line = 1;	/* headers to the end: no body to misread */
}

/* split_next - the next segment. */
int split_next(struct split *s, struct split_segment *seg)
{
	size_t p, n, at;

	if (s->pos >= s->len && !s->first)
		return 0;
	memset(seg, 0, sizeof(*seg));
	seg->start = s->pos;
	p = s->pos;
	if (!s->first) {	/* s->pos is at a delimiter line: skip it */
		split_line(s->msg, s->len, &p, &n);
		seg->start = p;
	}
	s->first = 0;
	seg->end = s->len;
	while (p < s->len) {
		const char *line;

		at = p;
		line = split_line(s->msg, s->len, &p, &n);
		if (split_is_delimiter(s, line, n)) {
			seg->end = at;
			break;
		}
	}
	s->pos = seg->end;
	/* The line end before a delimiter belongs to it (RFC 2046). */
	if (seg->end < s->len && seg->end > seg->start && s->msg[seg->end - 1] == '\n') {
		seg->end--;
		if (seg->end > seg->start && s->msg[seg->end - 1] == '\r')
			seg->end--;
	}
	split_headers(s, seg);
	return 1;
}
