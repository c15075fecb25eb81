/*
 * verdict.c - MIMESCAN of a message, and the strip loop (see verdict.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mimescan.h"
#include "common/proto.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "wrappers/filter/strip.h"
#include "wrappers/filter/verdict.h"

#define VERDICT_REPLY_MAX (1 << 20)

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
	proto_sig_token(v->sig, sizeof(v->sig), res.detail);
	verdict_text(v->reason, sizeof(v->reason), res.detail);
}

/*
 * verdict_strip_one - one round of a strip loop: PART of B replaced by a
 * notice naming LABEL, then B scanned again (MIMEFACTS when FACTS) into
 * v->reply.  Returns the rescan's status, or -1 with v->strip_error when
 * nothing more may be stripped, PART cannot be, or the rescan failed.
 */
static int verdict_strip_one(struct body *b, long long deadline, const char *hostname, int facts,
			     const struct mimescan_part *part, const char *label, struct verdict *v,
			     struct client_result *res)
{
	const char *err = NULL;
	enum client_status st;

	if (v->stripped >= VERDICT_STRIP_MAX) {
		snprintf(v->strip_error, sizeof(v->strip_error), "more than %d parts to strip",
			 VERDICT_STRIP_MAX);
		return -1;
	}
	if (strip_part(b, part, label, hostname, &err) < 0) {
		snprintf(v->strip_error, sizeof(v->strip_error), "part %.64s: %s", part->path, err);
		return -1;
	}
	v->stripped++;
	st = verdict_once(b, deadline, facts, v->reply, res);
	v->ms += res->ms;
	if (st != CLIENT_CLEAN && st != CLIENT_INFECTED) {
		snprintf(v->strip_error, sizeof(v->strip_error), "rescan failed: %.200s", res->detail);
		return -1;
	}
	return (int)st;
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
		int r;

		if (verdict_found_part(v->reply, &part, &err) < 0) {
			snprintf(v->strip_error, sizeof(v->strip_error), "%s", err);
			break;
		}
		if ((r = verdict_strip_one(b, deadline, hostname, 0, &part, sig, v, &res)) < 0)
			break;
		st = (enum client_status)r;
		if (st == CLIENT_INFECTED)
			proto_sig_token(sig, sizeof(sig), res.detail);
	}
	v->strip_failed = st != CLIENT_CLEAN;
}

/* verdict_part_of - the part line P a policy hit at PATH stands for (path,
 * part and reading: what strip_part reads); -1 with *error_r. */
static int verdict_part_of(const char *path, struct mimescan_part *p, const char **error_r)
{
	int reading;

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s", path);
	reading = mimescan_path_parse(path, p->part, sizeof(p->part), error_r);
	if (reading < 0)
		return -1;
	p->reading = (enum mimescan_reading)reading;
	return 0;
}

/*
 * verdict_decide - POL's decision on V's reply: its action, the decisive
 * hit's label (printable) into LABEL and its part into *P (strip only).
 * Returns -1 with v->strip_error when the reply does not parse or the
 * hit names no path.
 */
static int verdict_decide(const struct policy *pol, struct verdict *v, enum policy_action *act,
			  char *label, size_t size, struct mimescan_part *p)
{
	struct policy_decision d;
	const char *err = NULL;
	int ret = 0;

	policy_decision_init(&d);
	if (policy_decide_reply(pol, v->reply, strlen(v->reply) + 1, '\0', 0, &d, &err) < 0) {
		snprintf(v->strip_error, sizeof(v->strip_error), "the scanner's reply does not parse: %s",
			 err);
		ret = -1;
	} else if ((*act = d.action) != POLICY_PASS) {
		proto_sig_token(label, size, d.hits[d.decisive].label);
		if (d.action == POLICY_STRIP && verdict_part_of(d.hits[d.decisive].path, p, &err) < 0) {
			snprintf(v->strip_error, sizeof(v->strip_error), "%s: %s", label, err);
			ret = -1;
		}
	}
	policy_decision_free(&d);
	return ret;
}

void verdict_strip_policy(struct body *b, long long deadline, const char *hostname,
			  const struct policy *pol, struct verdict *v)
{
	struct client_result res;
	int clean = 0;

	v->tag[0] = '\0';
	for (;;) {
		enum policy_action act = POLICY_PASS;
		struct mimescan_part part;
		char label[256] = "";

		if (verdict_decide(pol, v, &act, label, sizeof(label), &part) < 0)
			break;
		if (act == POLICY_PASS || act == POLICY_TAG) {
			snprintf(v->tag, sizeof(v->tag), "%s", act == POLICY_TAG ? label : "");
			clean = 1;
			break;
		}
		if (act != POLICY_STRIP) {
			snprintf(v->strip_error, sizeof(v->strip_error),
				 "%s remains, whose action is not strip", label);
			break;
		}
		if (verdict_strip_one(b, deadline, hostname, 1, &part, label, v, &res) < 0)
			break;
	}
	v->strip_failed = !clean;
}

void verdict_free(struct verdict *v)
{
	free(v->reply);
	v->reply = NULL;
}
