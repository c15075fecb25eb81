/*
 * session.c - one SMTP session: the commands, MAIL and RCPT relayed in
 * step, DATA received whole and handed to disposition (see session.h).
 */
#include "auto-config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "common/smtp_client.h"
#include "common/sock.h"
#include "common/stream.h"
#include "common/xalloc.h"
#include "wrappers/filter/body.h"
#include "wrappers/filter/disposition.h"
#include "wrappers/filter/session.h"
#include "wrappers/filter/settings.h"

#define SESSION_LINE_MAX 2049	/* a command line with its CR LF (RFC 5321's 512
				 * plus parameters) */
#define SESSION_ERRORS_MAX 20	/* bad commands before the session is dropped */
#define SESSION_XFORWARD_MAX 8	/* XFORWARD commands kept for one MAIL */
#define SESSION_RCPT_MAX 1000	/* recipients of one transaction */

static const struct settings *cfg;

struct session {
	unsigned long id;
	int fd;
	int quit;		/* end the session after this reply */
	int greeted;		/* HELO or EHLO seen */
	int errors;
	char peer[64];
	struct stream in;
	struct smtp_client relay;
	char *xforward[SESSION_XFORWARD_MAX];	/* XFORWARD arguments for the next MAIL */
	int nxforward;
	char xf_addr[256], xf_ident[256];	/* for the log line */
	int in_mail;		/* a MAIL was accepted downstream */
	char *mail_args;	/* "<sender> PARAMS" as received */
	char **rcpt;		/* accepted RCPT arguments */
	int nrcpt;
	struct body body;
};


/*
 * session_reply - one reply line (CR LF added), queued: replies leave
 * when the session next waits for its client (stream.h), so the replies
 * to pipelined commands go together.
 */
__attribute__((format(printf, 2, 3)))
static void session_reply(struct session *s, const char *fmt, ...)
{
	char line[SMTP_REPLY_MAX + 2];
	const char *err;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	memcpy(line + n, "\r\n", 2);
	if (stream_write(&s->in, line, (size_t)n + 2, &err) != STREAM_OK)
		s->quit = 1;
}

/* session_relay_reply - the forward server's reply as ours (see smtp_reply_relayed). */
static void session_relay_reply(struct session *s, const struct smtp_reply *rep)
{
	char out[SMTP_REPLY_MAX], safe[LOG_SAFE_MAX];

	if (rep->code == 0)
		log_warn("s%lu: forward server %s: %s", s->id, cfg->forward,
			 log_sanitize(safe, sizeof(safe), rep->text, strlen(rep->text)));
	smtp_reply_relayed(rep, out, sizeof(out));
	session_reply(s, "%s", out);
}

/* session_forward_open - connect to the forward server unless connected. */
static int session_forward_open(struct session *s, long long deadline)
{
	struct smtp_reply rep;

	if (smtp_client_connected(&s->relay))
		return 0;
	if (smtp_client_open(&s->relay, cfg->forward, cfg->hostname, cfg->forward_timeout_ms,
			     deadline, &rep) < 0) {
		char safe[LOG_SAFE_MAX];

		log_warn("s%lu: forward server %s: %s", s->id, cfg->forward,
			 log_sanitize(safe, sizeof(safe), rep.text, strlen(rep.text)));
		return -1;
	}
	return 0;
}

/* session_reset - end the transaction (XFORWARD attributes too). */
static void session_reset(struct session *s)
{
	int i;

	for (i = 0; i < s->nxforward; i++)
		free(s->xforward[i]);
	s->nxforward = 0;
	s->xf_addr[0] = s->xf_ident[0] = '\0';
	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	s->rcpt = NULL;
	s->nrcpt = 0;
	free(s->mail_args);
	s->mail_args = NULL;
	s->in_mail = 0;
	body_reset(&s->body);
}

/* session_greet - HELO and EHLO: open the forward side, announce what it has. */
static void session_greet(struct session *s, int ehlo)
{
	const char *x;

	if (s->in_mail)
		smtp_client_abandon(&s->relay);
	session_reset(s);
	s->greeted = 1;
	session_forward_open(s, 0);
	if (!ehlo) {
		session_reply(s, "250 %s", cfg->hostname);
		return;
	}
	x = s->relay.ext & SMTP_EXT_XFORWARD ? s->relay.xforward_attrs : NULL;
	session_reply(s, "250-%s", cfg->hostname);
	session_reply(s, "250-PIPELINING");
	session_reply(s, "250-SIZE %zu", cfg->max_size);
	if (s->relay.ext & SMTP_EXT_8BITMIME)
		session_reply(s, "250-8BITMIME");
	if (s->relay.ext & SMTP_EXT_SMTPUTF8)
		session_reply(s, "250-SMTPUTF8");
	if (s->relay.ext & SMTP_EXT_DSN)
		session_reply(s, "250-DSN");
	if (x != NULL)
		session_reply(s, "250-XFORWARD %s", x);
	session_reply(s, "250 ENHANCEDSTATUSCODES");
}

/* session_xforward_attr - NAME=value of ARGS into DST (raw, for the log). */
static void session_xforward_attr(const char *args, const char *name, char *dst, size_t size)
{
	size_t n = strlen(name);
	const char *p = args;

	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (w > n && strncasecmp(p, name, n) == 0 && p[n] == '=') {
			snprintf(dst, size, "%.*s", (int)(w - n - 1), p + n + 1);
			return;
		}
		p += w;
		p += strspn(p, " ");
	}
}

static void session_xforward(struct session *s, const char *args)
{
	const char *p = args;

	if (!(s->relay.ext & SMTP_EXT_XFORWARD)) {
		session_reply(s, "502 5.5.1 Error: command not implemented");
		return;
	}
	if (s->in_mail) {
		session_reply(s, "503 5.5.1 Error: XFORWARD not permitted in a mail transaction");
		return;
	}
	if (*args == '\0') {
		session_reply(s, "501 5.5.4 Syntax: XFORWARD attribute=value...");
		return;
	}
	/* Every attribute must be one the forward server announced. */
	while (*p != '\0') {
		size_t w = strcspn(p, " "), eq = strcspn(p, "= ");
		char name[32];
		const char *a;
		int known = 0;

		if (eq >= w || eq == 0 || eq >= sizeof(name)) {
			session_reply(s, "501 5.5.4 Syntax: XFORWARD attribute=value...");
			return;
		}
		snprintf(name, sizeof(name), "%.*s", (int)eq, p);
		for (a = s->relay.xforward_attrs; *a != '\0'; a += strspn(a, " ")) {
			size_t aw = strcspn(a, " ");

			if (aw == eq && strncasecmp(a, name, eq) == 0)
				known = 1;
			a += aw;
		}
		if (!known) {
			session_reply(s, "501 5.5.4 Bad XFORWARD attribute name: %s", name);
			return;
		}
		p += w;
		p += strspn(p, " ");
	}
	if (s->nxforward == SESSION_XFORWARD_MAX) {
		session_reply(s, "421 4.7.0 %s Error: too many XFORWARD commands", cfg->hostname);
		s->quit = 1;
		return;
	}
	{
		char safe[LOG_SAFE_MAX];

		log_debug("s%lu: XFORWARD %s", s->id, log_sanitize(safe, sizeof(safe), args,
								  strlen(args)));
	}
	s->xforward[s->nxforward++] = xstrdup(args);
	session_xforward_attr(args, "ADDR", s->xf_addr, sizeof(s->xf_addr));
	session_xforward_attr(args, "IDENT", s->xf_ident, sizeof(s->xf_ident));
	session_reply(s, "250 2.0.0 Ok");
}

/* session_size_param - the SIZE= value among MAIL parameters, or 0. */
static unsigned long long session_size_param(const char *params)
{
	const char *p = params;

	while (*p != '\0') {
		size_t w;

		p += strspn(p, " ");
		w = strcspn(p, " ");
		if (w > 5 && strncasecmp(p, "SIZE=", 5) == 0)
			return strtoull(p + 5, NULL, 10);
		p += w;
	}
	return 0;
}

/* session_forward_mail - the kept XFORWARD commands, then MAIL, downstream. */
static void session_forward_mail(struct session *s, const char *args, struct smtp_reply *rep)
{
	char *line;
	int i;

	/* XFORWARD belongs just before MAIL; a refusal only costs the log. */
	for (i = 0; i < s->nxforward; i++) {
		line = xasprintf("XFORWARD %s", s->xforward[i]);
		if (smtp_client_command(&s->relay, line, rep) == 0 && rep->code != 250)
			log_warn("s%lu: forward server refused XFORWARD: %d", s->id, rep->code);
		free(line);
	}
	line = xasprintf("MAIL FROM:%s", args);
	smtp_client_command(&s->relay, line, rep);
	free(line);
}

static void session_mail(struct session *s, const char *args)
{
	struct smtp_reply rep;
	const char *close_br;
	int reused;

	if (!s->greeted) {
		session_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->in_mail) {
		session_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	args += strspn(args, " ");
	close_br = args[0] == '<' ? strchr(args, '>') : NULL;
	if (close_br == NULL) {
		session_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	if (session_size_param(close_br + 1) > cfg->max_size) {
		session_reply(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	reused = smtp_client_connected(&s->relay);
	if (session_forward_open(s, 0) < 0) {
		session_reply(s, "451 4.4.1 Error: forward server unavailable, try again later");
		return;
	}
	session_forward_mail(s, args, &rep);
	/* A connection kept from an earlier transaction may have timed out
	 * at the forward server's end: one fresh try. */
	if (rep.code == 0 && reused && session_forward_open(s, 0) == 0)
		session_forward_mail(s, args, &rep);
	session_relay_reply(s, &rep);
	if (rep.code >= 200 && rep.code < 300) {
		s->in_mail = 1;
		s->mail_args = xstrdup(args);
	}
}

static void session_rcpt(struct session *s, const char *args)
{
	struct smtp_reply rep;
	char *line;

	if (!s->in_mail) {
		session_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	args += strspn(args, " ");
	if (args[0] != '<' || strchr(args, '>') == NULL) {
		session_reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	if (s->nrcpt >= SESSION_RCPT_MAX) {
		session_reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	line = xasprintf("RCPT TO:%s", args);
	smtp_client_command(&s->relay, line, &rep);
	free(line);
	session_relay_reply(s, &rep);
	if (rep.code >= 200 && rep.code < 300) {
		s->rcpt = xrealloc(s->rcpt, (size_t)(s->nrcpt + 1) * sizeof(char *));
		s->rcpt[s->nrcpt++] = xstrdup(args);
	}
}

/* session_txn - the transaction as disposition sees it. */
static void session_txn(struct session *s, struct disposition_txn *t)
{
	memset(t, 0, sizeof(*t));
	t->session_id = s->id;
	t->client = s->xf_addr[0] != '\0' ? s->xf_addr : s->peer;
	t->xf_ident = s->xf_ident;
	t->mail_args = s->mail_args;
	t->rcpt = s->rcpt;
	t->nrcpt = s->nrcpt;
	t->body = &s->body;
	t->relay = &s->relay;
	t->start = sock_now_ms();
}

static void session_data(struct session *s, const char *args)
{
	char reply[SMTP_REPLY_MAX];
	struct disposition_txn t;
	enum body_status bs;
	const char *err = NULL;

	(void)args;
	if (!s->in_mail) {
		session_reply(s, "503 5.5.1 Error: need RCPT command");
		return;
	}
	if (s->nrcpt == 0) {
		session_reply(s, "554 5.5.1 Error: no valid recipients");
		return;
	}
	if (!smtp_client_connected(&s->relay)) {
		session_reply(s, "451 4.4.2 Error: forward server connection lost, try again later");
		session_reset(s);
		return;
	}
	session_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	if (body_receive(&s->body, &s->in, cfg->max_size, cfg->memory_max, &bs, &err) < 0) {
		log_info("s%lu: client %s lost during DATA: %s", s->id, s->peer, err);
		s->quit = 1;
		return;
	}
	session_txn(s, &t);
	if (bs == BODY_TOO_BIG) {
		smtp_client_abandon(&s->relay);
		snprintf(reply, sizeof(reply), "552 5.3.4 Error: message file too big");
		disposition_log_refused(&t, "too-big", reply);
	} else if (bs == BODY_LOCAL) {
		log_error("s%lu: %s", s->id, err);
		smtp_client_abandon(&s->relay);
		snprintf(reply, sizeof(reply),
			 "451 4.3.0 Error: local problem storing the message, try again later");
		disposition_log_refused(&t, "tempfail", reply);
	} else {
		disposition_end_of_data(&t, reply, sizeof(reply));
	}
	session_reply(s, "%s", reply);
	session_reset(s);
}

static void session_rset(struct session *s, const char *args)
{
	(void)args;
	if (s->in_mail)
		smtp_client_abandon(&s->relay);
	session_reset(s);
	session_reply(s, "250 2.0.0 Ok");
}

static void session_ehlo(struct session *s, const char *args)
{
	(void)args;
	session_greet(s, 1);
}

static void session_helo(struct session *s, const char *args)
{
	(void)args;
	session_greet(s, 0);
}

static void session_noop(struct session *s, const char *args)
{
	(void)args;
	session_reply(s, "250 2.0.0 Ok");
}

static void session_quit(struct session *s, const char *args)
{
	(void)args;
	session_reply(s, "221 2.0.0 Bye");
	s->quit = 1;
}

/* Command flags: what the dispatcher checks before the handler runs. */
#define CMD_NEEDS_ARGS 1	/* no argument: 501 */
#define CMD_NO_ARGS 2		/* an argument: 501 */
#define CMD_UNIMPLEMENTED 4	/* known, refused with 502 */

/*
 * One verb: the argument must start with KEYWORD (case-insensitive, when
 * not NULL) and the handler gets what follows it.
 */
struct session_cmd {
	const char *verb;
	const char *keyword;
	unsigned flags;
	void (*handler)(struct session *s, const char *args);
};

static const struct session_cmd session_cmds[] = {
	{"EHLO", NULL, CMD_NEEDS_ARGS, session_ehlo},
	{"HELO", NULL, CMD_NEEDS_ARGS, session_helo},
	{"XFORWARD", NULL, 0, session_xforward},
	{"MAIL", "FROM:", 0, session_mail},
	{"RCPT", "TO:", 0, session_rcpt},
	{"DATA", NULL, CMD_NO_ARGS, session_data},
	{"RSET", NULL, 0, session_rset},
	{"NOOP", NULL, 0, session_noop},
	{"QUIT", NULL, 0, session_quit},
	{"VRFY", NULL, CMD_UNIMPLEMENTED, NULL},
	{"EXPN", NULL, CMD_UNIMPLEMENTED, NULL},
	{"BDAT", NULL, CMD_UNIMPLEMENTED, NULL},
	{"AUTH", NULL, CMD_UNIMPLEMENTED, NULL},
	{"ETRN", NULL, CMD_UNIMPLEMENTED, NULL},
	{"XCLIENT", NULL, CMD_UNIMPLEMENTED, NULL},
	{"STARTTLS", NULL, CMD_UNIMPLEMENTED, NULL},
};

/* session_lookup - the table row of the LEN-byte verb at LINE, or NULL. */
static const struct session_cmd *session_lookup(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(session_cmds) / sizeof(session_cmds[0]); i++)
		if (strlen(session_cmds[i].verb) == len &&
		    strncasecmp(line, session_cmds[i].verb, len) == 0)
			return &session_cmds[i];
	return NULL;
}

/*
 * session_command - one command line: the verb is the text before the
 * first space, the argument what follows that space.
 */
static void session_command(struct session *s, const char *line)
{
	size_t w = strcspn(line, " ");
	const char *args = line[w] == ' ' ? line + w + 1 : line + w, *refusal = NULL;
	const struct session_cmd *c = session_lookup(line, w);
	size_t kw = c != NULL && c->keyword != NULL ? strlen(c->keyword) : 0;

	if (c == NULL)
		refusal = "500 5.5.2 Error: command not recognized";
	else if (c->flags & CMD_UNIMPLEMENTED)
		refusal = "502 5.5.1 Error: command not implemented";
	else if ((kw > 0 && strncasecmp(args, c->keyword, kw) != 0) ||
		 ((c->flags & CMD_NEEDS_ARGS) && *args == '\0') ||
		 ((c->flags & CMD_NO_ARGS) && *args != '\0'))
		refusal = "501 5.5.4 Syntax error in parameters or arguments";
	if (refusal == NULL) {
		c->handler(s, args + kw);
		return;
	}
	session_reply(s, "%s", refusal);
	if (++s->errors >= SESSION_ERRORS_MAX) {
		session_reply(s, "421 4.7.0 %s Error: too many errors", cfg->hostname);
		s->quit = 1;
	}
}

void session_run(int fd, const char *peer, unsigned long id)
{
	struct session *s = xcalloc(1, sizeof(*s));
	const char *err = NULL;

	cfg = settings();
	s->id = id;
	s->fd = fd;
	snprintf(s->peer, sizeof(s->peer), "%s", peer);
	stream_init(&s->in, fd, cfg->client_timeout_ms);
	smtp_client_init(&s->relay);
	body_init(&s->body);
	log_debug("s%lu: connect from %s", id, peer);
	session_reply(s, "220 %s ESMTP mxscan-filter", cfg->hostname);
	while (!s->quit) {
		enum stream_result st;
		size_t len;
		char *line;

		st = stream_read_line(&s->in, SESSION_LINE_MAX, STREAM_EOL_LF, &line, &len, &err);
		if (st == STREAM_TOO_LONG) {
			session_reply(s, "500 5.5.2 Error: line too long");
			if (++s->errors >= SESSION_ERRORS_MAX)
				break;
			continue;
		}
		if (st == STREAM_TIMEOUT) {
			session_reply(s, "421 4.4.2 %s Error: timeout exceeded", cfg->hostname);
			log_info("s%lu: timeout from %s", id, peer);
			break;
		}
		if (st != STREAM_OK)
			break;
		if (memchr(line, '\0', len) != NULL) {
			session_reply(s, "500 5.5.2 Error: NUL in command");
			if (++s->errors >= SESSION_ERRORS_MAX)
				break;
			continue;
		}
		session_command(s, line);
	}
	/* The last replies (221, 421) leave before the forward side is closed. */
	stream_flush(&s->in, &err);
	if (s->in_mail)
		smtp_client_abandon(&s->relay);
	session_reset(s);
	smtp_client_quit(&s->relay);
	log_debug("s%lu: disconnect from %s", id, peer);
	stream_free(&s->in);
	free(s);
	close(fd);
}
