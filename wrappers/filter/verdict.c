/*
 * verdict.c - MIMESCAN of a message, and the strip loop (see verdict.h).
 */
#include "auto-config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mimescan.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "wrappers/filter/strip.h"
#include "wrappers/filter/verdict.h"

#define VERDICT_REPLY_MAX (1 << 20)

void verdict_printable(char *dst, size_t size, const char *src)
{
	size_t i;

	snprintf(dst, size, "%s", src);
	for (i = 0; dst[i] != '\0'; i++)
		if (dst[i] == ' ')
			dst[i] = '_';
		else if (!isalnum((unsigned char)dst[i]) && strchr("._-:/+=@", dst[i]) == NULL)
			dst[i] = '?';
}

/* verdict_text - SRC as one line of printable ASCII. */
static void verdict_text(char *dst, size_t size, const char *src)
{
	size_t i;

	snprintf(dst, size, "%s", src);
	for (i = 0; dst[i] != '\0'; i++)
		if (dst[i] < 0x20 || dst[i] > 0x7e)
			dst[i] = '?';
}

/* verdict_once - one MIMESCAN; the reply stays in REPLY. */
static enum client_status verdict_once(struct body *b, long long deadline, int facts,
				       char *reply, struct client_result *res)
{
	struct client_options opts;
	long long left = deadline - sock_now_ms();

	client_options_from_config(&opts);
	if (left < opts.timeout_ms)
		opts.timeout_ms = left > 0 ? (int)left : 1;
	if (b->fd < 0) {
		memset(res, 0, sizeof(*res));
		snprintf(res->detail, sizeof(res->detail), "no message");
		return res->status = CLIENT_TEMPFAIL;
	}
	if (facts)
		return client_scan_facts(&opts, b->fd, reply, VERDICT_REPLY_MAX, res);
	return client_scan_mime(&opts, b->fd, reply, VERDICT_REPLY_MAX, res);
}

/*
 * verdict_found_part - the first FOUND part line of the MIMESCAN reply
 * REPLY (as client_scan_mime left it) into *P.  Returns 0, or -1 with
 * *error_r: no part line names a finding, or a line is no part line.
 */
static int verdict_found_part(const char *reply, struct mimescan_part *p, const char **error_r)
{
	size_t len = strlen(reply) + 1, pos = 0;
	int r;

	while ((r = mimescan_next_part(reply, len, '\0', 0, &pos, p, error_r)) > 0)
		if (p->verdict == PROTO_VERDICT_INFECTED)
			return 0;
	if (r == 0)
		*error_r = "no part named in the reply";
	return -1;
}

void verdict_scan(struct body *b, long long deadline, int facts, struct verdict *v)
{
	struct client_result res;

	memset(v, 0, sizeof(*v));
	v->reply = xmalloc(VERDICT_REPLY_MAX);
	v->reply[0] = '\0';
	v->status = verdict_once(b, deadline, facts, v->reply, &res);
	v->ms = res.ms;
	snprintf(v->endpoint, sizeof(v->endpoint), "%s", res.endpoint);
	verdict_printable(v->sig, sizeof(v->sig), res.detail);
	verdict_text(v->reason, sizeof(v->reason), res.detail);
}

void verdict_strip(struct body *b, long long deadline, const char *hostname, struct verdict *v)
{
	enum client_status st = v->status;
	struct client_result res;
	char sig[256];

	snprintf(sig, sizeof(sig), "%s", v->sig);
	while (st == CLIENT_INFECTED) {
		const char *err = NULL;
		struct mimescan_part part;

		if (v->stripped >= VERDICT_STRIP_MAX) {
			snprintf(v->strip_error, sizeof(v->strip_error), "more than %d infected parts",
				 VERDICT_STRIP_MAX);
			break;
		}
		if (verdict_found_part(v->reply, &part, &err) < 0) {
			snprintf(v->strip_error, sizeof(v->strip_error), "%s", err);
			break;
		}
		if (strip_part(b, &part, sig, hostname, &err) < 0) {
			snprintf(v->strip_error, sizeof(v->strip_error), "part %.64s: %s", part.path,
				 err);
			break;
		}
		v->stripped++;
		st = verdict_once(b, deadline, 0, v->reply, &res);
		v->ms += res.ms;
		if (st == CLIENT_INFECTED)
			verdict_printable(sig, sizeof(sig), res.detail);
		else if (st != CLIENT_CLEAN)
			snprintf(v->strip_error, sizeof(v->strip_error), "rescan failed: %.200s",
				 res.detail);
	}
	v->strip_failed = st != CLIENT_CLEAN;
}

void verdict_free(struct verdict *v)
{
	free(v->reply);
	v->reply = NULL;
}
