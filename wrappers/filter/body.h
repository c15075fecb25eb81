/*
 * body.h - one message's bytes: received from SMTP DATA (dot-unstuffed),
 * kept in memory (a memfd) up to a size and in a private spool file
 * beyond it, and sent again with dot-stuffing.
 *
 * The stored bytes are exactly the message as the client meant it: every
 * byte between "DATA" and the final CR LF "." CR LF, with the leading dot
 * of stuffed lines removed.  Only CR LF ends a line on input; on output a
 * dot is doubled after every LF, so no downstream that accepts bare LF as
 * a line end can be made to see an early end of data.
 */
#ifndef MX_FILTER_BODY_H
#define MX_FILTER_BODY_H

#include <stddef.h>

#include "wrappers/filter/stream.h"

struct body {
	int fd;			/* memfd or unlinked spool file, -1 when empty */
	size_t len;		/* bytes stored */
	int spooled;		/* fd is a file under the spool directory */
	int too_big;		/* more than the limit arrived (not stored) */
};

enum body_status {
	BODY_OK,
	BODY_TOO_BIG,		/* read to the end, but over the limit */
	BODY_CLIENT,		/* the client failed (EOF, time-out, error) */
	BODY_LOCAL,		/* a local problem (memory file, disk) */
};

/*
 * The DATA unstuffing machine, a pure function so it can be fed any
 * split of the input (body_receive uses it; exposed for tests).
 */
struct body_unstuffer {
	int state;
};

/* body_unstuffer_init - at the start of DATA (as after a CR LF). */
void body_unstuffer_init(struct body_unstuffer *u);

/*
 * body_unstuff - feed N bytes of IN; the message bytes go to OUT, which
 * needs room for N + 1, their count to *out_len_r.  Returns how many
 * bytes of IN were used: all of them, or fewer when the end marker
 * (CR LF "." CR LF) was reached, which also sets *done_r.
 */
size_t body_unstuff(struct body_unstuffer *u, const char *in, size_t n, char *out,
		    size_t *out_len_r, int *done_r);

/*
 * body_stuff - copy N bytes of IN to OUT (room for 2 * N) doubling a dot
 * at the start of a line; a line starts after any LF.  *bol carries the
 * state between calls (1 at the start).  Returns the bytes written.
 */
size_t body_stuff(const char *in, size_t n, char *out, int *bol);

/*
 * body_spool_init - create the private 0700 spool directory under PARENT
 * (call once, after dropping privileges).  Returns 0 or -1 with *error_r.
 */
int body_spool_init(const char *parent, const char **error_r);

/* body_spool_cleanup - remove the spool directory (at exit). */
void body_spool_cleanup(void);

/* body_init - an empty body; body_reset closes and empties it. */
void body_init(struct body *b);
void body_reset(struct body *b);

/*
 * body_receive - read DATA from IN up to the end marker, keeping at most
 * MAX bytes and MEMORY_MAX of them in memory.  *status_r says why it
 * stopped early; returns 0 when the end marker was read (BODY_OK or
 * BODY_TOO_BIG, the session can go on), -1 otherwise; *error_r is set
 * on failure.
 */
int body_receive(struct body *b, struct stream *in, size_t max, size_t memory_max,
		 enum body_status *status_r, const char **error_r);

/* body_set - replace the contents with LEN bytes of BUF (in memory). */
int body_set(struct body *b, const void *buf, size_t len, const char **error_r);

/* body_load_fd - copy the whole readable file FD into an empty body. */
int body_load_fd(struct body *b, int fd, const char **error_r);

/*
 * body_send - write PREFIX (header lines, may be NULL), the body and the
 * end marker to OUT with dot-stuffing.  PREFIX's fields replace the
 * message's own fields of the same names (a sender's forged
 * X-Virus-Status does not pass).  Returns 0 or -1 (*error_r).
 */
int body_send(const struct body *b, const char *prefix, struct stream *out,
	      const char **error_r);

/* body_copy_to - write the raw stored bytes to FD. */
int body_copy_to(const struct body *b, int fd, const char **error_r);

/* body_head - up to SIZE-1 leading bytes into BUF (NUL-terminated). */
size_t body_head(const struct body *b, char *buf, size_t size);

#endif
