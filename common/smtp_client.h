/*
 * smtp_client.h - an SMTP client connection: greeting, EHLO extensions,
 * commands and their (multi-line) replies, DATA from a stored message,
 * RSET and QUIT.  mxscan-filter relays through it to its forward server,
 * mxscan-quarantine re-injects released mail with it.
 *
 * A reply is kept whole (every line, at most SMTP_REPLY_MAX bytes) so a
 * proxy can hand it to its own client unchanged.  A connection, time-out
 * or protocol failure is reported as code 0 with a reason in the text;
 * the connection is then closed, as it is after a 421.
 */
#ifndef MX_SMTP_CLIENT_H
#define MX_SMTP_CLIENT_H

#include <stddef.h>

#include "common/stream.h"

#define SMTP_REPLY_LINE_MAX 1023	/* one reply line with its CR LF (512 plus slack) */
#define SMTP_REPLY_MAX 4096	/* a whole multi-line reply */
#define SMTP_REPLY_LINES_MAX 100	/* lines of one reply */

struct smtp_reply {
	int code;		/* 0: no reply (the text says why) */
	char text[SMTP_REPLY_MAX];	/* lines joined with CR LF, no final CR LF */
};

/* Extensions the server announced. */
enum smtp_ext {
	SMTP_EXT_PIPELINING = 1,
	SMTP_EXT_8BITMIME = 2,
	SMTP_EXT_SMTPUTF8 = 4,
	SMTP_EXT_DSN = 8,
	SMTP_EXT_XFORWARD = 16,
	SMTP_EXT_SIZE = 32,
	SMTP_EXT_ENHANCED = 64,
};

struct smtp_client {
	int fd;			/* -1 when not connected */
	int ext;		/* SMTP_EXT_* bits */
	char xforward_attrs[256];	/* the words after XFORWARD */
	struct stream s;
};

/*
 * smtp_reply_read - one whole reply from IN: lines "ddd-..." up to one
 * "ddd ..." (or bare "ddd"), every line with the same code, at most
 * SMTP_REPLY_LINES_MAX lines of SMTP_REPLY_LINE_MAX bytes, code 200-599.
 * Returns 0, or -1 with *error_r (REP's code is then 0).
 */
int smtp_reply_read(struct stream *in, struct smtp_reply *rep, const char **error_r);

/*
 * smtp_reply_ehlo - the SMTP_EXT_* bits of an EHLO reply's TEXT; the
 * XFORWARD attribute names go to ATTRS (SIZE bytes) separated by spaces.
 */
int smtp_reply_ehlo(const char *text, char *attrs, size_t size);

/*
 * smtp_reply_relayed - the reply a proxy gives its own client for REP:
 * the same text, except that a 421 becomes 451 (the proxy's session
 * goes on) and no reply at all becomes "451 4.4.2".
 */
void smtp_reply_relayed(const struct smtp_reply *rep, char *out, size_t size);

/* smtp_client_init - a closed client. */
void smtp_client_init(struct smtp_client *c);

/*
 * smtp_client_open - connect to ENDPOINT ("host:port", "tcp:host:port" or
 * "unix:/path"), read the greeting and send EHLO HELO_NAME (HELO when
 * EHLO is refused).  TIMEOUT_MS bounds each step, DEADLINE (0: none) the
 * whole.  Returns 0, or -1 with REP describing the failure (the server's
 * own reply when it gave one).
 */
int smtp_client_open(struct smtp_client *c, const char *endpoint, const char *helo_name,
		     int timeout_ms, long long deadline, struct smtp_reply *rep);

/* smtp_client_command - send LINE (without CR LF) and read the reply; -1 when none came. */
int smtp_client_command(struct smtp_client *c, const char *line, struct smtp_reply *rep);

/*
 * smtp_client_data - DATA, then (on 354) PREFIX and the LEN-byte message
 * in FD as smtp_data_send does, then the reply to the end marker in REP.
 * Returns 0 when REP holds the server's reply to DATA or to the end
 * marker, -1 when the connection failed.
 */
int smtp_client_data(struct smtp_client *c, int fd, size_t len, const char *prefix,
		     struct smtp_reply *rep);

/*
 * smtp_client_abandon - end the transaction without delivering (RSET);
 * a connection that does not answer 250 is closed.
 */
void smtp_client_abandon(struct smtp_client *c);

/* smtp_client_set_deadline - an absolute cap for the coming steps (0: none). */
void smtp_client_set_deadline(struct smtp_client *c, long long deadline);

/* smtp_client_quit - QUIT (best effort) and close; smtp_client_close closes at once. */
void smtp_client_quit(struct smtp_client *c);
void smtp_client_close(struct smtp_client *c);

/* smtp_client_connected - whether a connection is open. */
int smtp_client_connected(const struct smtp_client *c);

#endif
