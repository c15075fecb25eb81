/*
 * action.h - what happens to a message, decided from its scan result.
 *
 * action_decide is the single place where a MIMESCAN result becomes an
 * action.  With a mail policy that needs facts (common/policy.h:
 * banned names or types, signature rules) the reply is a MIMEFACTS one
 * and the policy decides from its part and fact lines: the decisive
 * hit's label is the signature, its action (reject, quarantine,
 * discard, tag; strip, which a milter cannot do, becomes quarantine) is
 * the action, and its reason (label, part, rule, action) goes to the
 * log line and to the text of a rejection that a rule other than the
 * infected action chose.  It knows nothing of libmilter: session.c
 * carries the action out.
 */
#ifndef MX_MILTER_ACTION_H
#define MX_MILTER_ACTION_H

#include "common/client.h"
#include "wrappers/milter/settings.h"

enum action_kind {
	ACTION_ACCEPT,		/* deliver (maybe with headers) */
	ACTION_REJECT,		/* rcode/xcode/text in the SMTP dialogue */
	ACTION_TEMPFAIL,	/* rcode/xcode/text, the client retries */
	ACTION_DISCARD,		/* accept and drop */
	ACTION_QUARANTINE,	/* the MTA's quarantine (Postfix hold), text the reason */
};

#define ACTION_TEXT_MAX 512

struct action {
	enum action_kind kind;
	const char *name;	/* for the log: accept, reject, tempfail, discard,
				 * quarantine, tag, accept-unscanned */
	const char *verdict;	/* for the log: clean, infected, banned, limit, error,
				 * unavailable */
	char sig[256];		/* signature (or the failure reason) as one safe token */
	const char *rcode;	/* "550", "451", "552" for reject and tempfail, else NULL */
	const char *xcode;	/* "5.7.0", ... */
	char text[ACTION_TEXT_MAX];	/* reply text or quarantine reason (printable, no '%') */
	char status[300];	/* X-Virus-Status value to put on the message, "" for none */
	int scanned_header;	/* also put X-Virus-Scanned (milter_add_headers) */
	char policy[1100];	/* the policy's reason for the log, "" when none decided */
};

/*
 * action_decide - the action for a message whose MIMESCAN (MIMEFACTS
 * when S->facts) gave RES (its whole reply in REPLY, NULL when none),
 * under the settings S and their policy.  Never accepts an unscanned
 * message unless S says so (and then marks it); a MIMEFACTS reply that
 * does not parse is a scan error.
 */
void action_decide(const struct settings *s, const struct client_result *res, const char *reply,
		   struct action *a);

/*
 * action_expand - the reply template TEMPLATE with %v replaced by SIG
 * and %% by '%' into DST (SIZE bytes): printable ASCII without '%'
 * (other '%' sequences are dropped), cut to fit.
 */
void action_expand(char *dst, size_t size, const char *template, const char *sig);

#endif
