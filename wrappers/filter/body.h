/*
 * body.h - one message's bytes: received from SMTP DATA (dot-unstuffed
 * by common/smtp_data.h), kept in memory (a memfd) up to a size and in a
 * private spool file beyond it; sent on with smtp_client_data(b->fd,
 * b->len, ...).
 */
#ifndef MX_FILTER_BODY_H
#define MX_FILTER_BODY_H

#include <stddef.h>

#include "common/stream.h"

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

/* body_copy_to - write the raw stored bytes to FD. */
int body_copy_to(const struct body *b, int fd, const char **error_r);

/* body_head - up to SIZE-1 leading bytes into BUF (NUL-terminated). */
size_t body_head(const struct body *b, char *buf, size_t size);

#endif
