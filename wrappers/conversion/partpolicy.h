/*
 * partpolicy.h - the mail policy (common/policy.h) for the one part the
 * channel hands us.
 *
 * Only when one of banned_names, banned_types or signature_rules is set:
 * without them mxscan-conversion does no policy work at all (nothing
 * compiled, FILDES as before).  With a policy, the part goes to mxscand
 * as PARTFACTS, whose reply adds to INSTREAM's verdict the part's true
 * type, its archive members and every further signature (fact lines,
 * common/mimescan.h); its names come from the channel (names.h).  The
 * policy judges all of it, as it judges one part of a whole message for
 * mxscan-filter, and says what the part gets; conversion.c maps that on
 * the channel's actions.
 */
#ifndef MX_PARTPOLICY_H
#define MX_PARTPOLICY_H

#include "common/client.h"
#include "common/mimescan.h"
#include "common/policy.h"

/* The decision on the part. */
struct partpolicy_outcome {
	enum policy_action action;	/* POLICY_PASS: deliver it unchanged */
	char label[MIMESCAN_DETAIL_MAX];	/* the deciding hit: signature or Banned.* */
	char rule[320];		/* its rule; "" for a signature under the infected action */
	char reason[1024];	/* the decision's reason line (printable ASCII) */
};

/*
 * partpolicy_load - the policy of the loaded configuration, with
 * INFECTED as what conversion_infected_action stands for.  Returns NULL
 * with *error_r NULL when no policy setting is set (nothing is compiled
 * then), NULL with *error_r for a setting that does not compile.
 */
struct policy *partpolicy_load(enum policy_action infected, const char **error_r);

/*
 * partpolicy_scan - the part (the open INPUT_FILE FD, its names from the
 * environment) through PARTFACTS and policy POL.  Returns the scanner's
 * status, also in R as client_scan_fd leaves it; for CLIENT_CLEAN and
 * CLIENT_INFECTED, *OUT holds the decision.  A reply that does not parse
 * is CLIENT_TEMPFAIL.
 */
enum client_status partpolicy_scan(const struct policy *pol, const struct client_options *opts,
				   int fd, struct partpolicy_outcome *out, struct client_result *r);

#endif
