/*
 * client.c - the scanner client: endpoint failover, FILDES, INSTREAM and
 * path requests, reply classification (see client.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/client.h"
#include "common/config.h"
#include "common/mimescan.h"
#include "common/proto.h"
#include "common/sock.h"
#include "common/stream.h"

void client_options_from_config(struct client_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	config_list(CONF_SCANNER_ENDPOINTS, &opts->endpoints);
	opts->connect_timeout_ms = (int)config_num(CONF_SCANNER_CONNECT_TIMEOUT);
	opts->timeout_ms = (int)config_num(CONF_SCANNER_TIMEOUT);
	opts->mode = CLIENT_MODE_AUTO;
}

/* What one attempt at one endpoint sends. */
struct client_request {
	int fd;			/* file to scan, or -1 */
	const char *path;
	const void *buf;	/* or memory to scan */
	size_t len;
	const char *command;	/* or a bare command (client_command) */
	int unseekable;		/* fd cannot be rewound for another endpoint */
	int consumed;		/* bytes of an unseekable fd were read */
	int mime;		/* MIMESCAN (1), MIMEFACTS (2) or PARTFACTS (3) instead of INSTREAM */
};

static enum client_status client_fail(struct client_result *r, enum client_status st,
				      const char *why)
{
	r->status = st;
	snprintf(r->detail, sizeof(r->detail), "%s", why);
	return st;
}

/* client_write_failed - "write to scanner: ERR" in *error_r; returns -1. */
static int client_write_failed(const char *err, const char **error_r)
{
	static __thread char why[128];

	snprintf(why, sizeof(why), "write to scanner: %s", err);
	*error_r = why;
	return -1;
}

/* client_write - queue LEN bytes of the request. */
static int client_write(struct stream *st, const void *buf, size_t len, const char **error_r)
{
	const char *err = NULL;

	if (stream_write(st, buf, len, &err) != STREAM_OK)
		return client_write_failed(err, error_r);
	return 0;
}

/* client_flush - send what the request queued. */
static int client_flush(struct stream *st, const char **error_r)
{
	const char *err = NULL;

	if (stream_flush(st, &err) != STREAM_OK)
		return client_write_failed(err, error_r);
	return 0;
}

/*
 * client_reply_read - read up to the NUL terminator.  A reply the scanner
 * cut short (it closed, stopped or crashed before the terminator) is an
 * error, never parsed: a MIMESCAN reply cut after a part line could read
 * as a verdict.
 */
int client_reply_read(struct stream *st, char *reply, size_t size, const char **error_r)
{
	static __thread char why[128];
	const char *err = NULL;
	char *line;
	size_t len;

	switch (stream_read_line(st, size - 1, STREAM_EOL_NUL, &line, &len, &err)) {
	case STREAM_OK:
		break;
	case STREAM_TOO_LONG:
		*error_r = "reply too long";
		return -1;
	case STREAM_EOF:
		*error_r = stream_input_len(st) == 0 ?
			   "scanner closed the connection without a reply" :
			   "scanner closed the connection in the middle of its reply";
		return -1;
	default:
		snprintf(why, sizeof(why), "read from scanner: %s", err);
		*error_r = why;
		return -1;
	}
	memcpy(reply, line, len + 1);
	return (int)len;
}

/* client_send_stream - INSTREAM chunks from a descriptor or memory. */
static int client_send_stream(struct stream *st, struct client_request *rq, const char **error_r)
{
	static const char *const cmds[] = {"zINSTREAM", "zMIMESCAN", "zMIMEFACTS", "zPARTFACTS"};
	const char *cmd = cmds[rq->mime];
	unsigned char hdr[4];
	char *chunk = NULL;
	size_t off = 0;
	int ret = -1;

	if (client_write(st, cmd, strlen(cmd) + 1, error_r) < 0)
		return -1;
	if (rq->fd >= 0) {
		chunk = malloc(PROTO_CHUNK_SIZE);
		if (chunk == NULL) {
			*error_r = "out of memory";
			return -1;
		}
		if (lseek(rq->fd, 0, SEEK_SET) < 0 && errno != ESPIPE) {
			*error_r = "cannot rewind the input";
			goto out;
		}
	}
	for (;;) {
		const void *data;
		size_t n;

		if (rq->fd >= 0) {
			ssize_t r = read(rq->fd, chunk, PROTO_CHUNK_SIZE);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				*error_r = "cannot read the input";
				goto out;
			}
			data = chunk;
			n = (size_t)r;
			if (n > 0)
				rq->consumed = 1;
		} else {
			n = rq->len - off > PROTO_CHUNK_SIZE ? PROTO_CHUNK_SIZE : rq->len - off;
			data = (const char *)rq->buf + off;
			off += n;
		}
		proto_chunk_header(hdr, (uint32_t)n);
		if (client_write(st, hdr, 4, error_r) < 0)
			goto out;
		if (n == 0)
			break;
		if (client_write(st, data, n, error_r) < 0)
			goto out;
	}
	ret = client_flush(st, error_r);
out:
	free(chunk);
	return ret;
}

/* client_strip_subject - "stream: reason" -> "reason" for error texts. */
static void client_strip_subject(char *text)
{
	char *sep = strstr(text, ": ");

	if (sep != NULL && (strncmp(text, "stream", 6) == 0 || strncmp(text, "fd[", 3) == 0 ||
			    text[0] == '/'))
		memmove(text, sep + 2, strlen(sep + 2) + 1);
}

/* client_status_of - the status of a parsed verdict; DETAIL is its signature or reason. */
static enum client_status client_status_of(enum proto_verdict verdict, struct client_result *r)
{
	switch (verdict) {
	case PROTO_VERDICT_CLEAN:
		r->detail[0] = '\0';
		return r->status = CLIENT_CLEAN;
	case PROTO_VERDICT_INFECTED:
		return r->status = CLIENT_INFECTED;
	case PROTO_VERDICT_ERROR:
		break;
	}
	return r->status = proto_reason_is_limit(r->detail) ? CLIENT_LIMIT : CLIENT_SCAN_ERROR;
}

/*
 * client_reply_mime - a MIMESCAN reply (common/mimescan.h): its verdict
 * is its "stream: " line, or a one-line refusal.  The newlines before the
 * terminator are cut off in REPLY, so a caller prints the part lines as
 * the text up to its last newline.
 */
enum client_status client_reply_mime(char *reply, struct client_result *r)
{
	struct mimescan_final f;
	const char *err;
	size_t len = strlen(reply);
	int ret = mimescan_parse_reply(reply, len + 1, '\0', 0, &f, &err);

	while (len > 0 && reply[len - 1] == '\n')
		reply[--len] = '\0';
	if (ret < 0)
		return client_fail(r, CLIENT_TEMPFAIL, "unexpected reply from scanner");
	snprintf(r->detail, sizeof(r->detail), "%s", f.detail);
	if (f.refusal)
		client_strip_subject(r->detail);
	return client_status_of(f.verdict, r);
}

/* client_attempt - one request at one endpoint. */
static enum client_status client_attempt(const struct client_options *opts, const char *endpoint,
					 struct client_request *rq, long long deadline, char *reply,
					 size_t size, struct client_result *r)
{
	long long left = deadline - sock_now_ms();
	enum client_mode mode = opts->mode;
	enum proto_verdict verdict;
	const char *err = NULL, *rerr = NULL;
	int sock, is_unix, sent, n;
	char line[1024];
	struct stream st;

	snprintf(r->endpoint, sizeof(r->endpoint), "%s", endpoint);
	if (left <= 0)
		return client_fail(r, CLIENT_TEMPFAIL, "scanner time-out");
	sock = sock_connect(endpoint, left < opts->connect_timeout_ms ? (int)left :
			    opts->connect_timeout_ms, &is_unix, &err);
	if (sock < 0)
		return client_fail(r, CLIENT_TEMPFAIL, err);
	stream_init(&st, sock, 0);
	stream_set_deadline(&st, deadline);
	if (mode == CLIENT_MODE_AUTO)
		mode = is_unix && rq->fd >= 0 ? CLIENT_MODE_FDPASS : CLIENT_MODE_STREAM;
	if (rq->mime)
		mode = CLIENT_MODE_STREAM;
	if (rq->command != NULL) {
		snprintf(line, sizeof(line), "z%s", rq->command);
		sent = client_write(&st, line, strlen(line) + 1, &err);
	} else if (mode == CLIENT_MODE_FDPASS) {
		if (!is_unix || rq->fd < 0) {
			close(sock);
			return client_fail(r, CLIENT_TEMPFAIL,
					   "descriptor passing needs a UNIX socket endpoint");
		}
		sent = client_write(&st, "zFILDES", 8, &err);
		if (sent == 0)
			sent = client_flush(&st, &err);
		if (sent == 0)
			sent = sock_send_fd(sock, rq->fd, deadline, &err);
	} else if (mode == CLIENT_MODE_PATH) {
		snprintf(line, sizeof(line), "zSCAN %s", rq->path ? rq->path : "");
		sent = client_write(&st, line, strlen(line) + 1, &err);
	} else {
		sent = client_send_stream(&st, rq, &err);
	}
	if (sent == 0)
		sent = client_flush(&st, &err);
	/* A scanner that refuses a stream (size limit) answers and closes
	 * while we still write: read its reply before giving up. */
	n = client_reply_read(&st, reply, size, &rerr);
	stream_free(&st);
	close(sock);
	if (n < 0)
		return client_fail(r, CLIENT_TEMPFAIL, sent < 0 && err != NULL ? err : rerr);
	if (rq->command != NULL) {
		if (sent < 0)
			return client_fail(r, CLIENT_TEMPFAIL, err != NULL ? err : "send failed");
		r->status = CLIENT_CLEAN;
		return CLIENT_CLEAN;
	}
	if (rq->mime)
		client_reply_mime(reply, r);
	else if (proto_verdict_parse(reply, strlen(reply), &verdict, r->detail,
				     sizeof(r->detail)) < 0)
		return client_fail(r, CLIENT_TEMPFAIL, "unexpected reply from scanner");
	else {
		if (verdict == PROTO_VERDICT_ERROR)
			client_strip_subject(r->detail);
		client_status_of(verdict, r);
	}
	/* A refusal may come while we still write; a clean verdict may not:
	 * the scanner cannot have seen all of what it calls clean. */
	if (sent < 0 && r->status == CLIENT_CLEAN)
		return client_fail(r, CLIENT_TEMPFAIL, err != NULL ? err : "send failed");
	return r->status;
}

/*
 * client_run - try each endpoint in order until one gives an answer, all
 * within one deadline (timeout_ms covers the whole request, failover
 * included).  Input that cannot be rewound is never offered to a second
 * scanner once part of it was read: that scanner would see a truncated
 * stream and could call it clean.
 */
static enum client_status client_run(const struct client_options *opts,
				     struct client_request *rq, char *reply, size_t size,
				     struct client_result *r)
{
	long long start = sock_now_ms();
	long long deadline = start + opts->timeout_ms;
	int i;

	memset(r, 0, sizeof(*r));
	client_fail(r, CLIENT_TEMPFAIL, "no scanner endpoints configured");
	if (rq->fd >= 0 && lseek(rq->fd, 0, SEEK_CUR) < 0 && errno == ESPIPE)
		rq->unseekable = 1;
	for (i = 0; opts->endpoints != NULL && opts->endpoints[i] != NULL; i++) {
		if (client_attempt(opts, opts->endpoints[i], rq, deadline, reply, size, r) !=
		    CLIENT_TEMPFAIL)
			break;
		if (rq->unseekable && rq->consumed)
			break;
		if (sock_now_ms() >= deadline)
			break;
	}
	r->ms = sock_now_ms() - start;
	return r->status;
}

enum client_status client_scan_fd(const struct client_options *opts, int fd, const char *path,
				  struct client_result *result)
{
	struct client_request rq = {.fd = fd, .path = path};
	char reply[2048];

	return client_run(opts, &rq, reply, sizeof(reply), result);
}

enum client_status client_scan_buffer(const struct client_options *opts, const void *buf,
				      size_t len, struct client_result *result)
{
	struct client_request rq = {.fd = -1, .buf = buf, .len = len};
	char reply[2048];

	return client_run(opts, &rq, reply, sizeof(reply), result);
}

int client_command(const struct client_options *opts, const char *command, char *reply,
		   size_t size, struct client_result *result)
{
	struct client_request rq = {.fd = -1, .command = command};

	return client_run(opts, &rq, reply, size, result) == CLIENT_TEMPFAIL ? -1 : 0;
}

enum client_status client_scan_mime(const struct client_options *opts, int fd, char *reply,
				    size_t size, struct client_result *result)
{
	struct client_request rq = {.fd = fd, .mime = 1};

	return client_run(opts, &rq, reply, size, result);
}

enum client_status client_scan_mime_from(const struct client_options *opts, int first,
					 long long deadline, int fd, const void *buf, size_t len,
					 int facts, char *reply, size_t size,
					 struct client_result *result)
{
	struct client_request rq = {.fd = fd, .buf = buf, .len = len, .mime = facts ? 2 : 1};
	long long start = sock_now_ms();
	int i;

	memset(result, 0, sizeof(*result));
	client_fail(result, CLIENT_TEMPFAIL, "no further scanner endpoint");
	for (i = 0; opts->endpoints != NULL && opts->endpoints[i] != NULL; i++) {
		if (i < first)
			continue;
		if (client_attempt(opts, opts->endpoints[i], &rq, deadline, reply, size, result) !=
		    CLIENT_TEMPFAIL)
			break;
		if (sock_now_ms() >= deadline)
			break;
	}
	result->ms = sock_now_ms() - start;
	return result->status;
}

enum client_status client_scan_facts(const struct client_options *opts, int fd, char *reply,
				     size_t size, struct client_result *result)
{
	struct client_request rq = {.fd = fd, .mime = 2};

	return client_run(opts, &rq, reply, size, result);
}

enum client_status client_scan_part_facts(const struct client_options *opts, int fd, char *reply,
					  size_t size, struct client_result *result)
{
	struct client_request rq = {.fd = fd, .mime = 3};

	return client_run(opts, &rq, reply, size, result);
}
