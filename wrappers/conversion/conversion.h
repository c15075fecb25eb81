/*
 * conversion.h - what mxscan-conversion does with one part: scan it
 * with mxscand and write the channel's outputs as the policy says.
 */
#ifndef MX_CONVERSION_H
#define MX_CONVERSION_H

#include "common/client.h"
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
};

/*
 * conversion_run - scan P's INPUT_FILE and write its outputs; R gets the
 * scanner's answer (its endpoint for the log line).
 */
void conversion_run(const struct part *p, struct conversion_outcome *o,
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
