/*
 * report.c - the per-message log line (see report.h).
 */
#include "auto-config.h"

#include <string.h>

#include "common/log.h"
#include "wrappers/milter/report.h"

/* report_safe - SRC (NULL: DEF) sanitised into DST. */
static const char *report_safe(char *dst, size_t size, const char *src, const char *def)
{
	if (src == NULL || *src == '\0')
		src = def;
	return log_sanitize(dst, size, src, strlen(src));
}

void report_message(const struct report *r)
{
	char qid[64], client[LOG_SAFE_MAX], sender[LOG_SAFE_MAX], sig[LOG_SAFE_MAX];
	char endpoint[LOG_SAFE_MAX], note[LOG_SAFE_MAX], policy[1100];
	const struct client_result *res = r->res;

	report_safe(qid, sizeof(qid), r->queue_id, "NOQUEUE");
	report_safe(client, sizeof(client), r->client, "unknown");
	report_safe(sender, sizeof(sender), r->sender, "");
	report_safe(sig, sizeof(sig), r->signature, "-");
	report_safe(endpoint, sizeof(endpoint), res != NULL ? res->endpoint : NULL, "-");
	report_safe(note, sizeof(note), r->note, "");
	report_safe(policy, sizeof(policy), r->policy, "");
	log_info("%s: client=%s, from=<%s>, rcpts=%d, size=%zu, verdict=%s, signature=%s, "
		 "endpoint=%s, ms=%lld, action=%s%s%s%s%s%s", qid, client, sender, r->rcpts,
		 r->size, r->verdict, sig, endpoint, res != NULL ? res->ms : 0LL, r->action,
		 r->note != NULL ? ", note=" : "", note,
		 r->policy != NULL && *r->policy != '\0' ? ", policy=\"" : "", policy,
		 r->policy != NULL && *r->policy != '\0' ? "\"" : "");
}
