/*
 * client_mime.c - an incremental MIMESCAN with a kept copy for failover
 * (see client_mime.h).
 *
 * DIAGNOSTICS: nothing is logged here; why a scanner was given up is in
 * the result's detail.
 */
#include "auto-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buffer.h"
#include "common/client_mime.h"
#include "common/proto.h"
#include "common/sock.h"
#include "common/stream.h"
#include "common/xalloc.h"

struct client_mime {
	struct client_options opts;
	int facts;		/* MIMEFACTS, not MIMESCAN */
	long long start;
	size_t total;		/* bytes written by the caller */
	/* the live MIMESCAN */
	int current;		/* endpoint index, -1: none reachable at open */
	int sock;		/* -1 once dropped */
	struct stream st;
	char why[256];		/* why the live scanner was given up */
	/* an early answer (a refusal while we still wrote) */
	int answered;
	char *early;
	struct client_result early_res;
	/* the kept copy */
	int keep;		/* a copy is kept (failover possible) */
	int keep_failed;	/* it could not be kept: no failover */
	size_t memory_max;
	const char *spool_dir;
	struct buffer mem;
	int fd;			/* spool file, -1 while in memory */
};

/* client_mime_endpoints - how many endpoints OPTS lists. */
static int client_mime_endpoints(const struct client_options *opts)
{
	int n = 0;

	while (opts->endpoints != NULL && opts->endpoints[n] != NULL)
		n++;
	return n;
}

struct client_mime *client_mime_open(const struct client_options *opts, int facts,
				     size_t memory_max, const char *spool_dir)
{
	struct client_mime *cm = xcalloc(1, sizeof(*cm));
	int i, n = client_mime_endpoints(opts);

	cm->opts = *opts;
	cm->facts = facts;
	cm->start = sock_now_ms();
	cm->current = -1;
	cm->sock = -1;
	cm->fd = -1;
	cm->memory_max = memory_max;
	cm->spool_dir = spool_dir;
	snprintf(cm->why, sizeof(cm->why), "no scanner endpoints configured");
	for (i = 0; i < n; i++) {
		const char *err = NULL;
		int is_unix;
		int sock = sock_connect(opts->endpoints[i], opts->connect_timeout_ms, &is_unix, &err);

		if (sock < 0) {
			snprintf(cm->why, sizeof(cm->why), "%s", err);
			continue;
		}
		cm->current = i;
		cm->sock = sock;
		/* each wait while the message arrives is bounded; the deadline
		 * for the verdict starts at client_mime_finish */
		stream_init(&cm->st, sock, opts->timeout_ms);
		if (stream_write(&cm->st, facts ? "zMIMEFACTS" : "zMIMESCAN",
				 facts ? 11 : 10, &err) != STREAM_OK)
			snprintf(cm->why, sizeof(cm->why), "write to scanner: %s", err);
		break;
	}
	cm->keep = cm->current < 0 || cm->current + 1 < n;
	return cm;
}

/* client_mime_file_write - LEN bytes to the spool file. */
static int client_mime_file_write(int fd, const char *buf, size_t len, const char **error_r)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*error_r = "cannot write the failover copy to the spool file";
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* client_mime_spill - move the copy from memory to a 0600 spool file. */
static int client_mime_spill(struct client_mime *cm, const char **error_r)
{
	char *path;

	if (cm->spool_dir == NULL) {
		*error_r = "message larger than the memory kept for failover";
		return -1;
	}
	path = xasprintf("%s/mimescan.XXXXXX", cm->spool_dir);
	cm->fd = mkstemp(path);	/* 0600 */
	if (cm->fd < 0) {
		free(path);
		*error_r = "cannot create a spool file for the failover copy";
		return -1;
	}
	unlink(path);
	free(path);
	if (client_mime_file_write(cm->fd, buffer_data(&cm->mem), buffer_len(&cm->mem), error_r) < 0)
		return -1;
	buffer_free(&cm->mem);
	return 0;
}

/* client_mime_keep - add LEN bytes to the copy; on trouble the copy is dropped. */
static void client_mime_keep(struct client_mime *cm, const void *buf, size_t len)
{
	const char *err = NULL;

	if (!cm->keep || cm->keep_failed)
		return;
	if (cm->fd < 0 && buffer_len(&cm->mem) + len <= cm->memory_max) {
		buffer_append(&cm->mem, buf, len);
		return;
	}
	if ((cm->fd >= 0 || client_mime_spill(cm, &err) == 0) &&
	    client_mime_file_write(cm->fd, buf, len, &err) == 0)
		return;
	cm->keep_failed = 1;
	buffer_free(&cm->mem);
	if (cm->sock < 0)
		snprintf(cm->why, sizeof(cm->why), "%s", err);
}

/* client_mime_drop - give up the live scanner (WHY says why). */
static void client_mime_drop(struct client_mime *cm, const char *why)
{
	if (cm->sock < 0)
		return;
	snprintf(cm->why, sizeof(cm->why), "%s", why);
	stream_free(&cm->st);
	close(cm->sock);
	cm->sock = -1;
}

/*
 * client_mime_refused - the live scanner stopped taking bytes (RES, not
 * a time-out): it may have answered and closed (a stream over its
 * limit).  A readable verdict ends the request; anything else drops it.
 */
static void client_mime_refused(struct client_mime *cm, const char *err)
{
	char reply[1024];
	const char *rerr = NULL;
	struct client_result *r = &cm->early_res;

	stream_set_deadline(&cm->st, sock_now_ms() + cm->opts.connect_timeout_ms);
	/* A refusal may come while we still write; a clean verdict may not:
	 * the scanner cannot have seen all of what it would call clean. */
	if (client_reply_read(&cm->st, reply, sizeof(reply), &rerr) >= 0 &&
	    client_reply_mime(reply, r) != CLIENT_TEMPFAIL && r->status != CLIENT_CLEAN) {
		cm->answered = 1;
		cm->early = xstrdup(reply);
		snprintf(r->endpoint, sizeof(r->endpoint), "%s", cm->opts.endpoints[cm->current]);
		/* the answer is final: no copy is needed any more */
		cm->keep = 0;
		buffer_free(&cm->mem);
		client_mime_drop(cm, "answered");
		return;
	}
	client_mime_drop(cm, err);
}

/* client_mime_send - LEN bytes as INSTREAM chunks on the live connection. */
static void client_mime_send(struct client_mime *cm, const char *buf, size_t len)
{
	while (cm->sock >= 0 && len > 0) {
		size_t n = len > PROTO_CHUNK_SIZE ? PROTO_CHUNK_SIZE : len;
		unsigned char hdr[4];
		const char *err = NULL;
		enum stream_result r;

		proto_chunk_header(hdr, (uint32_t)n);
		r = stream_write(&cm->st, hdr, 4, &err);
		if (r == STREAM_OK)
			r = stream_write(&cm->st, buf, n, &err);
		if (r == STREAM_TIMEOUT) {
			client_mime_drop(cm, "write to scanner: time-out");
		} else if (r != STREAM_OK) {
			char why[160];

			snprintf(why, sizeof(why), "write to scanner: %s", err);
			client_mime_refused(cm, why);
		}
		buf += n;
		len -= n;
	}
}

int client_mime_write(struct client_mime *cm, const void *buf, size_t len,
		      const char **error_r)
{
	cm->total += len;
	if (cm->answered)
		return 0;
	client_mime_keep(cm, buf, len);
	client_mime_send(cm, buf, len);
	if (cm->sock < 0 && !cm->answered && (!cm->keep || cm->keep_failed)) {
		*error_r = cm->why;
		return -1;
	}
	return 0;
}

/* client_mime_live - end the stream on the live connection and read its verdict. */
static enum client_status client_mime_live(struct client_mime *cm, long long deadline,
					   char *reply, size_t size, struct client_result *r)
{
	static const unsigned char end[4];
	const char *err = NULL;
	enum stream_result wr;

	snprintf(r->endpoint, sizeof(r->endpoint), "%s", cm->opts.endpoints[cm->current]);
	stream_set_deadline(&cm->st, deadline);
	wr = stream_write(&cm->st, end, 4, &err);
	if (wr == STREAM_OK)
		wr = stream_flush(&cm->st, &err);
	/* a scanner that refused answers before it closes: read anyway */
	if (client_reply_read(&cm->st, reply, size, &err) < 0) {
		client_mime_drop(cm, err);
		return r->status = CLIENT_TEMPFAIL;
	}
	if (client_reply_mime(reply, r) == CLIENT_TEMPFAIL) {
		client_mime_drop(cm, r->detail);
	} else if (wr != STREAM_OK && r->status == CLIENT_CLEAN) {
		/* clean, yet the end of the stream never reached it */
		snprintf(r->detail, sizeof(r->detail), "write to scanner: %s",
			 err != NULL ? err : "failed");
		client_mime_drop(cm, r->detail);
		r->status = CLIENT_TEMPFAIL;
	}
	return r->status;
}

enum client_status client_mime_finish(struct client_mime *cm, char *reply, size_t size,
				      struct client_result *result)
{
	long long deadline = sock_now_ms() + cm->opts.timeout_ms;
	int first = cm->current + 1;	/* 0 when nothing was reachable */
	/* with a copy to replay, a hung scanner may use only half of the time */
	long long live_deadline = cm->keep && !cm->keep_failed ?
				  sock_now_ms() + cm->opts.timeout_ms / 2 : deadline;

	memset(result, 0, sizeof(*result));
	result->status = CLIENT_TEMPFAIL;
	if (cm->answered) {
		*result = cm->early_res;
		snprintf(reply, size, "%s", cm->early);
	} else if (cm->sock >= 0 &&
		   client_mime_live(cm, live_deadline, reply, size, result) != CLIENT_TEMPFAIL) {
		/* the streaming scanner answered */
	} else if (cm->keep && !cm->keep_failed) {
		client_scan_mime_from(&cm->opts, first, deadline, cm->fd,
				      buffer_data(&cm->mem), buffer_len(&cm->mem), cm->facts, reply,
				      size, result);
		if (result->status == CLIENT_TEMPFAIL && cm->current >= 0 &&
		    strcmp(result->detail, "no further scanner endpoint") == 0)
			snprintf(result->detail, sizeof(result->detail), "%s", cm->why);
	} else {
		snprintf(result->detail, sizeof(result->detail), "%s", cm->why);
		if (cm->current >= 0)
			snprintf(result->endpoint, sizeof(result->endpoint), "%s",
				 cm->opts.endpoints[cm->current]);
	}
	client_mime_drop(cm, "finished");
	result->ms = sock_now_ms() - cm->start;
	return result->status;
}

size_t client_mime_bytes(const struct client_mime *cm)
{
	return cm->total;
}

void client_mime_free(struct client_mime **cmp)
{
	struct client_mime *cm = *cmp;

	if (cm == NULL)
		return;
	client_mime_drop(cm, "freed");
	if (cm->fd >= 0)
		close(cm->fd);
	buffer_free(&cm->mem);
	free(cm->early);
	free(cm);
	*cmp = NULL;
}
