/*
 * stream.h - bounded, time-limited line and block I/O on a socket.
 *
 * A stream wraps a connected socket (blocking or not: every recv and send
 * is MSG_DONTWAIT and waits in poll) with an input and an output buffer
 * (common/buffer.h).  Every wait is bounded by an idle time-out (one
 * wait) and an optional absolute deadline (the whole exchange); a line
 * read is bounded by a maximum length, so a hostile peer can make a
 * reader neither grow nor wait forever.
 *
 * Output is queued and sent when the queue would pass STREAM_OUT_MAX, at
 * stream_flush(), and when a read finds no input at hand and has to wait:
 * replies to pipelined commands leave together, and a peer never waits
 * for bytes still queued here.  A write that fails is latched: later writes and
 * flushes return the same result and discard their bytes, while reads go
 * on (a peer that refuses a request and closes still leaves its reply).
 *
 * Results are an enum plus a text in *error_r: a static string, valid
 * for ever.  Pointers returned into the input buffer stay valid until the
 * next call on the stream.  Not thread-safe: one thread owns a stream.
 */
#ifndef MX_STREAM_H
#define MX_STREAM_H

#include <stddef.h>

#include "common/buffer.h"

#define STREAM_READ_SIZE 16384	/* bytes asked of one recv */
#define STREAM_OUT_MAX 16384	/* output queued before it is sent */

enum stream_result {
	STREAM_OK,		/* a line, a block, bytes written */
	STREAM_EOF,		/* the peer closed (or reset) the connection */
	STREAM_TIMEOUT,		/* idle time-out or deadline */
	STREAM_ERROR,		/* a read, write or poll error */
	STREAM_TOO_LONG,	/* a line over the maximum (consumed to its end) */
};

/* What ends a line (stream_read_line). */
enum stream_eol {
	STREAM_EOL_LF,		/* LF; CRs just before it are dropped too */
	STREAM_EOL_CRLF,	/* CR LF only; a bare LF belongs to the line */
	STREAM_EOL_NUL,		/* a NUL byte (clamd's z-framed replies) */
};

struct stream {
	int fd;			/* not owned */
	int timeout_ms;		/* idle time-out of one wait, 0: none */
	long long deadline;	/* absolute cap (sock_now_ms clock), 0: none */
	enum stream_result write_result;	/* latched write failure, or STREAM_OK */
	int write_errno;
	struct buffer in, out;
};

/* stream_init - wrap the connected socket FD (not owned; see stream_free). */
void stream_init(struct stream *s, int fd, int timeout_ms);

/* stream_free - release the buffers (queued output is dropped; FD stays open). */
void stream_free(struct stream *s);

/* stream_set_timeout / stream_set_deadline - 0 turns either off. */
void stream_set_timeout(struct stream *s, int timeout_ms);
void stream_set_deadline(struct stream *s, long long deadline_ms);

/*
 * stream_read_line - the next line ended as EOL says, at most MAX bytes
 * (> 0) with its terminator.  STREAM_OK: *line_r is the line without its
 * terminator, NUL-terminated (it may hold other NULs: *len_r is its
 * length).  STREAM_TOO_LONG: the whole line was read and dropped.  On
 * STREAM_EOF the bytes of an unfinished line stay buffered
 * (stream_input_len tells whether there were any).
 */
enum stream_result stream_read_line(struct stream *s, size_t max, enum stream_eol eol,
				    char **line_r, size_t *len_r, const char **error_r);

/*
 * stream_read_some - every buffered input byte, waiting for at least one;
 * nothing is consumed: the caller says how much it used with
 * stream_consume.  Never STREAM_OK with *len_r 0.
 */
enum stream_result stream_read_some(struct stream *s, const char **data_r, size_t *len_r,
				    const char **error_r);

/* stream_consume - drop N (at most stream_input_len) bytes of input. */
void stream_consume(struct stream *s, size_t n);

/*
 * stream_read_block - exactly N bytes, consumed (the input buffer grows
 * to N: the caller bounds it).  On STREAM_EOF a short block stays
 * buffered.
 */
enum stream_result stream_read_block(struct stream *s, size_t n, const char **data_r,
				     const char **error_r);

/* stream_write - queue LEN bytes, sending when the queue passes STREAM_OUT_MAX. */
enum stream_result stream_write(struct stream *s, const void *data, size_t len,
				const char **error_r);

/* stream_flush - send every queued byte. */
enum stream_result stream_flush(struct stream *s, const char **error_r);

/* stream_input_len / stream_output_len - bytes buffered and not consumed / not sent. */
size_t stream_input_len(const struct stream *s);
size_t stream_output_len(const struct stream *s);

#endif
