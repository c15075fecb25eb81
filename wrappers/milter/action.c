/*
 * action.c - a scan result becomes an action (see action.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <string.h>

#include "common/policy.h"
#include "common/proto.h"
#include "wrappers/milter/action.h"

/* action_text - SRC as printable ASCII without '%'. */
static void action_text(char *dst, size_t size, const char *src)
{
	size_t i;

	snprintf(dst, size, "%s", src);
	for (i = 0; dst[i] != '\0'; i++)
		if (dst[i] < 0x20 || dst[i] > 0x7e || dst[i] == '%')
			dst[i] = '?';
}

void action_expand(char *dst, size_t size, const char *template, const char *sig)
{
	size_t n = 0;
	const char *p;

	if (size == 0)
		return;
	for (p = template; *p != '\0' && n + 1 < size; p++) {
		if (*p != '%') {
			dst[n++] = (*p < 0x20 || *p > 0x7e) ? '?' : *p;
			continue;
		}
		if (p[1] == 'v') {
			size_t len = strlen(sig);

			if (len > size - 1 - n)
				len = size - 1 - n;
			memcpy(dst + n, sig, len);
			n += len;
			p++;
		} else if (p[1] != '\0') {
			p++;	/* "%%" and unknown "%x" are dropped... */
		}
		/* ...and so is a lone trailing '%' */
	}
	dst[n] = '\0';
	/* a signature is a safe token already; nothing else may bring '%' */
	for (n = 0; dst[n] != '\0'; n++)
		if (dst[n] == '%')
			dst[n] = '?';
}

/* action_set - kind, its log name and the reply codes. */
static void action_set(struct action *a, enum action_kind kind, const char *name,
		       const char *rcode, const char *xcode)
{
	a->kind = kind;
	a->name = name;
	a->rcode = rcode;
	a->xcode = xcode;
}

/* action_infected - milter_infected_action. */
static void action_infected(const struct settings *s, struct action *a)
{
	a->verdict = "infected";
	snprintf(a->status, sizeof(a->status), "Infected (%s)", a->sig);
	switch (s->infected) {
	case CONF_MILTER_INFECTED_ACTION_REJECT:
		action_set(a, ACTION_REJECT, "reject", "550", "5.7.0");
		action_expand(a->text, sizeof(a->text), s->reject_reply, a->sig);
		a->status[0] = '\0';
		return;
	case CONF_MILTER_INFECTED_ACTION_QUARANTINE:
		action_set(a, ACTION_QUARANTINE, "quarantine", NULL, NULL);
		snprintf(a->text, sizeof(a->text), "virus found (%s)", a->sig);
		return;
	case CONF_MILTER_INFECTED_ACTION_DISCARD:
		action_set(a, ACTION_DISCARD, "discard", NULL, NULL);
		a->status[0] = '\0';
		return;
	case CONF_MILTER_INFECTED_ACTION_TAG:
		action_set(a, ACTION_ACCEPT, "tag", NULL, NULL);
		return;
	}
}

/* action_limit - milter_limit_action (REASON: the scanner's words). */
static void action_limit(const struct settings *s, const char *reason, struct action *a)
{
	a->verdict = "limit";
	snprintf(a->status, sizeof(a->status), "Unscanned (%s)", reason);
	switch (s->limit) {
	case CONF_MILTER_LIMIT_ACTION_QUARANTINE:
		action_set(a, ACTION_QUARANTINE, "quarantine", NULL, NULL);
		snprintf(a->text, sizeof(a->text), "not scanned (%s)", reason);
		return;
	case CONF_MILTER_LIMIT_ACTION_TEMPFAIL:
		action_set(a, ACTION_TEMPFAIL, "tempfail", "451", "4.3.0");
		snprintf(a->text, sizeof(a->text), "message not scanned, try again later");
		a->status[0] = '\0';
		return;
	case CONF_MILTER_LIMIT_ACTION_REJECT:
		action_set(a, ACTION_REJECT, "reject", "552", "5.3.4");
		snprintf(a->text, sizeof(a->text), "message too large or too complex to scan");
		a->status[0] = '\0';
		return;
	case CONF_MILTER_LIMIT_ACTION_ACCEPT:
		action_set(a, ACTION_ACCEPT, "accept-unscanned", NULL, NULL);
		return;
	}
}

/* action_failure - milter_failure_action (REASON: why there is no verdict). */
static void action_failure(const struct settings *s, const char *reason, struct action *a)
{
	if (s->failure == CONF_MILTER_FAILURE_ACTION_ACCEPT) {
		action_set(a, ACTION_ACCEPT, "accept-unscanned", NULL, NULL);
		snprintf(a->status, sizeof(a->status), "Unscanned (%s)", reason);
		return;
	}
	action_set(a, ACTION_TEMPFAIL, "tempfail", "451", "4.3.0");
	snprintf(a->text, sizeof(a->text), "virus scanner unavailable, try again later");
}

/* action_reason - PREFIX and the policy's REASON as a reply text. */
static void action_reason(char *dst, size_t size, const char *prefix, const char *reason)
{
	char buf[ACTION_TEXT_MAX];

	snprintf(buf, sizeof(buf), "%s%s", prefix, reason);
	action_text(dst, size, buf);
}

/*
 * action_policy - the policy's decision on the MIMEFACTS reply REPLY
 * (the scan itself came out clean or infected).  Returns 0, or -1 when
 * the reply does not parse.
 */
static int action_policy(const struct settings *s, const char *reply, struct action *a)
{
	struct policy_decision d;
	const struct policy_hit *h;
	const char *err = NULL;

	policy_decision_init(&d);
	if (reply == NULL ||
	    policy_decide_reply(s->policy, reply, strlen(reply) + 1, '\0', 0, &d, &err) < 0) {
		policy_decision_free(&d);
		return -1;
	}
	if (d.nhits > 0)	/* "nothing found" is no news */
		action_text(a->policy, sizeof(a->policy), d.reason);
	if (d.action == POLICY_PASS) {
		a->sig[0] = '\0';
		a->verdict = "clean";
		action_set(a, ACTION_ACCEPT, "accept", NULL, NULL);
		if (s->add_headers)
			snprintf(a->status, sizeof(a->status), "Clean");
		policy_decision_free(&d);
		return 0;
	}
	h = &d.hits[d.decisive];
	proto_sig_token(a->sig, sizeof(a->sig), *h->label ? h->label : "unknown");
	a->verdict = h->category == POLICY_MALWARE || h->category == POLICY_HEURISTIC ?
		     "infected" : "banned";
	snprintf(a->status, sizeof(a->status), "Infected (%s)", a->sig);
	switch (d.action) {
	case POLICY_REJECT:
		action_set(a, ACTION_REJECT, "reject", "550", "5.7.0");
		if (strcmp(a->verdict, "infected") == 0 && strcmp(h->rule, "the infected action") == 0)
			action_expand(a->text, sizeof(a->text), s->reject_reply, a->sig);
		else
			action_reason(a->text, sizeof(a->text), "message refused: ", d.reason);
		a->status[0] = '\0';
		break;
	case POLICY_STRIP:	/* a milter cannot take a part out */
	case POLICY_QUARANTINE:
		action_set(a, ACTION_QUARANTINE, "quarantine", NULL, NULL);
		action_reason(a->text, sizeof(a->text), "policy: ", d.reason);
		break;
	case POLICY_DISCARD:
		action_set(a, ACTION_DISCARD, "discard", NULL, NULL);
		a->status[0] = '\0';
		break;
	case POLICY_TAG:
	default:
		action_set(a, ACTION_ACCEPT, "tag", NULL, NULL);
		break;
	}
	policy_decision_free(&d);
	return 0;
}

void action_decide(const struct settings *s, const struct client_result *res, const char *reply,
		   struct action *a)
{
	char reason[200];

	memset(a, 0, sizeof(*a));
	proto_sig_token(a->sig, sizeof(a->sig), *res->detail ? res->detail : "unknown");
	action_text(reason, sizeof(reason), res->detail[0] != '\0' ? res->detail : "unknown");
	if (s->policy != NULL && s->facts &&
	    (res->status == CLIENT_CLEAN || res->status == CLIENT_INFECTED)) {
		if (action_policy(s, reply, a) == 0) {
			a->scanned_header = s->add_headers;
			return;
		}
		memset(a, 0, sizeof(*a));
		snprintf(a->sig, sizeof(a->sig), "Unreadable_reply");
		a->verdict = "error";
		action_failure(s, "the scanner's reply does not parse", a);
		a->scanned_header = s->add_headers;
		return;
	}
	switch (res->status) {
	case CLIENT_CLEAN:
		a->sig[0] = '\0';
		a->verdict = "clean";
		action_set(a, ACTION_ACCEPT, "accept", NULL, NULL);
		if (s->add_headers)
			snprintf(a->status, sizeof(a->status), "Clean");
		break;
	case CLIENT_INFECTED:
		action_infected(s, a);
		break;
	case CLIENT_LIMIT:
		action_limit(s, reason, a);
		break;
	case CLIENT_SCAN_ERROR:
		a->verdict = "error";
		action_failure(s, reason, a);
		break;
	case CLIENT_TEMPFAIL:
		a->verdict = "unavailable";
		action_failure(s, reason, a);
		break;
	}
	a->scanned_header = s->add_headers;
}
