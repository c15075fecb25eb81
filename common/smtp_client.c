/*
 * smtp_client.c - SMTP client connection and reply parsing (see smtp_client.h).
 */
#include "auto-config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/smtp_client.h"
#include "common/smtp_data.h"
#include "common/sock.h"
#include "common/xalloc.h"

/* smtp_reply_bad - no reply: code 0, WHY in *error_r. */
static int smtp_reply_bad(struct smtp_reply *rep, const char *why, const char **error_r)
{
	rep->code = 0;
	*error_r = why;
	return -1;
}

/* smtp_reply_read - one whole (multi-line) reply. */
int smtp_reply_read(struct stream *in, struct smtp_reply *rep, const char **error_r)
{
	size_t len, used = 0;
	int lines = 0;
	char *line;

	rep->code = 0;
	rep->text[0] = '\0';
	for (;;) {
		enum stream_result st = stream_read_line(in, SMTP_REPLY_LINE_MAX, STREAM_EOL_LF, &line,
							 &len, error_r);
		int code;

		if (st != STREAM_OK)
			return smtp_reply_bad(rep, *error_r, error_r);
		if (len < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) || !isdigit((unsigned char)line[2]) ||
		    (len > 3 && line[3] != ' ' && line[3] != '-'))
			return smtp_reply_bad(rep, "malformed reply", error_r);
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (lines > 0 && code != rep->code)
			return smtp_reply_bad(rep, "inconsistent multi-line reply", error_r);
		rep->code = code;
		if (++lines > SMTP_REPLY_LINES_MAX)
			return smtp_reply_bad(rep, "reply has too many lines", error_r);
		if (used + len + 2 < sizeof(rep->text)) {
			if (used > 0) {
				memcpy(rep->text + used, "\r\n", 2);
				used += 2;
			}
			memcpy(rep->text + used, line, len);
			used += len;
			rep->text[used] = '\0';
		}
		if (len == 3 || line[3] == ' ')
			break;
	}
	if (rep->code < 200 || rep->code > 599)
		return smtp_reply_bad(rep, "reply code out of range", error_r);
	return 0;
}

/* smtp_reply_ehlo - the extensions in an EHLO reply. */
int smtp_reply_ehlo(const char *text, char *attrs, size_t size)
{
	const char *line = text;
	int ext = 0;

	if (size > 0)
		attrs[0] = '\0';
	while (line != NULL && *line != '\0') {
		const char *end = strstr(line, "\r\n");
		size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
		char kw[SMTP_REPLY_LINE_MAX + 1];

		if (n > 4 && line != text) {
			snprintf(kw, sizeof(kw), "%.*s", (int)(n - 4), line + 4);
			if (strcasecmp(kw, "PIPELINING") == 0)
				ext |= SMTP_EXT_PIPELINING;
			else if (strcasecmp(kw, "8BITMIME") == 0)
				ext |= SMTP_EXT_8BITMIME;
			else if (strcasecmp(kw, "SMTPUTF8") == 0)
				ext |= SMTP_EXT_SMTPUTF8;
			else if (strcasecmp(kw, "DSN") == 0)
				ext |= SMTP_EXT_DSN;
			else if (strcasecmp(kw, "ENHANCEDSTATUSCODES") == 0)
				ext |= SMTP_EXT_ENHANCED;
			else if (strncasecmp(kw, "SIZE", 4) == 0 && (kw[4] == '\0' || kw[4] == ' '))
				ext |= SMTP_EXT_SIZE;
			else if (strncasecmp(kw, "XFORWARD", 8) == 0 && kw[8] == ' ') {
				size_t i;

				ext |= SMTP_EXT_XFORWARD;
				snprintf(attrs, size, "%s", kw + 9);
				for (i = 0; attrs[i] != '\0'; i++)
					if (!isalnum((unsigned char)attrs[i]))
						attrs[i] = ' ';
			}
		}
		line = end != NULL ? end + 2 : NULL;
	}
	return ext;
}

/* smtp_reply_relayed - REP as the proxy's own reply. */
void smtp_reply_relayed(const struct smtp_reply *rep, char *out, size_t size)
{
	char *p;

	if (rep->code == 0) {
		snprintf(out, size, "451 4.4.2 Error: forward server unavailable, try again later");
		return;
	}
	snprintf(out, size, "%s", rep->text);
	for (p = out; rep->code == 421 && p != NULL; p = strstr(p, "\r\n")) {
		if (*p == '\r')
			p += 2;
		if (strncmp(p, "421", 3) == 0)
			memcpy(p, "451", 3);
	}
}

/* smtp_client_init - not connected. */
void smtp_client_init(struct smtp_client *c)
{
	c->fd = -1;
	c->ext = 0;
	c->xforward_attrs[0] = '\0';
	stream_init(&c->s, -1, 0);
}

/* smtp_client_connected - whether a connection is open. */
int smtp_client_connected(const struct smtp_client *c)
{
	return c->fd >= 0;
}

/* smtp_client_close - close at once. */
void smtp_client_close(struct smtp_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	stream_free(&c->s);
	smtp_client_init(c);
}

/* smtp_client_set_deadline - cap the coming steps. */
void smtp_client_set_deadline(struct smtp_client *c, long long deadline)
{
	if (c->fd >= 0)
		stream_set_deadline(&c->s, deadline);
}

/* smtp_client_fail - no reply: record WHY as code 0 and close. */
static int smtp_client_fail(struct smtp_client *c, struct smtp_reply *rep, const char *what,
			    const char *why)
{
	rep->code = 0;
	snprintf(rep->text, sizeof(rep->text), "%s: %s", what, why);
	smtp_client_close(c);
	return -1;
}

/* smtp_client_reply - read a reply; a failure or a 421 closes. */
static int smtp_client_reply(struct smtp_client *c, const char *what, struct smtp_reply *rep)
{
	const char *err = NULL;

	if (smtp_reply_read(&c->s, rep, &err) < 0)
		return smtp_client_fail(c, rep, what, err);
	if (rep->code == 421)	/* the server is going away */
		smtp_client_close(c);
	return 0;
}

/* smtp_client_open - connect, greeting, EHLO (or HELO). */
int smtp_client_open(struct smtp_client *c, const char *endpoint, const char *helo_name,
		     int timeout_ms, long long deadline, struct smtp_reply *rep)
{
	const char *err = NULL;
	char *ep, line[512];
	int is_unix, fd, left = timeout_ms;

	smtp_client_close(c);
	if (strncmp(endpoint, "tcp:", 4) == 0 || strncmp(endpoint, "unix:", 5) == 0 ||
	    endpoint[0] == '/')
		ep = xstrdup(endpoint);
	else
		ep = xasprintf("tcp:%s", endpoint);
	if (deadline != 0 && deadline - sock_now_ms() < left)
		left = (int)(deadline - sock_now_ms());
	fd = left > 0 ? sock_connect(ep, left, &is_unix, &err) : -1;
	free(ep);
	if (fd < 0)
		return smtp_client_fail(c, rep, "connect", err != NULL ? err : "time-out");
	c->fd = fd;
	stream_init(&c->s, fd, timeout_ms);
	stream_set_deadline(&c->s, deadline);
	if (smtp_client_reply(c, "greeting", rep) < 0)
		return -1;
	if (rep->code != 220) {
		smtp_client_close(c);
		return -1;
	}
	snprintf(line, sizeof(line), "EHLO %s", helo_name);
	if (smtp_client_command(c, line, rep) < 0)
		return -1;
	if (rep->code == 250) {
		c->ext = smtp_reply_ehlo(rep->text, c->xforward_attrs, sizeof(c->xforward_attrs));
		return 0;
	}
	snprintf(line, sizeof(line), "HELO %s", helo_name);
	if (smtp_client_command(c, line, rep) < 0)
		return -1;
	if (rep->code != 250) {
		smtp_client_close(c);
		return -1;
	}
	return 0;
}

/* smtp_client_command - one command line and its reply. */
int smtp_client_command(struct smtp_client *c, const char *line, struct smtp_reply *rep)
{
	size_t n = strlen(line);
	const char *err = NULL;

	if (c->fd < 0)
		return smtp_client_fail(c, rep, "command", "not connected");
	if (n + 2 > SMTP_REPLY_MAX)
		return smtp_client_fail(c, rep, "command", "command too long");
	if (stream_write(&c->s, line, n, &err) != STREAM_OK ||
	    stream_write(&c->s, "\r\n", 2, &err) != STREAM_OK ||
	    stream_flush(&c->s, &err) != STREAM_OK)
		return smtp_client_fail(c, rep, "write", err);
	return smtp_client_reply(c, "reply", rep);
}

/* smtp_client_data - DATA, the message, the reply to its end. */
int smtp_client_data(struct smtp_client *c, int fd, size_t len, const char *prefix,
		     struct smtp_reply *rep)
{
	const char *err = NULL;

	if (smtp_client_command(c, "DATA", rep) < 0)
		return -1;
	if (rep->code != 354)
		return 0;
	if (smtp_data_send(&c->s, fd, len, prefix, &err) < 0)
		return smtp_client_fail(c, rep, "sending the message", err);
	return smtp_client_reply(c, "end of data", rep);
}

/* smtp_client_abandon - RSET; a connection that refuses it is closed. */
void smtp_client_abandon(struct smtp_client *c)
{
	struct smtp_reply rep;

	if (c->fd >= 0 && smtp_client_command(c, "RSET", &rep) == 0 && rep.code != 250)
		smtp_client_close(c);
}

/* smtp_client_quit - QUIT within at most 5 s, then close. */
void smtp_client_quit(struct smtp_client *c)
{
	struct smtp_reply rep;

	if (c->fd < 0)
		return;
	if (c->s.timeout_ms == 0 || c->s.timeout_ms > 5000)
		stream_set_timeout(&c->s, 5000);
	smtp_client_command(c, "QUIT", &rep);
	smtp_client_close(c);
}
