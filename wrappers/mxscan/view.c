/*
 * view.c - the policy view of one message (see view.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/policy.h"
#include "common/xalloc.h"
#include "wrappers/mxscan/view.h"

#define VIEW_REPLY_MAX (1 << 20)

/* filter_infected_action's words as policy actions (the word order). */
static const enum policy_action view_infected[] = {
	POLICY_QUARANTINE, POLICY_DISCARD, POLICY_STRIP, POLICY_TAG, POLICY_REJECT,
};

int view_message(const struct client_options *opts, int fd, const char *file)
{
	struct policy_settings ps;
	struct policy_decision d;
	struct client_result r;
	struct policy *p;
	const char *err = NULL;
	char *reply, *line, *nl;
	int i, ret;

	policy_settings_from_config(&ps, view_infected[config_filter_infected_action()]);
	if ((p = policy_new(&ps, &err)) == NULL) {
		printf("%s: %s ERROR\n", file, err);
		return 2;
	}
	reply = xmalloc(VIEW_REPLY_MAX);
	reply[0] = '\0';
	client_scan_facts(opts, fd, reply, VIEW_REPLY_MAX, &r);
	if (r.status == CLIENT_TEMPFAIL || r.status == CLIENT_SCAN_ERROR ||
	    r.status == CLIENT_LIMIT) {
		printf("%s: %s ERROR\n", file, r.detail);
		free(reply);
		policy_free(&p);
		return 2;
	}
	/* The parts as mxscand reports them: part and fact lines. */
	for (line = reply; (nl = strchr(line, '\n')) != NULL; line = nl + 1)
		printf("%s: %.*s\n", file, (int)(nl - line), line);
	policy_decision_init(&d);
	if (policy_decide_reply(p, reply, strlen(reply) + 1, '\0', 0, &d, &err) < 0) {
		printf("%s: the scanner's reply does not parse: %s ERROR\n", file, err);
		ret = 2;
	} else {
		for (i = 0; i < d.nhits; i++)
			printf("%s: hit %s %s %s (%s: %s)%s\n", file, d.hits[i].path,
			       policy_category_word(d.hits[i].category), d.hits[i].label,
			       d.hits[i].rule, policy_action_word(d.hits[i].action),
			       i == d.decisive ? " decides" : "");
		printf("%s: policy %s: %s\n", file, policy_action_word(d.action), d.reason);
		ret = d.action == POLICY_PASS || d.action == POLICY_TAG ? 0 : 1;
	}
	policy_decision_free(&d);
	free(reply);
	policy_free(&p);
	return ret;
}
