/*
 * disposition.c - scan, actions, delivery and the log line (see disposition.h).
 */
#include "auto-config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proto.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "wrappers/filter/disposition.h"
#include "wrappers/filter/exporter.h"
#include "wrappers/filter/settings.h"
#include "wrappers/filter/verdict.h"
#include "wrappers/quarantine/qstore.h"

/* What the end of data did. */
struct disposition_outcome {
	struct verdict v;	/* zeroed when no scan ran */
	const char *action;
	char *reply;		/* the caller's buffer */
	size_t size;
	char why[1100];		/* the reason in replies: "virus found (<sig>)", or the
				 * policy's decision */
	char policy[1100];	/* the policy's reason or exclusion for the log, or "" */
};

/* disposition_queue_id - XFORWARD IDENT, else the "id" of the first Received: header. */
static void disposition_queue_id(const struct disposition_txn *t, char *dst, size_t size)
{
	char head[8192], *p, *end;

	snprintf(dst, size, "-");
	if (t->xf_ident[0] != '\0' && strcmp(t->xf_ident, "[UNAVAILABLE]") != 0) {
		log_sanitize(dst, size, t->xf_ident, strlen(t->xf_ident));
		return;
	}
	body_head(t->body, head, sizeof(head));
	end = strstr(head, "\r\n\r\n");
	if (end != NULL)
		*end = '\0';
	for (p = head; p != NULL; p = strstr(p, "\r\n")) {
		if (*p == '\r')
			p += 2;
		if (strncasecmp(p, "Received:", 9) == 0)
			break;
	}
	if (p == NULL)
		return;
	/* The header with its folded lines; " id X" is Postfix's queue id. */
	for (end = p; (end = strstr(end, "\r\n")) != NULL && (end[2] == ' ' || end[2] == '\t');
	     end += 2)
		;
	if (end != NULL)
		*end = '\0';
	for (; (p = strstr(p, "id ")) != NULL; p += 3) {
		size_t n;

		if (p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n')
			continue;
		n = strspn(p + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
		if (n > 0 && n < size) {
			snprintf(dst, size, "%.*s", (int)n, p + 3);
			return;
		}
	}
}

/* disposition_log - the one line per message. */
static void disposition_log(const struct disposition_txn *t, const struct disposition_outcome *o)
{
	char qid[64], client[LOG_SAFE_MAX], sender[LOG_SAFE_MAX], reply[LOG_SAFE_MAX];
	const char *verdict = "-";
	size_t slen = strcspn(t->mail_args + 1, ">");

	switch (o->v.status) {
	case CLIENT_CLEAN:
		verdict = "clean";
		break;
	case CLIENT_INFECTED:
		verdict = "infected";
		break;
	case CLIENT_SCAN_ERROR:
		verdict = "scan-error";
		break;
	case CLIENT_TEMPFAIL:
		verdict = "unscanned";
		break;
	case CLIENT_LIMIT:
		verdict = "over-limit";
		break;
	}
	if (o->v.endpoint[0] == '\0' && o->v.sig[0] == '\0')
		verdict = "-";
	disposition_queue_id(t, qid, sizeof(qid));
	log_sanitize(client, sizeof(client), t->client, strlen(t->client));
	log_sanitize(sender, sizeof(sender), t->mail_args + 1, slen);
	log_sanitize(reply, sizeof(reply), o->reply, strcspn(o->reply, "\r\n"));
	log_info("s%lu: %s: client=%s, from=<%s>, nrcpt=%d, size=%zu, verdict=%s, "
		 "signature=%s, scanner=%s, scan_ms=%lld, ms=%lld, action=%s, reply=\"%s\"%s%s%s",
		 t->session_id, qid, client, sender, t->nrcpt, t->body->len, verdict,
		 o->v.sig[0] ? o->v.sig : "-", o->v.endpoint[0] ? o->v.endpoint : "-", o->v.ms,
		 sock_now_ms() - t->start, o->action, reply, o->policy[0] ? ", policy=\"" : "",
		 o->policy, o->policy[0] ? "\"" : "");
	exporter_message(o->action, &o->v, sock_now_ms() - t->start, o->reply);
}

void disposition_log_refused(const struct disposition_txn *t, const char *action, const char *reply)
{
	struct disposition_outcome o;

	memset(&o, 0, sizeof(o));
	o.action = action;
	o.reply = (char *)reply;
	disposition_log(t, &o);
}

/* disposition_headers - the header lines to put on top of a delivered message. */
static char *disposition_headers(const char *status)
{
	const struct settings *cfg = settings();
	char *scanned = cfg->add_headers ? xasprintf("X-Virus-Scanned: mxscan-filter %s on %s\r\n",
						     PACKAGE_VERSION, cfg->hostname) : xstrdup("");
	char *h = status != NULL ? xasprintf("%sX-Virus-Status: %s\r\n", scanned, status) :
		  xstrdup(scanned);

	free(scanned);
	return h;
}

/* disposition_deliver - DATA to the forward server under ACTION; its reply becomes ours. */
static void disposition_deliver(struct disposition_txn *t, const char *action, const char *status,
			   struct disposition_outcome *o)
{
	struct smtp_reply rep;
	char *h = disposition_headers(status), safe[LOG_SAFE_MAX];

	o->action = action;
	if (!smtp_client_connected(t->relay)) {
		rep.code = 0;
		snprintf(rep.text, sizeof(rep.text), "connection lost before DATA");
	} else {
		smtp_client_data(t->relay, t->body->fd, t->body->len, h, &rep);
	}
	free(h);
	if (rep.code == 0)
		log_warn("s%lu: forward server %s: %s", t->session_id, settings()->forward,
			 log_sanitize(safe, sizeof(safe), rep.text, strlen(rep.text)));
	smtp_reply_relayed(&rep, o->reply, o->size);
	if (rep.code == 0 || rep.code >= 400)
		smtp_client_abandon(t->relay);
}

/* disposition_own - the filter's own reply; the forward transaction is abandoned. */
__attribute__((format(printf, 3, 4)))
static void disposition_own(struct disposition_txn *t, struct disposition_outcome *o, const char *fmt, ...)
{
	va_list ap;

	smtp_client_abandon(t->relay);
	va_start(ap, fmt);
	vsnprintf(o->reply, o->size, fmt, ap);
	va_end(ap);
}

/* disposition_quarantine - keep the original message with its envelope. */
static int disposition_quarantine(const struct disposition_txn *t, const struct body *orig,
			     const char *sig, char *id, size_t size)
{
	struct qstore_entry e;
	const char *err = NULL;
	char qid[64];

	memset(&e, 0, sizeof(e));
	disposition_queue_id(t, qid, sizeof(qid));
	e.size = (long long)orig->len;
	e.mail = (char *)t->mail_args;
	e.rcpt = t->rcpt;
	e.nrcpt = t->nrcpt;
	e.client = (char *)t->client;
	e.queue_id = qid;
	e.signature = (char *)sig;
	if (qstore_put(settings()->quarantine_dir, &e, orig->fd, &err) < 0) {
		log_error("s%lu: cannot quarantine: %s", t->session_id, err);
		return -1;
	}
	snprintf(id, size, "%s", e.id);
	return 0;
}

/* disposition_infected - filter_infected_action; ORIG is the message as received. */
static void disposition_infected(struct disposition_txn *t, const struct body *orig,
			    enum config_filter_infected_action act, struct disposition_outcome *o)
{
	const struct settings *cfg = settings();
	const struct verdict *v = &o->v;
	char id[QSTORE_ID_MAX], *status;

	if (act == CONF_FILTER_INFECTED_ACTION_STRIP && !v->strip_failed) {
		/* (what a policy only tags, left in place, is what the status says) */
		status = *v->tag ? xasprintf("Infected (%s)", v->tag) :
			 xasprintf("Cleaned (%d infected part%s removed: %s)", v->stripped,
				   v->stripped == 1 ? "" : "s", v->sig);
		disposition_deliver(t, "stripped", cfg->add_headers || *v->tag ? status : NULL, o);
		free(status);
		return;
	}
	if (act == CONF_FILTER_INFECTED_ACTION_STRIP) {
		log_warn("s%lu: cannot strip (%s): quarantined instead", t->session_id,
			 v->strip_error);
		act = CONF_FILTER_INFECTED_ACTION_QUARANTINE;
	}
	switch (act) {
	case CONF_FILTER_INFECTED_ACTION_TAG:
		status = xasprintf("Infected (%s)", v->sig);
		disposition_deliver(t, "tagged", status, o);
		free(status);
		return;
	case CONF_FILTER_INFECTED_ACTION_REJECT:
		o->action = "rejected";
		disposition_own(t, o, "550 5.7.0 Message rejected: %s", o->why);
		return;
	case CONF_FILTER_INFECTED_ACTION_DISCARD:
		o->action = "discarded";
		disposition_own(t, o, "250 2.0.0 Ok: discarded, %s", o->why);
		break;
	default:
		if (orig == NULL || disposition_quarantine(t, orig, v->sig, id, sizeof(id)) < 0) {
			o->action = "tempfail";
			disposition_own(t, o, "451 4.3.0 Error: cannot quarantine, try again later");
			return;
		}
		o->action = "quarantined";
		disposition_own(t, o, "250 2.0.0 Ok: quarantined as %s, %s", id, o->why);
		break;
	}
	if (cfg->mode == CONF_FILTER_MODE_BEFORE_QUEUE)	/* nothing for the remote sender */
		snprintf(o->reply, o->size, "250 2.0.0 Ok");
}

/*
 * disposition_over_limit - filter_limit_action: mxscand refused the message as
 * over one of its limits, so a retry would be refused the same way and
 * only keep the message in Postfix's queue until it bounces.
 */
static void disposition_over_limit(struct disposition_txn *t, struct disposition_outcome *o)
{
	const struct settings *cfg = settings();
	char id[QSTORE_ID_MAX], *text;

	switch (cfg->limit) {
	case CONF_FILTER_LIMIT_ACTION_PASS:
		text = xasprintf("Unscanned (%s)", o->v.reason);
		disposition_deliver(t, "passed-unscanned", text, o);
		free(text);
		return;
	case CONF_FILTER_LIMIT_ACTION_TEMPFAIL:
		o->action = "tempfail";
		disposition_own(t, o, "451 4.3.0 Error: virus scan failed, try again later");
		return;
	case CONF_FILTER_LIMIT_ACTION_REJECT:
		o->action = "rejected";
		disposition_own(t, o, "552 5.3.4 Message rejected: too large or complex to scan (%s)",
			   o->v.reason);
		return;
	case CONF_FILTER_LIMIT_ACTION_QUARANTINE:
		break;
	}
	text = xasprintf("Unscanned:%s", o->v.sig);	/* one token, as signatures are */
	if (disposition_quarantine(t, t->body, text, id, sizeof(id)) < 0) {
		o->action = "tempfail";
		disposition_own(t, o, "451 4.3.0 Error: cannot quarantine, try again later");
	} else {
		o->action = "quarantined";
		if (cfg->mode == CONF_FILTER_MODE_BEFORE_QUEUE)	/* nothing for the remote sender */
			disposition_own(t, o, "250 2.0.0 Ok");
		else
			disposition_own(t, o, "250 2.0.0 Ok: quarantined as %s, not scanned (%s)", id,
				   o->v.reason);
	}
	free(text);
}

/*
 * disposition_skipped - an excluded message (policy_skip_networks, an
 * allowed sender or recipients): delivered unscanned, marked so in its
 * header and in the log line.  Returns 1 when it was.
 */
static int disposition_skipped(struct disposition_txn *t, struct disposition_outcome *o)
{
	const struct settings *cfg = settings();
	struct policy_envelope e = {
		.client_addr = t->client, .sender = t->mail_args,
		.rcpt = (const char *const *)t->rcpt, .nrcpt = t->nrcpt,
	};
	char why[256], *status;

	if (!policy_skip(cfg->policy, &e, why, sizeof(why)))
		return 0;
	snprintf(o->policy, sizeof(o->policy), "not scanned: %s", why);
	status = xasprintf("Unscanned (%s)", why);
	disposition_deliver(t, "passed-unscanned", status, o);
	free(status);
	return 1;
}

/* The filter's action for each policy action. */
static const enum config_filter_infected_action disposition_acts[] = {
	[POLICY_TAG] = CONF_FILTER_INFECTED_ACTION_TAG,
	[POLICY_STRIP] = CONF_FILTER_INFECTED_ACTION_STRIP,
	[POLICY_QUARANTINE] = CONF_FILTER_INFECTED_ACTION_QUARANTINE,
	[POLICY_DISCARD] = CONF_FILTER_INFECTED_ACTION_DISCARD,
	[POLICY_REJECT] = CONF_FILTER_INFECTED_ACTION_REJECT,
};

/*
 * disposition_policy - the policy's decision on the MIMEFACTS reply: the
 * status the message is handled as (CLEAN: delivered; INFECTED with
 * *ACT; SCAN_ERROR when the reply cannot be read), the decisive label as
 * the signature, the reason in the reply text and the log line.
 */
static enum client_status disposition_policy(struct disposition_txn *t,
					     struct disposition_outcome *o,
					     enum config_filter_infected_action *act)
{
	struct policy_decision d;
	const char *err = NULL;
	enum client_status st = CLIENT_INFECTED;

	policy_decision_init(&d);
	if (policy_decide_reply(settings()->policy, o->v.reply, strlen(o->v.reply) + 1, '\0', 0, &d,
				&err) < 0) {
		log_warn("s%lu: the scanner's reply does not parse: %s", t->session_id, err);
		snprintf(o->v.sig, sizeof(o->v.sig), "Unreadable_reply");
		snprintf(o->v.reason, sizeof(o->v.reason), "the scanner's reply does not parse");
		policy_decision_free(&d);
		return CLIENT_SCAN_ERROR;
	}
	snprintf(o->policy, sizeof(o->policy), "%s", d.reason);
	if (d.action == POLICY_PASS) {
		st = CLIENT_CLEAN;
	} else {
		const struct policy_hit *h = &d.hits[d.decisive];

		*act = disposition_acts[d.action];
		proto_sig_token(o->v.sig, sizeof(o->v.sig), h->label);
		snprintf(o->why, sizeof(o->why), "%s", d.reason);
	}
	policy_decision_free(&d);
	return st;
}

/* disposition_keep_original - a copy of B before strip rewrites it; -1 on failure. */
static int disposition_keep_original(const struct body *b, struct body *orig)
{
	const char *err = NULL;
	int fd = dup(b->fd), ret = -1;

	body_init(orig);
	if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && body_load_fd(orig, fd, &err) == 0)
		ret = 0;
	if (fd >= 0)
		close(fd);
	return ret;
}

void disposition_end_of_data(struct disposition_txn *t, char *reply, size_t size)
{
	const struct settings *cfg = settings();
	long long deadline = t->start + cfg->message_timeout_ms;
	enum config_filter_infected_action act;
	struct disposition_outcome o;
	struct body orig;
	char *status;

	memset(&o, 0, sizeof(o));
	o.reply = reply;
	o.size = size;
	body_init(&orig);
	smtp_client_set_deadline(t->relay, deadline);
	if (disposition_skipped(t, &o)) {
		smtp_client_set_deadline(t->relay, 0);
		disposition_log(t, &o);
		return;
	}
	verdict_scan(t->body, deadline, cfg->facts, &o.v);
	snprintf(o.why, sizeof(o.why), "virus found (%s)", o.v.sig);
	act = cfg->infected;
	if (cfg->facts && (o.v.status == CLIENT_CLEAN || o.v.status == CLIENT_INFECTED))
		o.v.status = disposition_policy(t, &o, &act);
	switch (o.v.status) {
	case CLIENT_CLEAN:
		disposition_deliver(t, "delivered", cfg->add_headers ? "Clean" : NULL, &o);
		break;
	case CLIENT_INFECTED:
		if (act != CONF_FILTER_INFECTED_ACTION_STRIP) {
			disposition_infected(t, t->body, act, &o);
		} else if (disposition_keep_original(t->body, &orig) == 0) {
			if (cfg->facts)	/* the policy decides each round */
				verdict_strip_policy(t->body, deadline, cfg->hostname, cfg->policy,
						     &o.v);
			else
				verdict_strip(t->body, deadline, cfg->hostname, &o.v);
			disposition_infected(t, &orig, act, &o);
		} else {
			o.v.strip_failed = 1;
			snprintf(o.v.strip_error, sizeof(o.v.strip_error), "cannot copy the message");
			disposition_infected(t, NULL, act, &o);
		}
		break;
	case CLIENT_LIMIT:
		disposition_over_limit(t, &o);
		break;
	case CLIENT_SCAN_ERROR:
	case CLIENT_TEMPFAIL:
		if (cfg->failure == CONF_FILTER_FAILURE_ACTION_PASS) {
			status = xasprintf("Unscanned (%s)", o.v.reason);
			disposition_deliver(t, "passed-unscanned", status, &o);
			free(status);
		} else {
			o.action = "tempfail";
			disposition_own(t, &o, "451 4.3.0 Error: virus scan failed, try again later");
		}
		break;
	}
	smtp_client_set_deadline(t->relay, 0);
	disposition_log(t, &o);
	body_reset(&orig);
	verdict_free(&o.v);
}
