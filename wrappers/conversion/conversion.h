/*
 * conversion.h - what mxscan-conversion does with one part: scan it
 * with mxscand and write the channel's outputs as the policy says.
 */
#ifndef MX_CONVERSION_H
#define MX_CONVERSION_H

#include "common/client.h"
#include "common/policy.h"
#include "wrappers/conversion/part.h"

/* Room for an action "STATUS=<status>(<what>)". */
#define CONVERSION_ACTION_MAX 64

/* What happened to the part, for the log line. */
struct conversion_outcome {
	const char *verdict;	/* OK, FOUND, ERROR */
	char sig[256];		/* signature or failure reason, sanitised */
	const char *action;	/* copied, substituted, STATUS=..., ... */
	char status_action[CONVERSION_ACTION_MAX]; /* what action points at for a STATUS */
	int written;		/* the channel got its outputs */
	char rule[320];		/* the policy rule that removed the part, or "" */
	char policy[1024];	/* the policy's reason for the log, "" without a policy */
};

/*
 * conversion_infected_policy - what conversion_infected_action stands
 * for in the policy: substitute and delete are strip, bounce reject, hold
 * quarantine, discard discard.
 */
enum policy_action conversion_infected_policy(void);

/*
 * conversion_run - scan P's INPUT_FILE and write its outputs; R gets the
 * scanner's answer (its endpoint for the log line).  With a policy POL
 * (partpolicy.h; NULL for none) the part is judged by it, and its action
 * is done with the channel's: pass copies the part, tag copies it with a
 * Content-Description naming the hit, strip removes it as
 * conversion_infected_action removes an infected part (deleted with
 * delete, else replaced by a notice naming the reason and the rule),
 * quarantine holds the message, discard discards it, reject bounces it.
 */
void conversion_run(const struct part *p, const struct policy *pol, struct conversion_outcome *o,
		    struct client_result *r);

/*
 * conversion_failure - P could not be scanned (O->sig says why): apply
 * conversion_failure_action.  FD is the open INPUT_FILE, or -1.
 */
void conversion_failure(const struct part *p, int fd, struct conversion_outcome *o);

/*
 * conversion_status - write "STATUS=N" plus EXTRA lines to OUTPUT_OPTIONS;
 * O's action becomes "STATUS=N(WHAT)" whether or not that succeeds.
 * Returns 0, or -1 (logged) when nothing could be written.
 */
int conversion_status(const struct part *p, long status, const char *what, const char *extra,
		      struct conversion_outcome *o);

#endif
