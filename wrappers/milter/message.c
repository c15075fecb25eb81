/*
 * message.c - one message streamed to mxscand as it arrives (see
 * message.h).
 */
#include "auto-config.h"

#include <stdlib.h>
#include <string.h>

#include "common/buffer.h"
#include "common/client_mime.h"
#include "common/xalloc.h"
#include "wrappers/milter/message.h"
#include "wrappers/milter/spool.h"

struct message {
	const struct settings *s;
	struct client_mime *scan;	/* NULL until the header block goes out */
	int body_started;	/* the blank line after the header was sent */
	struct buffer head;	/* header block not sent yet */
	struct headers headers;
	size_t size;		/* bytes sent to the scan */
	char *reply;
};

struct message *message_new(const struct settings *s)
{
	struct message *m = xcalloc(1, sizeof(*m));

	m->s = s;
	return m;
}

/* message_send - BUF to the scan, opening it first. */
static void message_send(struct message *m, const void *buf, size_t len)
{
	const char *err = NULL;

	m->size += len;
	if (m->scan == NULL)
		m->scan = client_mime_open(&m->s->client, m->s->facts, m->s->memory_max,
					   spool_dir());
	/* a failure shows at message_finish as CLIENT_TEMPFAIL */
	(void)client_mime_write(m->scan, buf, len, &err);
}

/* message_flush_head - send the collected header fields. */
static void message_flush_head(struct message *m)
{
	message_send(m, buffer_data(&m->head), buffer_len(&m->head));
	buffer_free(&m->head);
}

void message_header(struct message *m, const char *name, const char *value, int leadspc)
{
	const char *p;

	headers_note(&m->headers, name);
	if (m->body_started)
		return;	/* libmilter never does this; nothing to add to */
	buffer_appendf(&m->head, "%s:%s", name, leadspc ? "" : " ");
	for (p = value; *p != '\0'; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			buffer_append(&m->head, "\r", 1);
		buffer_append(&m->head, p, 1);
	}
	buffer_append(&m->head, "\r\n", 2);
	if (buffer_len(&m->head) > MESSAGE_HEAD_MAX)
		message_flush_head(m);
}

/* message_end_head - the rest of the header block and its blank line. */
static void message_end_head(struct message *m)
{
	if (m->body_started)
		return;
	buffer_append(&m->head, "\r\n", 2);
	message_flush_head(m);
	m->body_started = 1;
}

void message_eoh(struct message *m)
{
	message_end_head(m);
}

void message_body(struct message *m, const void *buf, size_t len)
{
	message_end_head(m);
	message_send(m, buf, len);
}

void message_finish(struct message *m, struct client_result *res)
{
	message_end_head(m);
	free(m->reply);
	m->reply = xmalloc(MESSAGE_REPLY_MAX);
	m->reply[0] = '\0';
	client_mime_finish(m->scan, m->reply, MESSAGE_REPLY_MAX, res);
	client_mime_free(&m->scan);
}

const char *message_reply(const struct message *m)
{
	return m->reply != NULL ? m->reply : "";
}

size_t message_size(const struct message *m)
{
	return m->size;
}

const struct headers *message_headers(const struct message *m)
{
	return &m->headers;
}

void message_free(struct message **mp)
{
	struct message *m = *mp;

	if (m == NULL)
		return;
	client_mime_free(&m->scan);
	buffer_free(&m->head);
	free(m->reply);
	free(m);
	*mp = NULL;
}
