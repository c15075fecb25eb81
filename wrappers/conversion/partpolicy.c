/*
 * partpolicy.c - the policy's decision on one part (see partpolicy.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "wrappers/conversion/names.h"
#include "wrappers/conversion/partpolicy.h"

/* The longest PARTFACTS reply read: 1000 archive members of long names. */
#define PARTPOLICY_REPLY_MAX (1024 * 1024)

/* The path mxscand gives the part in a PARTFACTS reply. */
#define PARTPOLICY_PATH "1"

struct policy *partpolicy_load(enum policy_action infected, const char **error_r)
{
	struct policy_settings s;

	*error_r = NULL;
	if (*config_str(CONF_BANNED_NAMES) == '\0' && *config_str(CONF_BANNED_TYPES) == '\0' &&
	    *config_str(CONF_SIGNATURE_RULES) == '\0')
		return NULL;
	policy_settings_from_config(&s, infected);
	return policy_new(&s, error_r);
}

/* partpolicy_decide - the reply's facts, the verdict's signature and the names, judged. */
static int partpolicy_decide(const struct policy *pol, const char *reply,
			     const struct client_result *r, struct policy_decision *d,
			     const char **error_r)
{
	struct mimescan_part *part = xmalloc(sizeof(*part));
	struct mimescan_fact *fact = xmalloc(sizeof(*fact));
	size_t pos = 0, len = strlen(reply) + 1;
	struct names ns;
	int ret, i;

	while ((ret = mimescan_next_line(reply, len, '\0', 0, &pos, part, fact, error_r)) > 0) {
		if (ret == 1)
			policy_add_part(pol, d, part);
		else
			policy_add_fact(pol, d, fact);
	}
	free(part);
	free(fact);
	if (ret < 0)
		return -1;
	/* The verdict line has the first signature; SIG facts the others. */
	if (r->status == CLIENT_INFECTED)
		policy_add_signature(pol, d, PARTPOLICY_PATH, r->detail);
	names_collect(&ns);
	for (i = 0; i < ns.n; i++)
		policy_add_name(pol, d, PARTPOLICY_PATH, ns.v[i], 0);
	names_free(&ns);
	policy_finish(d);
	return 0;
}

enum client_status partpolicy_scan(const struct policy *pol, const struct client_options *opts,
				   int fd, struct partpolicy_outcome *out, struct client_result *r)
{
	char *reply = xmalloc(PARTPOLICY_REPLY_MAX);
	struct policy_decision d;
	const char *err = NULL;
	enum client_status st;

	memset(out, 0, sizeof(*out));
	out->action = POLICY_PASS;
	*reply = '\0';
	st = client_scan_part_facts(opts, fd, reply, PARTPOLICY_REPLY_MAX, r);
	if (st != CLIENT_CLEAN && st != CLIENT_INFECTED) {
		free(reply);
		return st;
	}
	policy_decision_init(&d);
	if (partpolicy_decide(pol, reply, r, &d, &err) < 0) {
		log_error("the scanner's PARTFACTS reply does not parse: %s", err);
		snprintf(r->detail, sizeof(r->detail), "unreadable PARTFACTS reply");
		r->status = st = CLIENT_TEMPFAIL;
	} else {
		out->action = d.action;
		snprintf(out->reason, sizeof(out->reason), "%s", d.reason);
		if (d.decisive >= 0) {
			const struct policy_hit *h = &d.hits[d.decisive];

			snprintf(out->label, sizeof(out->label), "%s", h->label);
			/* (policy.c's rule for a signature no rule names) */
			if (strcmp(h->rule, "the infected action") != 0)
				snprintf(out->rule, sizeof(out->rule), "%s", h->rule);
		}
	}
	policy_decision_free(&d);
	free(reply);
	return st;
}
