/*
 * session.c - the libmilter callbacks (see session.h).
 */
#include "auto-config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "wrappers/milter/action.h"
#include "wrappers/milter/exporter.h"
#include "wrappers/milter/headers.h"
#include "wrappers/milter/message.h"
#include "wrappers/milter/report.h"
#include "wrappers/milter/session.h"
#include "wrappers/milter/settings.h"

/* Recipients kept for the policy's exclusions; past it none is used. */
#define SESSION_RCPT_MAX 1000

struct session {
	int leadspc;		/* SMFIP_HDR_LEADSPC agreed */
	unsigned long noreply;	/* the SESSION_NOREPLY steps agreed */
	char client[300];	/* name[addr] */
	char addr[INET6_ADDRSTRLEN];	/* the client's address from the connection */
	char sender[300];
	int authenticated;	/* {auth_authen} was set at MAIL FROM */
	int rcpts;
	char **rcpt;		/* the first SESSION_RCPT_MAX recipients */
	struct message *msg;	/* from MAIL FROM to end or abort */
};

/* session_get - the session of CTX, made on first use. */
static struct session *session_get(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		snprintf(s->client, sizeof(s->client), "unknown");
		smfi_setpriv(ctx, s);
	}
	return s;
}

/* session_rcpt_free - forget the recipients. */
static void session_rcpt_free(struct session *s)
{
	int i;

	for (i = 0; s->rcpt != NULL && i < s->rcpts && i < SESSION_RCPT_MAX; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	s->rcpt = NULL;
	s->rcpts = 0;
}

/* session_address - ADDR without its angle brackets, as a new string. */
static char *session_address(const char *addr)
{
	size_t len;

	if (addr == NULL)
		return xstrdup("");
	if (*addr == '<')
		addr++;
	len = strcspn(addr, ">");
	return xstrndup(addr, len);
}

/* session_continue - go on after a step: no reply when S agreed on none for STEP. */
static sfsistat session_continue(const struct session *s, unsigned long step)
{
	return (s->noreply & step) != 0 ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* session_negotiate - ask for the header actions and quarantine, skip HELO, DATA, unknown. */
static sfsistat session_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
				  unsigned long f2, unsigned long f3, unsigned long *pf0,
				  unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct session *s = session_get(ctx);

	*pf0 = f0 & SESSION_ACTIONS;
	*pf1 = f1 & (SESSION_STEPS | SESSION_NOREPLY);
	*pf2 = 0;
	*pf3 = 0;
	s->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	s->noreply = *pf1 & SESSION_NOREPLY;
	if ((f0 & SESSION_ACTIONS) != SESSION_ACTIONS)
		log_warn("the MTA does not offer every milter action needed (offered 0x%lx, "
			 "needed 0x%lx): quarantine or header changes will tempfail", f0,
			 (unsigned long)SESSION_ACTIONS);
	return SMFIS_CONTINUE;
}

/* session_connect - remember the client as name[addr]. */
static sfsistat session_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
	struct session *s = session_get(ctx);
	char ip[INET6_ADDRSTRLEN] = "unknown";

	if (addr != NULL && addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)addr)->sin_addr, ip, sizeof(ip));
	else if (addr != NULL && addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)addr)->sin6_addr, ip,
			  sizeof(ip));
	snprintf(s->client, sizeof(s->client), "%.200s[%s]", hostname != NULL ? hostname :
		 "unknown", ip);
	snprintf(s->addr, sizeof(s->addr), "%s", addr != NULL ? ip : "");
	return session_continue(s, SMFIP_NR_CONN);
}

/* session_envfrom - a new message; authenticated senders may be skipped. */
static sfsistat session_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = session_get(ctx);
	const char *auth = smfi_getsymval(ctx, "{auth_authen}");

	message_free(&s->msg);
	snprintf(s->sender, sizeof(s->sender), "%s", argv != NULL && argv[0] != NULL ?
		 argv[0] : "");
	/* the MTA hands the address over in angle brackets (or not) */
	if (s->sender[0] == '<') {
		memmove(s->sender, s->sender + 1, strlen(s->sender));
		s->sender[strcspn(s->sender, ">")] = '\0';
	}
	session_rcpt_free(s);
	s->authenticated = auth != NULL && *auth != '\0';
	if (settings()->skip_authenticated && s->authenticated) {
		struct report r = {.queue_id = smfi_getsymval(ctx, "i"), .client = s->client,
				   .sender = s->sender, .verdict = "skipped",
				   .signature = "authenticated", .action = "accept"};

		report_message(&r);
		exporter_message(r.action, r.verdict, -1, -1);
		return SMFIS_ACCEPT;
	}
	s->msg = message_new(settings());
	return SMFIS_CONTINUE;
}

/* session_envrcpt - count the recipients. */
static sfsistat session_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = session_get(ctx);

	if (s->rcpts < SESSION_RCPT_MAX) {
		if (s->rcpt == NULL)
			s->rcpt = xcalloc(SESSION_RCPT_MAX, sizeof(*s->rcpt));
		s->rcpt[s->rcpts] = session_address(argv != NULL ? argv[0] : NULL);
	}
	s->rcpts++;
	return session_continue(s, SMFIP_NR_RCPT);
}

/* session_header - one header field into the message. */
static sfsistat session_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = session_get(ctx);

	if (s->msg != NULL)
		message_header(s->msg, name, value != NULL ? value : "", s->leadspc);
	return session_continue(s, SMFIP_NR_HDR);
}

/*
 * session_excluded - 1 when the policy excludes the message of S from
 * scanning (policy_skip_networks, policy_skip_authenticated, an allowed
 * sender, every recipient allowed): it is then accepted and logged.
 */
static int session_excluded(SMFICTX *ctx, struct session *s)
{
	const char *macro = smfi_getsymval(ctx, "{client_addr}");
	struct policy_envelope e = {
		.client_addr = macro != NULL && *macro != '\0' ? macro : s->addr,
		.authenticated = s->authenticated, .sender = s->sender,
		.rcpt = (const char *const *)s->rcpt,
		/* with more recipients than kept, none may exclude the message */
		.nrcpt = s->rcpts <= SESSION_RCPT_MAX ? s->rcpts : 0,
	};
	char why[256], policy[300];
	struct report r = {.queue_id = smfi_getsymval(ctx, "i"), .client = s->client,
			   .sender = s->sender, .rcpts = s->rcpts, .verdict = "skipped",
			   .action = "accept", .policy = policy};

	if (!policy_skip(settings()->policy, &e, why, sizeof(why)))
		return 0;
	snprintf(policy, sizeof(policy), "not scanned: %s", why);
	r.size = message_size(s->msg);
	report_message(&r);
	exporter_message(r.action, r.verdict, -1, -1);
	return 1;
}

/* session_eoh - the header block goes to the scanner (unless the policy excludes the message). */
static sfsistat session_eoh(SMFICTX *ctx)
{
	struct session *s = session_get(ctx);

	if (s->msg == NULL)
		return SMFIS_CONTINUE;
	if (settings()->policy != NULL && session_excluded(ctx, s)) {
		message_free(&s->msg);
		return SMFIS_ACCEPT;
	}
	message_eoh(s->msg);
	return SMFIS_CONTINUE;
}

/* session_body - one body chunk on to the scanner. */
static sfsistat session_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct session *s = session_get(ctx);

	if (s->msg != NULL)
		message_body(s->msg, buf, len);
	return SMFIS_CONTINUE;
}

/* session_carry_out - do A on the message of CTX; returns the libmilter status. */
static sfsistat session_carry_out(SMFICTX *ctx, struct session *s, struct action *a,
				  const char **note_r)
{
	const char *err = NULL;

	if (a->kind != ACTION_REJECT && a->kind != ACTION_TEMPFAIL &&
	    a->kind != ACTION_DISCARD &&
	    headers_apply(ctx, message_headers(s->msg), a, settings()->hostname, s->leadspc,
			  &err) < 0) {
		*note_r = err;
		a->kind = ACTION_TEMPFAIL;
		a->name = "tempfail";
		a->rcode = "451";
		a->xcode = "4.3.0";
		snprintf(a->text, sizeof(a->text), "cannot mark the message, try again later");
	}
	if (a->kind == ACTION_QUARANTINE && smfi_quarantine(ctx, a->text) != MI_SUCCESS) {
		*note_r = "the MTA refused to quarantine";
		a->kind = ACTION_TEMPFAIL;
		a->name = "tempfail";
		a->rcode = "451";
		a->xcode = "4.3.0";
		snprintf(a->text, sizeof(a->text), "cannot quarantine the message, try again later");
	}
	switch (a->kind) {
	case ACTION_REJECT:
	case ACTION_TEMPFAIL:
		if (smfi_setreply(ctx, (char *)a->rcode, (char *)a->xcode, a->text) != MI_SUCCESS)
			*note_r = "the MTA refused the reply text";
		return a->kind == ACTION_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	case ACTION_DISCARD:
		return SMFIS_DISCARD;
	case ACTION_ACCEPT:
	case ACTION_QUARANTINE:
		break;
	}
	return SMFIS_ACCEPT;
}

/* session_eom - the verdict, the action, the log line. */
static sfsistat session_eom(SMFICTX *ctx)
{
	struct session *s = session_get(ctx);
	struct client_result res;
	struct action a;
	const char *note = NULL;
	long long start = sock_now_ms();
	sfsistat st;

	if (s->msg == NULL)
		return SMFIS_CONTINUE;
	message_finish(s->msg, &res);
	action_decide(settings(), &res, message_reply(s->msg), &a);
	st = session_carry_out(ctx, s, &a, &note);
	{
		struct report r = {.queue_id = smfi_getsymval(ctx, "i"), .client = s->client,
				   .sender = s->sender, .rcpts = s->rcpts,
				   .size = message_size(s->msg), .verdict = a.verdict,
				   .signature = a.sig, .res = &res, .action = a.name,
				   .note = note, .policy = a.policy};

		report_message(&r);
		exporter_message(a.name, a.verdict, sock_now_ms() - start, res.ms);
	}
	message_free(&s->msg);
	return st;
}

/* session_abort - the MTA gave up the message: drop it and its scan. */
static sfsistat session_abort(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s != NULL && s->msg != NULL) {
		log_debug("%s: message aborted after %zu bytes", s->client, message_size(s->msg));
		exporter_aborted();
		message_free(&s->msg);
	}
	return SMFIS_CONTINUE;
}

/* session_close - the connection ends. */
static sfsistat session_close(SMFICTX *ctx)
{
	struct session *s = smfi_getpriv(ctx);

	if (s != NULL) {
		message_free(&s->msg);
		session_rcpt_free(s);
		free(s);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc session_desc = {
	.xxfi_name = "mxscan-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SESSION_ACTIONS,
	.xxfi_connect = session_connect,
	.xxfi_envfrom = session_envfrom,
	.xxfi_envrcpt = session_envrcpt,
	.xxfi_header = session_header,
	.xxfi_eoh = session_eoh,
	.xxfi_body = session_body,
	.xxfi_eom = session_eom,
	.xxfi_abort = session_abort,
	.xxfi_close = session_close,
	.xxfi_negotiate = session_negotiate,
};

struct smfiDesc *session_filter(void)
{
	return &session_desc;
}
