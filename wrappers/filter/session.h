/*
 * session.h - one SMTP session from Postfix: the server side of the
 * filter's protocol, the transaction's relay to the forward server, and
 * the end-of-data decision (scan, policy, delivery, one log line).
 *
 * Design (both filter modes): the forward connection opens at EHLO, so
 * the filter announces only the extensions the forward server has
 * (XFORWARD, SMTPUTF8, DSN, 8BITMIME); MAIL and each RCPT are relayed in
 * step and their replies returned unchanged (a 5xx at RCPT reaches
 * Postfix faithfully), XFORWARD is kept and replayed just before MAIL;
 * DATA is received whole here, scanned, and only then sent on.  The
 * reply to the final "." is the forward server's own reply to its "."
 * (a 4xx, 421, disconnect or time-out becomes a 4xx), or the filter's
 * own 250 / 451 / 550 when the message is not delivered.
 */
#ifndef MX_FILTER_SESSION_H
#define MX_FILTER_SESSION_H

#include <stddef.h>

/* Indexes of the CHOICE words in config_table.h. */
enum session_mode { SESSION_AFTER_QUEUE, SESSION_BEFORE_QUEUE };
enum session_infected { INFECTED_QUARANTINE, INFECTED_DISCARD, INFECTED_STRIP, INFECTED_TAG,
			INFECTED_REJECT };
enum session_failure { FAILURE_TEMPFAIL, FAILURE_PASS };

struct session_settings {
	enum session_mode mode;
	enum session_infected infected;
	enum session_failure failure;
	const char *forward;
	const char *quarantine_dir;
	const char *hostname;
	size_t max_size, memory_max;
	int client_timeout_ms, forward_timeout_ms, message_timeout_ms;
	int add_headers;
};

/* session_configure - settings for every session (before the first). */
void session_configure(const struct session_settings *s);

/* session_run - serve the connected non-blocking socket FD (closed at the end). */
void session_run(int fd, const char *peer, unsigned long id);

#endif
