/*
 * action.c - a scan result becomes an action (see action.h).
 */
#include "auto-config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "wrappers/milter/action.h"

/* action_token - a scanner-supplied name with only safe bytes, spaces as '_'. */
static void action_token(char *dst, size_t size, const char *src)
{
	size_t i;

	snprintf(dst, size, "%s", src[0] != '\0' ? src : "unknown");
	for (i = 0; dst[i] != '\0'; i++)
		if (dst[i] == ' ')
			dst[i] = '_';
		else if (!isalnum((unsigned char)dst[i]) && strchr("._-:/+=@", dst[i]) == NULL)
			dst[i] = '?';
}

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

void action_decide(const struct settings *s, const struct client_result *res, const char *reply,
		   struct action *a)
{
	char reason[200];

	(void)reply;	/* for the policy module: the part lines */
	memset(a, 0, sizeof(*a));
	action_token(a->sig, sizeof(a->sig), res->detail);
	action_text(reason, sizeof(reason), res->detail[0] != '\0' ? res->detail : "unknown");
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
