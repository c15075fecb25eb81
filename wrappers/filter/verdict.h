/*
 * verdict.h - what the scanner says about one message: a MIMESCAN
 * through scanner_endpoints (common/client.h, failover within one
 * deadline) and, for filter_infected_action = strip, the loop that
 * replaces each infected part and scans the result again until it is
 * clean (mxscand names only the first infected part of a message); with
 * a mail policy, the same loop on the policy's decision, so a banned
 * part is stripped too.
 */
#ifndef MX_FILTER_VERDICT_H
#define MX_FILTER_VERDICT_H

#include "common/client.h"
#include "common/policy.h"
#include "wrappers/filter/body.h"

/* At most this many parts are stripped from one message. */
#define VERDICT_STRIP_MAX 16

struct verdict {
	enum client_status status;	/* of the first scan */
	char sig[256];		/* signature, or the failure reason as one token
				 * (proto_sig_token) */
	char reason[256];	/* the same as text (printable ASCII, spaces kept)
				 * for header fields and SMTP replies */
	char endpoint[256];	/* the scanner that answered */
	long long ms;		/* scanning time, all rounds */
	int stripped;		/* parts replaced (strip) */
	int strip_failed;	/* strip was asked for but the result is not clean */
	char strip_error[256];
	char tag[256];		/* after a policy strip: the label the policy
				 * still tags (proto_sig_token), or "" */
	char *reply;		/* the last MIMESCAN reply (part lines, verdict) */
};

/* verdict_scan - scan B before DEADLINE, with MIMEFACTS when FACTS (free
 * V with verdict_free). */
void verdict_scan(struct body *b, long long deadline, int facts, struct verdict *v);

/*
 * verdict_strip - after verdict_scan found B infected: replace the
 * infected parts in B by notices naming HOSTNAME, scanning again after
 * each, until B is clean.  v->strip_failed says it could not be made
 * clean; B may then be partly rewritten (the caller keeps the original).
 */
void verdict_strip(struct body *b, long long deadline, const char *hostname, struct verdict *v);

/*
 * verdict_strip_policy - verdict_strip for a message read with MIMEFACTS
 * and decided by the mail policy POL: while POL's decision is strip, the
 * part of its decisive hit (a part with a banned name or type, an archive
 * with a banned member, a signature whose action is strip) is replaced by
 * a notice naming the hit's label, and B is read with MIMEFACTS again.
 * It ends clean when POL passes what remains or only tags it (v->tag);
 * any other decision, a hit that is no part of its own (the raw reading,
 * a lenient segment) or a failed scan sets v->strip_failed.
 */
void verdict_strip_policy(struct body *b, long long deadline, const char *hostname,
			  const struct policy *pol, struct verdict *v);

/* verdict_free - release the reply kept in V. */
void verdict_free(struct verdict *v);

#endif
