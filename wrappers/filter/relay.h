/*
 * relay.h - the SMTP client side: one connection to the forward server
 * (Postfix's reinjection smtpd), its EHLO extensions, commands and
 * replies.
 *
 * A reply is kept whole (every line, at most RELAY_REPLY_MAX bytes) so
 * the session can hand it to its own client unchanged.  A connection,
 * time-out or protocol failure is reported as code 0 with a reason in
 * the text; the connection is then closed, as it is after a 421.
 */
#ifndef MX_FILTER_RELAY_H
#define MX_FILTER_RELAY_H

#include <stddef.h>

#include "wrappers/filter/body.h"
#include "wrappers/filter/stream.h"

#define RELAY_LINE_MAX 1024	/* one reply line (512 plus slack) */
#define RELAY_REPLY_MAX 4096	/* a whole multi-line reply */

struct relay_reply {
	int code;		/* 0: no reply (the text says why) */
	char text[RELAY_REPLY_MAX];	/* lines joined with CR LF, no final CR LF */
};

/* Extensions the forward server announced. */
enum relay_ext {
	RELAY_EXT_PIPELINING = 1,
	RELAY_EXT_8BITMIME = 2,
	RELAY_EXT_SMTPUTF8 = 4,
	RELAY_EXT_DSN = 8,
	RELAY_EXT_XFORWARD = 16,
	RELAY_EXT_SIZE = 32,
	RELAY_EXT_ENHANCED = 64,
};

struct relay {
	int fd;			/* -1 when not connected */
	int ext;		/* RELAY_EXT_* bits */
	char xforward_attrs[256];	/* the words after XFORWARD */
	struct stream s;
};

/* relay_init - a closed relay. */
void relay_init(struct relay *r);

/*
 * relay_open - connect to ENDPOINT ("host:port", "tcp:host:port" or
 * "unix:/path"), read the greeting and send EHLO HELO_NAME (HELO when
 * EHLO is refused).  TIMEOUT_MS bounds each step, DEADLINE (0: none) the
 * whole.  Returns 0, or -1 with REP describing the failure (the server's
 * own reply when it gave one).
 */
int relay_open(struct relay *r, const char *endpoint, const char *helo_name, int timeout_ms,
	       long long deadline, struct relay_reply *rep);

/* relay_command - send LINE (without CR LF) and read the reply; -1 when none came. */
int relay_command(struct relay *r, const char *line, struct relay_reply *rep);

/*
 * relay_data - DATA, then (on 354) PREFIX and the body, then the reply to
 * the end marker in REP.  Returns 0 when REP holds the server's reply to
 * DATA or to the end marker, -1 when the connection failed.
 */
int relay_data(struct relay *r, const struct body *b, const char *prefix,
	       struct relay_reply *rep);

/*
 * relay_abandon - end the forward transaction without delivering (RSET);
 * a connection that does not answer 250 is closed.
 */
void relay_abandon(struct relay *r);

/*
 * relay_reply_text - the reply to give our own client for REP: the same
 * text, except that a 421 becomes 451 (our session goes on) and no reply
 * at all becomes "451 4.4.2".
 */
void relay_reply_text(const struct relay_reply *rep, char *out, size_t size);

/* relay_set_deadline - an absolute cap for the coming steps (0: none). */
void relay_set_deadline(struct relay *r, long long deadline);

/* relay_quit - QUIT (best effort) and close; relay_close closes at once. */
void relay_quit(struct relay *r);
void relay_close(struct relay *r);

/* relay_connected - whether a connection is open. */
int relay_connected(const struct relay *r);

#endif
