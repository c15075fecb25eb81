/*
 * stream.h - buffered SMTP line I/O on a non-blocking socket, every read
 * and write bounded by an idle time-out and an optional absolute deadline.
 *
 * Used by both sides of the filter: the server session (lines from
 * Postfix) and the relay (replies of the forward server).  A line longer
 * than the caller's buffer is consumed up to its end and reported as
 * STREAM_TOO_LONG, so a hostile peer cannot make a reader grow.
 */
#ifndef MX_FILTER_STREAM_H
#define MX_FILTER_STREAM_H

#include <stddef.h>
#include <sys/types.h>

#define STREAM_BUF_SIZE 16384

enum stream_status {
	STREAM_OK = 0,
	STREAM_EOF = -1,	/* the peer closed the connection */
	STREAM_TIMEOUT = -2,	/* idle time-out or deadline */
	STREAM_ERROR = -3,	/* read or write error */
	STREAM_TOO_LONG = -4,	/* line longer than the buffer (consumed) */
};

struct stream {
	int fd;
	int timeout_ms;		/* idle time-out of one read or write */
	long long deadline;	/* absolute cap (sock_now_ms clock), 0: none */
	size_t start, end;	/* unread bytes in buf */
	char buf[STREAM_BUF_SIZE];
};

/* stream_init - wrap the non-blocking socket FD (not owned). */
void stream_init(struct stream *s, int fd, int timeout_ms);

/* stream_getline - one line ending in LF, without CR LF, NUL-terminated. */
enum stream_status stream_getline(struct stream *s, char *line, size_t size, size_t *len_r);

/* stream_read - up to SIZE bytes (buffered ones first); 0 never returned. */
enum stream_status stream_read(struct stream *s, char *buf, size_t size, size_t *got_r);

/* stream_unread - give back the last N bytes stream_read returned. */
void stream_unread(struct stream *s, size_t n);

/* stream_write - all LEN bytes. */
enum stream_status stream_write(struct stream *s, const void *buf, size_t len);

/* stream_pending - whether input is already buffered (pipelined). */
int stream_pending(const struct stream *s);

/* stream_strerror - a short text for a status. */
const char *stream_strerror(enum stream_status st);

#endif
