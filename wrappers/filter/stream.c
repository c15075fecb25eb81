/*
 * stream.c - deadline-bounded buffered line I/O (see stream.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "common/sock.h"
#include "wrappers/filter/stream.h"

void stream_init(struct stream *s, int fd, int timeout_ms)
{
	s->fd = fd;
	s->timeout_ms = timeout_ms;
	s->deadline = 0;
	s->start = s->end = 0;
}

/* stream_deadline - when the current read or write must be done. */
static long long stream_deadline(const struct stream *s)
{
	long long d = sock_now_ms() + s->timeout_ms;

	return s->deadline != 0 && s->deadline < d ? s->deadline : d;
}

/* stream_wait - poll for EVENTS until the deadline. */
static enum stream_status stream_wait(const struct stream *s, short events)
{
	long long deadline = stream_deadline(s);

	for (;;) {
		struct pollfd p = {.fd = s->fd, .events = events};
		long long left = deadline - sock_now_ms();
		int r;

		if (left <= 0)
			return STREAM_TIMEOUT;
		r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (r > 0)
			return STREAM_OK;
		if (r < 0 && errno != EINTR)
			return STREAM_ERROR;
	}
}

/* stream_fill - read more bytes into the buffer (compacting it first). */
static enum stream_status stream_fill(struct stream *s)
{
	enum stream_status st;

	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	for (;;) {
		ssize_t n = recv(s->fd, s->buf + s->end, sizeof(s->buf) - s->end, 0);

		if (n > 0) {
			s->end += (size_t)n;
			return STREAM_OK;
		}
		if (n == 0)
			return STREAM_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == ECONNRESET ? STREAM_EOF : STREAM_ERROR;
		st = stream_wait(s, POLLIN);
		if (st != STREAM_OK)
			return st;
	}
}

enum stream_status stream_getline(struct stream *s, char *line, size_t size, size_t *len_r)
{
	size_t len = 0;
	int too_long = 0;

	for (;;) {
		char *nl = memchr(s->buf + s->start, '\n', s->end - s->start);
		size_t avail = (nl != NULL ? (size_t)(nl - (s->buf + s->start)) + 1 :
				s->end - s->start);
		enum stream_status st;

		if (!too_long && len + avail < size) {
			memcpy(line + len, s->buf + s->start, avail);
			len += avail;
		} else {
			too_long = 1;
		}
		s->start += avail;
		if (nl != NULL)
			break;
		st = stream_fill(s);
		if (st != STREAM_OK)
			return st;
	}
	if (too_long) {
		line[0] = '\0';
		*len_r = 0;
		return STREAM_TOO_LONG;
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	line[len] = '\0';
	*len_r = len;
	return STREAM_OK;
}

enum stream_status stream_read(struct stream *s, char *buf, size_t size, size_t *got_r)
{
	size_t n;

	if (s->start == s->end) {
		enum stream_status st = stream_fill(s);

		if (st != STREAM_OK)
			return st;
	}
	n = s->end - s->start < size ? s->end - s->start : size;
	memcpy(buf, s->buf + s->start, n);
	s->start += n;
	*got_r = n;
	return STREAM_OK;
}

void stream_unread(struct stream *s, size_t n)
{
	/* The bytes are still in buf: stream_read only moved start. */
	if (n > s->start)
		n = s->start;
	s->start -= n;
}

enum stream_status stream_write(struct stream *s, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL);
		enum stream_status st;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			st = stream_wait(s, POLLOUT);
			if (st != STREAM_OK)
				return st;
			continue;
		}
		return errno == EPIPE || errno == ECONNRESET ? STREAM_EOF : STREAM_ERROR;
	}
	return STREAM_OK;
}

int stream_pending(const struct stream *s)
{
	return s->end > s->start;
}

const char *stream_strerror(enum stream_status st)
{
	switch (st) {
	case STREAM_OK:
		return "ok";
	case STREAM_EOF:
		return "connection closed";
	case STREAM_TIMEOUT:
		return "time-out";
	case STREAM_ERROR:
		return "I/O error";
	case STREAM_TOO_LONG:
		return "line too long";
	}
	return "unknown";
}
