/*
 * smtp_data.h - the content of SMTP DATA: dot-unstuffing what a client
 * sends, dot-stuffing what we send, and sending a stored message.
 *
 * A message is exactly the bytes the client meant: everything between
 * "DATA" and the final CR LF "." CR LF, with the leading dot of stuffed
 * lines removed.  Only CR LF ends a line on input; on output a dot is
 * doubled after every LF, so no downstream that accepts a bare LF as a
 * line end can be made to see an early end of data.
 */
#ifndef MX_SMTP_DATA_H
#define MX_SMTP_DATA_H

#include <stddef.h>

#include "common/stream.h"

/* The unstuffing machine: a pure function, so it can be fed any split of the input. */
struct smtp_unstuffer {
	int state;
};

/* smtp_data_unstuffer_init - at the start of DATA (as after a CR LF). */
void smtp_data_unstuffer_init(struct smtp_unstuffer *u);

/*
 * smtp_data_unstuff - feed N bytes of IN; the message bytes go to OUT,
 * which needs room for N + 1, their count to *out_len_r.  Returns how
 * many bytes of IN were used: all of them, or fewer when the end marker
 * (CR LF "." CR LF) was reached, which also sets *done_r.
 */
size_t smtp_data_unstuff(struct smtp_unstuffer *u, const char *in, size_t n, char *out,
			 size_t *out_len_r, int *done_r);

/*
 * smtp_data_stuff - copy N bytes of IN to OUT (room for 2 * N) doubling
 * a dot at the start of a line; a line starts after any LF.  *bol
 * carries the state between calls (1 at the start).  Returns the bytes
 * written.
 */
size_t smtp_data_stuff(const char *in, size_t n, char *out, int *bol);

/*
 * smtp_data_send - queue on OUT the header lines PREFIX (CR LF ended,
 * may be NULL), the LEN bytes of the file FD (read with pread from
 * offset 0) and the end marker, dot-stuffed, and flush.  PREFIX's fields
 * replace the message's own fields of the same names (a sender's forged
 * X-Virus-Status does not pass).  A message not ending in CR LF gets one
 * before the marker.  Returns 0 or -1 (*error_r).
 */
int smtp_data_send(struct stream *out, int fd, size_t len, const char *prefix,
		   const char **error_r);

#endif
