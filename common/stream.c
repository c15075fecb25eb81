/*
 * stream.c - bounded, deadline-limited buffered socket I/O (see stream.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/sock.h"
#include "common/stream.h"

/* stream_text - the error text of RESULT (ERR: errno of an I/O error). */
static const char *stream_text(enum stream_result result, int err)
{
	switch (result) {
	case STREAM_OK:
		return "ok";
	case STREAM_EOF:
		return "connection closed";
	case STREAM_TIMEOUT:
		return "time-out";
	case STREAM_ERROR:
		return err != 0 ? strerror(err) : "I/O error";
	case STREAM_TOO_LONG:
		return "line too long";
	}
	return "unknown";
}

/* stream_fail - RESULT with its text in *error_r. */
static enum stream_result stream_fail(enum stream_result result, int err, const char **error_r)
{
	*error_r = stream_text(result, err);
	return result;
}

void stream_init(struct stream *s, int fd, int timeout_ms)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->timeout_ms = timeout_ms;
	s->write_result = STREAM_OK;
}

void stream_free(struct stream *s)
{
	buffer_free(&s->in);
	buffer_free(&s->out);
}

void stream_set_timeout(struct stream *s, int timeout_ms)
{
	s->timeout_ms = timeout_ms;
}

void stream_set_deadline(struct stream *s, long long deadline_ms)
{
	s->deadline = deadline_ms;
}

size_t stream_input_len(const struct stream *s)
{
	return buffer_len(&s->in);
}

size_t stream_output_len(const struct stream *s)
{
	return buffer_len(&s->out);
}

/* stream_wait - poll for EVENTS until the idle time-out or the deadline. */
static enum stream_result stream_wait(const struct stream *s, short events, int *err_r)
{
	long long until = s->timeout_ms > 0 ? sock_now_ms() + s->timeout_ms : 0;

	if (s->deadline != 0 && (until == 0 || s->deadline < until))
		until = s->deadline;
	for (;;) {
		struct pollfd p = {.fd = s->fd, .events = events};
		long long left = until != 0 ? until - sock_now_ms() : -1;
		int r;

		if (until != 0 && left <= 0)
			return STREAM_TIMEOUT;
		r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (r > 0)
			return STREAM_OK;	/* POLLHUP, POLLERR: the call reports it */
		if (r < 0 && errno != EINTR) {
			*err_r = errno;
			return STREAM_ERROR;
		}
	}
}

/*
 * stream_send - write A then B (either may be empty) before the deadline;
 * a failure is latched (see stream.h).
 */
static enum stream_result stream_send(struct stream *s, const char *a, size_t alen,
				      const char *b, size_t blen, const char **error_r)
{
	struct iovec iov[2] = {{(void *)a, alen}, {(void *)b, blen}};
	struct msghdr msg;
	int err = 0;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = alen > 0 ? iov : iov + 1;
	msg.msg_iovlen = alen > 0 ? 2 : 1;
	while (msg.msg_iovlen > 0 && (msg.msg_iov[0].iov_len > 0 || msg.msg_iovlen > 1)) {
		ssize_t n = sendmsg(s->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		enum stream_result r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = stream_wait(s, POLLOUT, &err);
			if (r == STREAM_OK)
				continue;
			s->write_result = r;
			s->write_errno = err;
			return stream_fail(r, err, error_r);
		}
		if (n < 0) {
			s->write_result = errno == EPIPE || errno == ECONNRESET ? STREAM_EOF :
					  STREAM_ERROR;
			s->write_errno = errno;
			return stream_fail(s->write_result, s->write_errno, error_r);
		}
		/* Step over the bytes sent. */
		while (msg.msg_iovlen > 0 && (size_t)n >= msg.msg_iov[0].iov_len) {
			n -= (ssize_t)msg.msg_iov[0].iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen > 0) {
			msg.msg_iov[0].iov_base = (char *)msg.msg_iov[0].iov_base + n;
			msg.msg_iov[0].iov_len -= (size_t)n;
		}
	}
	return STREAM_OK;
}

enum stream_result stream_write(struct stream *s, const void *data, size_t len,
				const char **error_r)
{
	enum stream_result r;

	if (s->write_result != STREAM_OK)
		return stream_fail(s->write_result, s->write_errno, error_r);
	if (buffer_len(&s->out) + len <= STREAM_OUT_MAX) {
		buffer_append(&s->out, data, len);
		return STREAM_OK;
	}
	/* Queue and data leave together, the data without a copy. */
	r = stream_send(s, buffer_data(&s->out), buffer_len(&s->out), data, len, error_r);
	buffer_reset(&s->out);
	return r;
}

enum stream_result stream_flush(struct stream *s, const char **error_r)
{
	enum stream_result r;

	if (s->write_result != STREAM_OK) {
		buffer_reset(&s->out);
		return stream_fail(s->write_result, s->write_errno, error_r);
	}
	if (buffer_len(&s->out) == 0)
		return STREAM_OK;
	r = stream_send(s, buffer_data(&s->out), buffer_len(&s->out), NULL, 0, error_r);
	buffer_reset(&s->out);
	return r;
}

/*
 * stream_fill - receive more input, waiting as long as allowed; before
 * it waits, queued output goes (its failure is latched for the writer,
 * not the reader's).
 */
static enum stream_result stream_fill(struct stream *s, const char **error_r)
{
	const char *ignored;
	int err = 0;

	for (;;) {
		char *room = buffer_reserve(&s->in, STREAM_READ_SIZE);
		ssize_t n = recv(s->fd, room, STREAM_READ_SIZE, MSG_DONTWAIT);
		enum stream_result r;

		if (n > 0) {
			buffer_commit(&s->in, (size_t)n);
			return STREAM_OK;
		}
		if (n == 0)
			return stream_fail(STREAM_EOF, 0, error_r);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return stream_fail(errno == ECONNRESET ? STREAM_EOF : STREAM_ERROR, errno,
					   error_r);
		if (buffer_len(&s->out) > 0) {
			(void)stream_flush(s, &ignored);
			continue;
		}
		r = stream_wait(s, POLLIN, &err);
		if (r != STREAM_OK)
			return stream_fail(r, err, error_r);
	}
}

/* stream_find_eol - index of the last byte of the first terminator at or after FROM, or N. */
static size_t stream_find_eol(const char *p, size_t n, size_t from, enum stream_eol eol)
{
	const char *hit;

	while (from < n) {
		hit = memchr(p + from, eol == STREAM_EOL_NUL ? '\0' : '\n', n - from);
		if (hit == NULL)
			return n;
		if (eol != STREAM_EOL_CRLF || (hit > p && hit[-1] == '\r'))
			return (size_t)(hit - p);
		from = (size_t)(hit - p) + 1;
	}
	return n;
}

enum stream_result stream_read_line(struct stream *s, size_t max, enum stream_eol eol,
				    char **line_r, size_t *len_r, const char **error_r)
{
	size_t from = 0;
	int skipping = 0;

	for (;;) {
		char *p = buffer_data(&s->in);
		size_t n = buffer_len(&s->in), end = stream_find_eol(p, n, from, eol), len;
		enum stream_result r;

		if (end < n) {
			if (skipping || end + 1 > max) {
				buffer_consume(&s->in, end + 1);
				return stream_fail(STREAM_TOO_LONG, 0, error_r);
			}
			len = end;
			if (eol == STREAM_EOL_CRLF)
				len--;
			else if (eol == STREAM_EOL_LF)
				while (len > 0 && p[len - 1] == '\r')
					len--;
			p[len] = '\0';
			*line_r = p;
			*len_r = len;
			buffer_consume(&s->in, end + 1);
			return STREAM_OK;
		}
		if (n >= max) {
			/* Too long already: drop what came, keeping a CR that
			 * may start the CR LF. */
			size_t keep = eol == STREAM_EOL_CRLF && n > 0 && p[n - 1] == '\r';

			skipping = 1;
			buffer_consume(&s->in, n - keep);
			from = keep;
		} else {
			from = n;
		}
		r = stream_fill(s, error_r);
		if (r != STREAM_OK)
			return r;
	}
}

enum stream_result stream_read_some(struct stream *s, const char **data_r, size_t *len_r,
				    const char **error_r)
{
	if (buffer_len(&s->in) == 0) {
		enum stream_result r = stream_fill(s, error_r);

		if (r != STREAM_OK)
			return r;
	}
	*data_r = buffer_data(&s->in);
	*len_r = buffer_len(&s->in);
	return STREAM_OK;
}

void stream_consume(struct stream *s, size_t n)
{
	buffer_consume(&s->in, n);
}

enum stream_result stream_read_block(struct stream *s, size_t n, const char **data_r,
				     const char **error_r)
{
	while (buffer_len(&s->in) < n) {
		enum stream_result r = stream_fill(s, error_r);

		if (r != STREAM_OK)
			return r;
	}
	*data_r = buffer_data(&s->in);
	buffer_consume(&s->in, n);
	return STREAM_OK;
}
