/*
 * action.h - what happens to a message, decided from its scan result.
 *
 * action_decide is the single place where a MIMESCAN result becomes an
 * action (the policy module of issue 16 plugs in here: it sees the same
 * result and the whole reply, part lines included).  It knows nothing of
 * libmilter: session.c carries the action out.
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
	const char *verdict;	/* for the log: clean, infected, limit, error, unavailable */
	char sig[256];		/* signature (or the failure reason) as one safe token */
	const char *rcode;	/* "550", "451", "552" for reject and tempfail, else NULL */
	const char *xcode;	/* "5.7.0", ... */
	char text[ACTION_TEXT_MAX];	/* reply text or quarantine reason (printable, no '%') */
	char status[300];	/* X-Virus-Status value to put on the message, "" for none */
	int scanned_header;	/* also put X-Virus-Scanned (milter_add_headers) */
};

/*
 * action_decide - the action for a message whose MIMESCAN gave RES (its
 * whole reply in REPLY, NULL when none), under the settings S.  Never
 * accepts an unscanned message unless S says so (and then marks it).
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
