/*
 * relay.c - SMTP client to the forward server (see relay.h).
 */
#include "auto-config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/sock.h"
#include "common/xalloc.h"
#include "wrappers/filter/relay.h"

void relay_init(struct relay *r)
{
	r->fd = -1;
	r->ext = 0;
	r->xforward_attrs[0] = '\0';
}

int relay_connected(const struct relay *r)
{
	return r->fd >= 0;
}

void relay_close(struct relay *r)
{
	if (r->fd >= 0)
		close(r->fd);
	relay_init(r);
}

void relay_set_deadline(struct relay *r, long long deadline)
{
	if (r->fd >= 0)
		r->s.deadline = deadline;
}

/* relay_fail - no reply: record WHY as code 0 and close. */
static int relay_fail(struct relay *r, struct relay_reply *rep, const char *what,
		      const char *why)
{
	rep->code = 0;
	snprintf(rep->text, sizeof(rep->text), "%s: %s", what, why);
	relay_close(r);
	return -1;
}

/* relay_read_reply - one whole (multi-line) reply. */
static int relay_read_reply(struct relay *r, const char *what, struct relay_reply *rep)
{
	char line[RELAY_LINE_MAX];
	size_t len, used = 0;
	int lines = 0;

	rep->code = 0;
	rep->text[0] = '\0';
	for (;;) {
		enum stream_status st = stream_getline(&r->s, line, sizeof(line), &len);
		int code;

		if (st != STREAM_OK)
			return relay_fail(r, rep, what, stream_strerror(st));
		if (len < 3 || !isdigit((unsigned char)line[0]) ||
		    !isdigit((unsigned char)line[1]) || !isdigit((unsigned char)line[2]) ||
		    (len > 3 && line[3] != ' ' && line[3] != '-'))
			return relay_fail(r, rep, what, "malformed reply");
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (lines > 0 && code != rep->code)
			return relay_fail(r, rep, what, "inconsistent multi-line reply");
		rep->code = code;
		if (++lines > 100)
			return relay_fail(r, rep, what, "reply has too many lines");
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
		return relay_fail(r, rep, what, "reply code out of range");
	if (rep->code == 421)	/* the server is going away */
		relay_close(r);
	return 0;
}

/* relay_parse_ehlo - the extensions in an EHLO reply. */
static void relay_parse_ehlo(struct relay *r, const char *text)
{
	const char *line = text;

	while (line != NULL && *line != '\0') {
		const char *end = strstr(line, "\r\n");
		size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
		char kw[RELAY_LINE_MAX];

		if (n > 4 && line != text) {
			snprintf(kw, sizeof(kw), "%.*s", (int)(n - 4), line + 4);
			if (strcasecmp(kw, "PIPELINING") == 0)
				r->ext |= RELAY_EXT_PIPELINING;
			else if (strcasecmp(kw, "8BITMIME") == 0)
				r->ext |= RELAY_EXT_8BITMIME;
			else if (strcasecmp(kw, "SMTPUTF8") == 0)
				r->ext |= RELAY_EXT_SMTPUTF8;
			else if (strcasecmp(kw, "DSN") == 0)
				r->ext |= RELAY_EXT_DSN;
			else if (strcasecmp(kw, "ENHANCEDSTATUSCODES") == 0)
				r->ext |= RELAY_EXT_ENHANCED;
			else if (strncasecmp(kw, "SIZE", 4) == 0 && (kw[4] == '\0' || kw[4] == ' '))
				r->ext |= RELAY_EXT_SIZE;
			else if (strncasecmp(kw, "XFORWARD", 8) == 0 && kw[8] == ' ') {
				size_t i;

				r->ext |= RELAY_EXT_XFORWARD;
				snprintf(r->xforward_attrs, sizeof(r->xforward_attrs), "%s", kw + 9);
				for (i = 0; r->xforward_attrs[i] != '\0'; i++)
					if (!isalnum((unsigned char)r->xforward_attrs[i]))
						r->xforward_attrs[i] = ' ';
			}
		}
		line = end != NULL ? end + 2 : NULL;
	}
}

int relay_open(struct relay *r, const char *endpoint, const char *helo_name, int timeout_ms,
	       long long deadline, struct relay_reply *rep)
{
	const char *err = NULL;
	char *ep, line[512];
	int is_unix, fd, left = timeout_ms;

	relay_close(r);
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
		return relay_fail(r, rep, "connect", err != NULL ? err : "time-out");
	r->fd = fd;
	stream_init(&r->s, fd, timeout_ms);
	r->s.deadline = deadline;
	if (relay_read_reply(r, "greeting", rep) < 0)
		return -1;
	if (rep->code != 220) {
		relay_close(r);
		return -1;
	}
	snprintf(line, sizeof(line), "EHLO %s", helo_name);
	if (relay_command(r, line, rep) < 0)
		return -1;
	if (rep->code == 250) {
		relay_parse_ehlo(r, rep->text);
		return 0;
	}
	snprintf(line, sizeof(line), "HELO %s", helo_name);
	if (relay_command(r, line, rep) < 0)
		return -1;
	if (rep->code != 250) {
		relay_close(r);
		return -1;
	}
	return 0;
}

int relay_command(struct relay *r, const char *line, struct relay_reply *rep)
{
	char buf[RELAY_REPLY_MAX];
	size_t n = strlen(line);
	enum stream_status st;

	if (r->fd < 0)
		return relay_fail(r, rep, "command", "not connected");
	if (n + 2 > sizeof(buf))
		return relay_fail(r, rep, "command", "command too long");
	memcpy(buf, line, n);
	memcpy(buf + n, "\r\n", 2);
	st = stream_write(&r->s, buf, n + 2);
	if (st != STREAM_OK)
		return relay_fail(r, rep, "write", stream_strerror(st));
	return relay_read_reply(r, "reply", rep);
}

int relay_data(struct relay *r, const struct body *b, const char *prefix,
	       struct relay_reply *rep)
{
	const char *err = NULL;

	if (relay_command(r, "DATA", rep) < 0)
		return -1;
	if (rep->code != 354)
		return 0;
	if (body_send(b, prefix, &r->s, &err) < 0)
		return relay_fail(r, rep, "sending the message", err);
	return relay_read_reply(r, "end of data", rep);
}

void relay_abandon(struct relay *r)
{
	struct relay_reply rep;

	if (r->fd >= 0 && relay_command(r, "RSET", &rep) == 0 && rep.code != 250)
		relay_close(r);
}

void relay_reply_text(const struct relay_reply *rep, char *out, size_t size)
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

void relay_quit(struct relay *r)
{
	struct relay_reply rep;

	if (r->fd < 0)
		return;
	r->s.timeout_ms = r->s.timeout_ms > 5000 ? 5000 : r->s.timeout_ms;
	relay_command(r, "QUIT", &rep);
	relay_close(r);
}
