/*
 * smtp_data.c - DATA dot-unstuffing and stuffing, and sending a stored
 * message with replaced header fields (see smtp_data.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/smtp_data.h"
#include "common/xalloc.h"

#define SMTP_DATA_CHUNK 65536
#define SMTP_DATA_HEADER_MAX (256 * 1024)	/* header bytes searched for replaced fields */
#define SMTP_DATA_REPLACED_MAX 32

/* Where the unstuffing machine is in the line structure. */
enum smtp_data_state { ST_BOL, ST_MID, ST_CR, ST_DOT, ST_DOTCR, ST_END };

/* smtp_data_unstuffer_init - a machine at the start of DATA. */
void smtp_data_unstuffer_init(struct smtp_unstuffer *u)
{
	u->state = ST_BOL;
}

/* smtp_data_unstuff - feed bytes of DATA, take out the message's. */
size_t smtp_data_unstuff(struct smtp_unstuffer *u, const char *in, size_t n, char *out,
			 size_t *out_len_r, int *done_r)
{
	enum smtp_data_state st = (enum smtp_data_state)u->state;
	size_t i, o = 0;

	for (i = 0; i < n && st != ST_END; i++) {
		char c = in[i];

		switch (st) {
		case ST_BOL:
			if (c == '.') {
				st = ST_DOT;
				continue;
			}
			out[o++] = c;
			st = c == '\r' ? ST_CR : ST_MID;
			break;
		case ST_MID:
			out[o++] = c;
			if (c == '\r')
				st = ST_CR;
			break;
		case ST_CR:
			out[o++] = c;
			st = c == '\n' ? ST_BOL : c == '\r' ? ST_CR : ST_MID;
			break;
		case ST_DOT:	/* a leading dot: the terminator or stuffing */
			if (c == '\r') {
				st = ST_DOTCR;
				continue;
			}
			out[o++] = c;
			st = ST_MID;
			break;
		case ST_DOTCR:	/* "." CR at the start of a line */
			if (c == '\n') {
				st = ST_END;
				continue;
			}
			out[o++] = '\r';
			out[o++] = c;
			st = c == '\r' ? ST_CR : ST_MID;
			break;
		case ST_END:
			break;
		}
	}
	u->state = (int)st;
	*out_len_r = o;
	*done_r = st == ST_END;
	return i;
}

/* smtp_data_stuff - double a dot at every line start. */
size_t smtp_data_stuff(const char *in, size_t n, char *out, int *bol)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (*bol && in[i] == '.')
			out[o++] = '.';
		out[o++] = in[i];
		*bol = in[i] == '\n';
	}
	return o;
}

/* A header field of the message that the prefix replaces: [start, end). */
struct smtp_data_range {
	size_t start, end;
};

/* smtp_data_named - whether LINE starts a field named in PREFIX's header lines. */
static int smtp_data_named(const char *prefix, const char *line, size_t n)
{
	const char *p = prefix;

	while (p != NULL && *p != '\0') {
		const char *colon = strchr(p, ':'), *nl = strchr(p, '\n');
		size_t len = colon != NULL && (nl == NULL || colon < nl) ? (size_t)(colon - p) : 0;

		if (len > 0 && n > len && line[len] == ':' && strncasecmp(line, p, len) == 0)
			return 1;
		p = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

/*
 * smtp_data_replaced - the fields of the header section of the SIZE-byte
 * message in FD (read up to SMTP_DATA_HEADER_MAX bytes) named by PREFIX,
 * with their continuation lines, so a message cannot bring its own
 * X-Virus-Status past the filter's.
 */
static int smtp_data_replaced(int fd, size_t size, const char *prefix,
			      struct smtp_data_range *r, int max)
{
	size_t len = size < SMTP_DATA_HEADER_MAX ? size : SMTP_DATA_HEADER_MAX, pos = 0;
	char *h = xmalloc(len + 1);
	ssize_t got = len > 0 ? pread(fd, h, len, 0) : 0;
	int n = 0, in = 0;

	len = got > 0 ? (size_t)got : 0;
	while (pos < len) {
		char *nl = memchr(h + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - h) + 1 : len, ll = end - pos;

		if (ll <= 2 && (ll == 1 || h[pos] == '\r'))
			break;	/* the empty line: the body follows */
		if (in && (h[pos] == ' ' || h[pos] == '\t')) {
			r[n - 1].end = end;
		} else {
			in = n < max && smtp_data_named(prefix, h + pos, ll);
			if (in) {
				r[n].start = pos;
				r[n++].end = end;
			}
		}
		pos = end;
	}
	free(h);
	return n;
}

/* smtp_data_send - prefix, stored message and end marker, stuffed. */
int smtp_data_send(struct stream *out, int fd, size_t len, const char *prefix,
		   const char **error_r)
{
	char *buf = xmalloc(SMTP_DATA_CHUNK), *st = xmalloc(2 * SMTP_DATA_CHUNK);
	size_t off = 0, plen = prefix != NULL ? strlen(prefix) : 0;
	char last[2] = {'\r', '\n'};	/* the last two bytes sent */
	enum stream_result ss = STREAM_OK;
	struct smtp_data_range drop[SMTP_DATA_REPLACED_MAX];
	int bol = 1, ret = -1, d = 0, ndrop = 0;

	if (plen > 0)
		ndrop = smtp_data_replaced(fd, len, prefix, drop, SMTP_DATA_REPLACED_MAX);

	if (plen > 0) {
		size_t n = smtp_data_stuff(prefix, plen, st, &bol);

		ss = stream_write(out, st, n, error_r);
		if (plen >= 2)
			memcpy(last, prefix + plen - 2, 2);
	}
	while (ss == STREAM_OK && off < len) {
		ssize_t n = pread(fd, buf, SMTP_DATA_CHUNK, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*error_r = "cannot read the stored message";
			goto out;
		}
		if (n >= 2) {
			memcpy(last, buf + n - 2, 2);
		} else {
			last[0] = last[1];
			last[1] = buf[0];
		}
		/* The chunk [off, off + n), less the replaced fields. */
		for (size_t at = off, stop = off + (size_t)n; ss == STREAM_OK && at < stop;) {
			size_t upto = stop;

			while (d < ndrop && drop[d].end <= at)
				d++;
			if (d < ndrop && drop[d].start <= at) {
				at = drop[d].end < stop ? drop[d].end : stop;
				continue;
			}
			if (d < ndrop && drop[d].start < upto)
				upto = drop[d].start;
			ss = stream_write(out, st, smtp_data_stuff(buf + (at - off), upto - at, st, &bol),
					  error_r);
			at = upto;
		}
		off += (size_t)n;
	}
	/* A message always ends its last line before the marker. */
	if (ss == STREAM_OK && (plen > 0 || len > 0) && memcmp(last, "\r\n", 2) != 0)
		ss = stream_write(out, "\r\n", 2, error_r);
	if (ss == STREAM_OK)
		ss = stream_write(out, ".\r\n", 3, error_r);
	if (ss == STREAM_OK)
		ss = stream_flush(out, error_r);
	if (ss == STREAM_OK)
		ret = 0;
out:
	free(buf);
	free(st);
	return ret;
}
