/*
 * body.c - message storage, DATA unstuffing and stuffing (see body.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/xalloc.h"
#include "wrappers/filter/body.h"

#define BODY_CHUNK 65536
#define BODY_HEADER_MAX (256 * 1024)	/* header bytes searched for replaced fields */
#define BODY_REPLACED_MAX 32

static char *body_spool_dir;

int body_spool_init(const char *parent, const char **error_r)
{
	static char why[512];
	char *tmpl = xasprintf("%s/mxscan-filter.XXXXXX", parent);

	if (mkdtemp(tmpl) == NULL) {
		snprintf(why, sizeof(why), "cannot create a spool directory in %s: %s", parent,
			 strerror(errno));
		free(tmpl);
		*error_r = why;
		return -1;
	}
	chmod(tmpl, 0700);
	body_spool_dir = tmpl;
	return 0;
}

void body_spool_cleanup(void)
{
	if (body_spool_dir != NULL) {
		rmdir(body_spool_dir);
		free(body_spool_dir);
		body_spool_dir = NULL;
	}
}

void body_init(struct body *b)
{
	b->fd = -1;
	b->len = 0;
	b->spooled = 0;
	b->too_big = 0;
}

void body_reset(struct body *b)
{
	if (b->fd >= 0)
		close(b->fd);
	body_init(b);
}

/* body_spool_file - a new 0600 file in the spool directory, unlinked at once. */
static int body_spool_file(const char **error_r)
{
	char *path;
	int fd;

	if (body_spool_dir == NULL) {
		*error_r = "no spool directory";
		return -1;
	}
	path = xasprintf("%s/msg.XXXXXX", body_spool_dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0) {
		fchmod(fd, 0600);
		unlink(path);
	} else {
		*error_r = "cannot create a spool file";
	}
	free(path);
	return fd;
}

/* body_open - the memory file a new body starts in. */
static int body_open(struct body *b, size_t memory_max, const char **error_r)
{
	if (memory_max == 0) {
		b->fd = body_spool_file(error_r);
		b->spooled = 1;
	} else {
		b->fd = memfd_create("mxscan-body", MFD_CLOEXEC);
		if (b->fd < 0)
			*error_r = "cannot create a memory file";
	}
	return b->fd < 0 ? -1 : 0;
}

/* body_to_spool - move the memory file's bytes to a spool file. */
static int body_to_spool(struct body *b, const char **error_r)
{
	int fd = body_spool_file(error_r);

	if (fd < 0)
		return -1;
	if (body_copy_to(b, fd, error_r) < 0) {
		close(fd);
		return -1;
	}
	close(b->fd);
	b->fd = fd;
	b->spooled = 1;
	return 0;
}

/* body_append - store LEN bytes, moving to the spool past MEMORY_MAX. */
static int body_append(struct body *b, const char *buf, size_t len, size_t max,
		       size_t memory_max, const char **error_r)
{
	if (len == 0 || b->too_big)
		return 0;
	if (b->len + len > max) {
		b->too_big = 1;
		return 0;
	}
	if (!b->spooled && b->len + len > memory_max && body_to_spool(b, error_r) < 0)
		return -1;
	if (fd_write_all(b->fd, buf, len) < 0) {
		*error_r = b->spooled ? "cannot write the spool file (disk full?)" :
			   "cannot write the memory file";
		return -1;
	}
	b->len += len;
	return 0;
}

/* Where the unstuffing machine is in the line structure. */
enum body_state { ST_BOL, ST_MID, ST_CR, ST_DOT, ST_DOTCR, ST_END };

void body_unstuffer_init(struct body_unstuffer *u)
{
	u->state = ST_BOL;
}

size_t body_unstuff(struct body_unstuffer *u, const char *in, size_t n, char *out,
		    size_t *out_len_r, int *done_r)
{
	enum body_state st = (enum body_state)u->state;
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

int body_receive(struct body *b, struct stream *in, size_t max, size_t memory_max,
		 enum body_status *status_r, const char **error_r)
{
	char *inbuf = xmalloc(BODY_CHUNK), *out = xmalloc(BODY_CHUNK + 1);
	struct body_unstuffer u;
	int local_failed = 0, done = 0;

	body_reset(b);
	body_unstuffer_init(&u);
	*status_r = BODY_OK;
	if (body_open(b, memory_max, error_r) < 0)
		local_failed = 1;
	while (!done) {
		size_t got, used, o;
		enum stream_status ss = stream_read(in, inbuf, BODY_CHUNK, &got);

		if (ss != STREAM_OK) {
			*status_r = BODY_CLIENT;
			*error_r = stream_strerror(ss);
			free(inbuf);
			free(out);
			return -1;
		}
		used = body_unstuff(&u, inbuf, got, out, &o, &done);
		/* Bytes after the end marker are the next (pipelined) commands. */
		stream_unread(in, got - used);
		if (!local_failed && body_append(b, out, o, max, memory_max, error_r) < 0)
			local_failed = 1;
	}
	free(inbuf);
	free(out);
	if (local_failed) {
		*status_r = BODY_LOCAL;
		body_reset(b);
		return 0;
	}
	if (b->too_big) {
		*status_r = BODY_TOO_BIG;
		body_reset(b);
	}
	return 0;
}

int body_set(struct body *b, const void *buf, size_t len, const char **error_r)
{
	body_reset(b);
	if (body_open(b, len + 1, error_r) < 0)
		return -1;
	if (fd_write_all(b->fd, buf, len) < 0) {
		*error_r = "cannot write the memory file";
		body_reset(b);
		return -1;
	}
	b->len = len;
	return 0;
}

int body_load_fd(struct body *b, int fd, const char **error_r)
{
	char *buf = xmalloc(BODY_CHUNK);
	ssize_t n;

	body_reset(b);
	if (body_open(b, SIZE_MAX, error_r) < 0) {
		free(buf);
		return -1;
	}
	while ((n = read(fd, buf, BODY_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fd_write_all(b->fd, buf, (size_t)n) < 0) {
			*error_r = "cannot copy the message";
			free(buf);
			body_reset(b);
			return -1;
		}
		b->len += (size_t)n;
	}
	free(buf);
	return 0;
}

int body_copy_to(const struct body *b, int fd, const char **error_r)
{
	char *buf = xmalloc(BODY_CHUNK);
	size_t off = 0;

	while (off < b->len) {
		ssize_t n = pread(b->fd, buf, BODY_CHUNK, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || fd_write_all(fd, buf, (size_t)n) < 0) {
			*error_r = "cannot copy the message";
			free(buf);
			return -1;
		}
		off += (size_t)n;
	}
	free(buf);
	return 0;
}

size_t body_head(const struct body *b, char *buf, size_t size)
{
	ssize_t n = 0;

	if (b->fd >= 0 && size > 1) {
		n = pread(b->fd, buf, size - 1, 0);
		if (n < 0)
			n = 0;
	}
	if (size > 0)
		buf[n] = '\0';
	return (size_t)n;
}

size_t body_stuff(const char *in, size_t n, char *out, int *bol)
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
struct body_range {
	size_t start, end;
};

/* body_named - whether LINE starts a field named in PREFIX's header lines. */
static int body_named(const char *prefix, const char *line, size_t n)
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
 * body_replaced - the fields of the message's header section (read up to
 * BODY_HEADER_MAX bytes) named by PREFIX, with their continuation lines,
 * so a message cannot bring its own X-Virus-Status past the filter's.
 */
static int body_replaced(const struct body *b, const char *prefix, struct body_range *r, int max)
{
	size_t len = b->len < BODY_HEADER_MAX ? b->len : BODY_HEADER_MAX, pos = 0;
	char *h = xmalloc(len + 1);
	ssize_t got = len > 0 ? pread(b->fd, h, len, 0) : 0;
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
			in = n < max && body_named(prefix, h + pos, ll);
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

int body_send(const struct body *b, const char *prefix, struct stream *out,
	      const char **error_r)
{
	char *buf = xmalloc(BODY_CHUNK), *st = xmalloc(2 * BODY_CHUNK);
	size_t off = 0, plen = prefix != NULL ? strlen(prefix) : 0;
	char last[2] = {'\r', '\n'};	/* the last two bytes sent */
	enum stream_status ss = STREAM_OK;
	struct body_range drop[BODY_REPLACED_MAX];
	int bol = 1, ret = -1, ndrop = plen > 0 ? body_replaced(b, prefix, drop, BODY_REPLACED_MAX) : 0;
	int d = 0;

	if (plen > 0) {
		size_t n = body_stuff(prefix, plen, st, &bol);

		ss = stream_write(out, st, n);
		if (plen >= 2)
			memcpy(last, prefix + plen - 2, 2);
	}
	while (ss == STREAM_OK && off < b->len) {
		ssize_t n = pread(b->fd, buf, BODY_CHUNK, (off_t)off);

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
			ss = stream_write(out, st, body_stuff(buf + (at - off), upto - at, st, &bol));
			at = upto;
		}
		off += (size_t)n;
	}
	/* A message always ends its last line before the marker. */
	if (ss == STREAM_OK && (plen > 0 || b->len > 0) && memcmp(last, "\r\n", 2) != 0)
		ss = stream_write(out, "\r\n", 2);
	if (ss == STREAM_OK)
		ss = stream_write(out, ".\r\n", 3);
	if (ss != STREAM_OK) {
		*error_r = stream_strerror(ss);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	free(st);
	return ret;
}
