/*
 * disposition.h - what happens to a message once DATA is in: scan it, apply
 * filter_infected_action / filter_failure_action, deliver it through the
 * forward transaction the session opened (or abandon that transaction),
 * and write the message's one log line.
 *
 * The session (the SMTP engine) hands over the transaction and gets back
 * the reply for its client; disposition never talks to the client.
 */
#ifndef MX_FILTER_DISPOSITION_H
#define MX_FILTER_DISPOSITION_H

#include <stddef.h>

#include "common/smtp_client.h"
#include "wrappers/filter/body.h"

/* One transaction at the end of its DATA. */
struct disposition_txn {
	unsigned long session_id;
	const char *client;	/* XFORWARD ADDR, else the connection's peer */
	const char *xf_ident;	/* XFORWARD IDENT, or "" */
	const char *mail_args;	/* "<sender> PARAMS" as received */
	char **rcpt;		/* accepted RCPT arguments */
	int nrcpt;
	struct body *body;	/* the message (may be rewritten by strip) */
	struct smtp_client *relay;	/* forward connection, MAIL and RCPT accepted */
	long long start;	/* end of DATA (sock_now_ms clock) */
};

/*
 * disposition_end_of_data - scan, decide, deliver or abandon; REPLY (SIZE
 * bytes) gets the reply for the client (lines joined with CR LF).
 */
void disposition_end_of_data(struct disposition_txn *t, char *reply, size_t size);

/*
 * disposition_log_refused - the log line of a message refused before any scan
 * (ACTION: "too-big", "tempfail") with the REPLY given.
 */
void disposition_log_refused(const struct disposition_txn *t, const char *action, const char *reply);

#endif
