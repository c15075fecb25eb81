/*
 * conn.c - one client connection's state machine (see conn.h).
 *
 * Input is read by the I/O thread only.  Complete commands go to the
 * command table; INSTREAM chunk data is collected into the request's job
 * (in memory up to scand_stream_memory_max, then in an unlinked 0600
 * file in the private spool directory), so a scan thread only ever sees
 * a complete request.  Replies from any thread are appended to the
 * outbox and written by the I/O thread with non-blocking sends.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/command.h"
#include "scanner/conn.h"
#include "scanner/job.h"
#include "scanner/pool.h"
#include "scanner/server.h"
#include "scanner/stats.h"

#define CONN_READ_SIZE (64 * 1024)

static unsigned long long conn_serial;

struct conn *conn_new(int fd, int is_unix, const char *peer)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->is_unix = is_unix;
	c->is_tcp = !is_unix;
	c->serial = ++conn_serial;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->state = CONN_COMMAND;
	c->refs = 1;
	c->next_id = 1;
	c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_COMMAND_TIMEOUT);
	pthread_mutex_init(&c->lock, NULL);
	stats_add(STATS_CONNECTIONS, 1);
	return c;
}

void conn_ref(struct conn *c)
{
	pthread_mutex_lock(&c->lock);
	c->refs++;
	pthread_mutex_unlock(&c->lock);
}

void conn_unref(struct conn *c)
{
	int last;

	pthread_mutex_lock(&c->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->in_buf);
	free(c->out);
	free(c);
}

/* conn_drop_fds - close descriptors received and not used. */
static void conn_drop_fds(struct conn *c)
{
	int i;

	for (i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	c->nfds = 0;
}

void conn_close(struct conn *c, const char *why)
{
	struct job *job, *parked;
	int fd;

	if (c->state == CONN_CLOSED)
		return;
	log_debug("conn %llu (%s): closed: %s", c->serial, c->peer, why);
	server_forget(c);
	/* Under the lock: a scan thread may be sending a reply (conn_send). */
	pthread_mutex_lock(&c->lock);
	c->cancelled = 1;
	fd = c->fd;
	c->fd = -1;
	pthread_mutex_unlock(&c->lock);
	close(fd);
	c->state = CONN_CLOSED;
	conn_drop_fds(c);
	job = c->job;
	parked = c->parked;
	c->job = c->parked = NULL;
	if (parked != NULL) {
		pthread_mutex_lock(&c->lock);
		c->inflight--;
		pthread_mutex_unlock(&c->lock);
	}
	job_free(job);
	job_free(parked);
	stats_add(STATS_CONNECTIONS, -1);
	conn_unref(c);
}

void conn_send(struct conn *c, const char *data, size_t len)
{
	pthread_mutex_lock(&c->lock);
	if (c->cancelled) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	/* Nothing queued before it: the reply goes out from this thread at
	 * once, and the event loop is only woken to finish the request. */
	while (c->out_off == c->out_len && len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* the loop retries, and sees a failure */
		data += n;
		len -= (size_t)n;
	}
	if (len == 0) {
		pthread_mutex_unlock(&c->lock);
		server_mark_dirty(c);
		return;
	}
	if (c->out_len + len > c->out_cap) {
		c->out_cap = (c->out_len + len) * 2;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	pthread_mutex_unlock(&c->lock);
	server_mark_dirty(c);
}

void conn_send_text(struct conn *c, unsigned id, char term, const char *text)
{
	char buf[1024];
	int n = proto_reply_text(buf, sizeof(buf), id, text, term);

	if (n > 0)
		conn_send(c, buf, (size_t)n);
}

void conn_send_error(struct conn *c, unsigned id, char term, const char *path,
		     const char *reason)
{
	char buf[PROTO_COMMAND_MAX + 1024];
	int n = proto_reply_error(buf, sizeof(buf), id, path, reason, term);

	if (n > 0)
		conn_send(c, buf, (size_t)n);
}

void conn_error_close(struct conn *c, const char *line, size_t len)
{
	if (c->job != NULL) {
		job_free(c->job);
		c->job = NULL;
	}
	conn_send(c, line, len);
	c->state = CONN_DRAIN;
	c->read_deadline = 0;
}

void conn_finish_request(struct conn *c)
{
	if (!c->in_session) {
		c->state = CONN_REPLYING;
		c->read_deadline = 0;
	} else {
		c->state = CONN_COMMAND;
	}
}

void conn_submit(struct conn *c, struct job *job)
{
	pthread_mutex_lock(&c->lock);
	c->inflight++;
	pthread_mutex_unlock(&c->lock);
	if (pool_submit(job) == 0)
		return;
	/* Queue full: stop reading this client until a slot frees. */
	c->parked = job;
	server_park(c);
	server_watch(c, 0, 1);
}

int conn_try_unpark(struct conn *c)
{
	if (c->parked == NULL)
		return 0;
	if (pool_submit(c->parked) < 0)
		return -1;
	c->parked = NULL;
	server_watch(c, 1, 1);
	return 0;
}

void conn_job_done(struct conn *c)
{
	pthread_mutex_lock(&c->lock);
	c->inflight--;
	pthread_mutex_unlock(&c->lock);
	server_mark_dirty(c);
}

/* conn_consume - drop N bytes from the front of the input buffer. */
static void conn_consume(struct conn *c, size_t n)
{
	if (n == 0)
		return;
	c->in += n;
	c->in_len -= n;
	c->in_base += n;
	if (c->in_len == 0)
		c->in = c->in_buf;
}

/* conn_append - add received bytes; consumed space is reused, not moved per command. */
static void conn_append(struct conn *c, const char *data, size_t n)
{
	size_t head = (size_t)(c->in - c->in_buf);

	if (head + c->in_len + n > c->in_cap) {
		if (head > 0 && c->in_len > 0)
			memmove(c->in_buf, c->in, c->in_len);
		if (c->in_len + n > c->in_cap) {
			c->in_cap = c->in_len + n;
			c->in_buf = xrealloc(c->in_buf, c->in_cap);
		}
		c->in = c->in_buf;
	}
	memcpy(c->in + c->in_len, data, n);
	c->in_len += n;
}

/* conn_stream_room - room for N more bytes in a memory stream's buffer. */
static void conn_stream_room(struct job *job, size_t n)
{
	if (job->len + n > job->cap) {
		job->cap = job->cap ? job->cap : 4096;
		while (job->cap < job->len + n)
			job->cap *= 2;
		job->buf = xrealloc(job->buf, job->cap);
	}
}

/* conn_stream_append - INSTREAM data into memory or the spool file. */
static int conn_stream_append(struct conn *c, const char *data, size_t n)
{
	struct job *job = c->job;

	if (job->kind == JOB_STREAM_MEM &&
	    job->len + n > (size_t)config_num(CONF_SCAND_STREAM_MEMORY_MAX)) {
		int fd = open(server_spool_dir(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

		if (fd < 0) {
			char tmpl[4096];

			snprintf(tmpl, sizeof(tmpl), "%s/stream.XXXXXX", server_spool_dir());
			fd = mkostemp(tmpl, O_CLOEXEC);
			if (fd >= 0)
				unlink(tmpl);
		}
		if (fd < 0) {
			log_error("cannot create a spool file in %s: %m", server_spool_dir());
			return -1;
		}
		job->kind = JOB_STREAM_FD;
		job->fd = fd;
		if (job->len > 0 && write(fd, job->buf, job->len) != (ssize_t)job->len) {
			log_error("cannot write the spool file: %m");
			return -1;
		}
		free(job->buf);
		job->buf = NULL;
	}
	if (job->kind == JOB_STREAM_FD) {
		if (write(job->fd, data, n) != (ssize_t)n) {
			log_error("cannot write the spool file: %m");
			return -1;
		}
		job->len += n;
		return 0;
	}
	conn_stream_room(job, n);
	memcpy(job->buf + job->len, data, n);
	job->len += n;
	return 0;
}

static ssize_t conn_recv(struct conn *c, char *buf, size_t size);

/*
 * conn_recv_chunk - bulk INSTREAM data straight into the request's memory
 * buffer, when nothing is buffered and the chunk fits the memory limit
 * (one copy less per byte than going through the input buffer).
 * Returns the recv result, or -2 when the fast path does not apply.
 */
static ssize_t conn_recv_chunk(struct conn *c)
{
	struct job *job = c->job;
	ssize_t n;

	if (c->state != CONN_CHUNK_DATA || c->in_len != 0 || c->nfds != 0 || job == NULL ||
	    job->kind != JOB_STREAM_MEM ||
	    job->len + c->chunk_left > (size_t)config_num(CONF_SCAND_STREAM_MEMORY_MAX))
		return -2;
	conn_stream_room(job, c->chunk_left);
	n = conn_recv(c, job->buf + job->len, c->chunk_left);
	if (n > 0) {
		job->len += (size_t)n;
		c->in_base += (unsigned long long)n;	/* consumed as it arrived */
		c->chunk_left -= (uint32_t)n;
		if (c->chunk_left == 0)
			c->state = CONN_CHUNK_LEN;
	}
	return n;
}

/* conn_stream_step - one INSTREAM state step; returns 0 to go on. */
static int conn_stream_step(struct conn *c)
{
	char line[256];
	int n;

	if (c->state == CONN_CHUNK_LEN) {
		uint32_t len;

		if (c->in_len < 4)
			return -1;
		len = proto_chunk_length((const unsigned char *)c->in);
		conn_consume(c, 4);
		if (len == 0) {
			struct job *job = c->job;

			c->job = NULL;
			conn_finish_request(c);
			conn_submit(c, job);
			return 0;
		}
		if (len > c->stream_left) {
			log_warn("conn %llu (%s): INSTREAM size limit %lld reached (chunk %u, %llu "
				 "bytes already)", c->serial, c->peer,
				 config_num(CONF_SCAND_STREAM_MAX_LENGTH), len,
				 (unsigned long long)c->job->len);
			n = proto_reply_error(line, sizeof(line), c->job->id, NULL,
					      PROTO_LIMIT_STREAM, c->job->term);
			stats_add(STATS_ERRORS, 1);
			conn_error_close(c, line, (size_t)n);
			return 0;
		}
		c->stream_left -= len;
		c->chunk_left = len;
		c->state = CONN_CHUNK_DATA;
		return 0;
	}
	/* CONN_CHUNK_DATA */
	if (c->in_len == 0)
		return -1;
	{
		size_t take = c->in_len < c->chunk_left ? c->in_len : c->chunk_left;

		if (conn_stream_append(c, c->in, take) < 0) {
			n = proto_reply_error(line, sizeof(line), c->job->id, "stream",
					      "Can't create temporary file", c->job->term);
			conn_error_close(c, line, (size_t)n);
			return 0;
		}
		conn_consume(c, take);
		c->chunk_left -= (uint32_t)take;
		if (c->chunk_left == 0)
			c->state = CONN_CHUNK_LEN;
	}
	return 0;
}

/* conn_fd_step - a FILDES request waiting for its descriptor. */
static int conn_fd_step(struct conn *c)
{
	int fd, i;

	if (c->nfds == 0) {
		char line[128];
		int n;

		if (c->in_len == 0)
			return -1;
		n = proto_reply_error(line, sizeof(line), c->job->id, NULL,
				      "No file descriptor received.", c->job->term);
		conn_error_close(c, line, (size_t)n);
		return 0;
	}
	fd = c->fds[0];
	/* The kernel ends a read at the message that carries descriptors,
	 * so fd_ends[0] lies past the FILDES command when the descriptor
	 * came with a payload of its own.  As in clamd, its first byte is
	 * the dummy (clamdscan sends one NUL); anything after it is the next
	 * command of a session. */
	if (c->fd_ends[0] > c->in_base && c->in_len > 0)
		conn_consume(c, 1);
	for (i = 1; i < c->nfds; i++) {
		c->fds[i - 1] = c->fds[i];
		c->fd_ends[i - 1] = c->fd_ends[i];
	}
	c->nfds--;
	command_fildes_ready(c, fd);
	return 0;
}

/*
 * conn_output_full - replies queued beyond scand_max_pending_reply: the
 * client's further commands wait (unread) until it has read them all, so
 * a client that pipelines and does not read cannot grow the outbox.
 */
static int conn_output_full(struct conn *c)
{
	size_t pending;

	pthread_mutex_lock(&c->lock);
	pending = c->out_len - c->out_off;
	pthread_mutex_unlock(&c->lock);
	return pending > (size_t)config_num(CONF_SCAND_MAX_PENDING_REPLY);
}

/* conn_command_step - cut and dispatch one command. */
static int conn_command_step(struct conn *c, int drained)
{
	char cmd[PROTO_COMMAND_MAX + 2];
	struct proto_frame frame;
	enum proto_frame_status st;
	int allow_bare = !c->in_session && c->commands == 0;

	if (c->parked != NULL || c->in_len == 0)
		return -1;
	if (conn_output_full(c)) {
		c->held = 1;
		server_watch(c, 0, 1);
		return -1;
	}
	st = proto_frame_next(c->in, c->in_len, allow_bare, drained || c->eof, &frame);
	if (st == PROTO_FRAME_MORE)
		return -1;
	if (st == PROTO_FRAME_TOO_LONG) {
		log_warn("conn %llu (%s): command too long", c->serial, c->peer);
		conn_error_close(c, "UNKNOWN COMMAND\n", 16);
		return 0;
	}
	memcpy(cmd, frame.cmd, frame.cmd_len);
	cmd[frame.cmd_len] = '\0';
	frame.cmd = cmd;
	if (c->nfds > 0 && c->fd_ends[0] <= c->in_base + frame.consumed &&
	    (frame.cmd_len < 6 || memcmp(cmd, "FILDES", 6) != 0)) {
		conn_consume(c, frame.consumed);
		conn_drop_fds(c);
		c->commands++;
		static const char anc[] = "PROTOCOL ERROR: ancillary data sent without FILDES. ERROR\n";

		conn_error_close(c, anc, sizeof(anc) - 1);
		return 0;
	}
	conn_consume(c, frame.consumed);
	c->commands++;
	command_dispatch(c, &frame);
	return 0;
}

/* conn_process - act on the buffered input until it runs out. */
static void conn_process(struct conn *c, int drained)
{
	for (;;) {
		int r;

		switch (c->state) {
		case CONN_COMMAND:
			r = conn_command_step(c, drained);
			break;
		case CONN_CHUNK_LEN:
		case CONN_CHUNK_DATA:
			r = conn_stream_step(c);
			break;
		case CONN_WAIT_FD:
			r = conn_fd_step(c);
			break;
		case CONN_REPLYING:
			if (c->in_len > 0 && !c->garbage_logged) {
				log_warn("conn %llu (%s): client sent garbage after last command",
					 c->serial, c->peer);
				c->garbage_logged = 1;
			}
			conn_consume(c, c->in_len);
			conn_drop_fds(c);
			return;
		case CONN_DRAIN:
			conn_consume(c, c->in_len);
			conn_drop_fds(c);
			return;
		default:
			return;
		}
		if (r < 0 || c->state == CONN_CLOSED)
			return;
	}
}

/* conn_recv - one recvmsg, keeping any passed descriptors. */
static ssize_t conn_recv(struct conn *c, char *buf, size_t size)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (c->is_unix) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
	}
	n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0 || !c->is_unix)
		return n;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t i, count;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (c->nfds >= CONN_MAX_FDS) {
				close(fd);
				continue;
			}
			c->fds[c->nfds] = fd;
			c->fd_ends[c->nfds] = c->in_base + c->in_len + (unsigned long long)n;
			c->nfds++;
		}
	}
	return n;
}

/* conn_at_eof - the client will send nothing more. */
static void conn_at_eof(struct conn *c)
{
	int busy;

	pthread_mutex_lock(&c->lock);
	busy = c->inflight > 0 || c->out_len > c->out_off;
	pthread_mutex_unlock(&c->lock);
	switch (c->state) {
	case CONN_REPLYING:
		if (!busy && c->parked == NULL)
			conn_close(c, "done");
		else
			conn_flush(c);	/* a half-closed client still gets its reply */
		return;
	case CONN_COMMAND:
		if (c->in_session && (busy || c->parked != NULL)) {
			c->session_ended = 1;
			conn_flush(c);
			return;
		}
		conn_close(c, "end of input");
		return;
	default:
		conn_close(c, "end of input in the middle of a request");
		return;
	}
}

void conn_on_input(struct conn *c)
{
	static char buf[CONN_READ_SIZE];
	int rounds, drained = 0;

	if (c->held)	/* nothing more is read until the outbox is empty */
		return;
	for (rounds = 0; rounds < 4 && c->state != CONN_CLOSED && !c->held; rounds++) {
		size_t want = c->state == CONN_CHUNK_DATA ? c->chunk_left : sizeof(buf);
		ssize_t n = conn_recv_chunk(c);

		if (n == -2) {
			want = sizeof(buf);
			n = conn_recv(c, buf, sizeof(buf));
		} else if (n > 0) {
			c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
			if ((size_t)n < want) {
				drained = 1;
				break;
			}
			continue;
		}

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				drained = 1;
				break;
			}
			conn_close(c, strerror(errno));
			return;
		}
		if (n == 0) {
			c->eof = 1;
			break;
		}
		conn_append(c, buf, (size_t)n);
		if (c->state == CONN_CHUNK_LEN || c->state == CONN_CHUNK_DATA ||
		    c->state == CONN_WAIT_FD || (c->in_session && c->state == CONN_COMMAND))
			c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
		conn_process(c, 0);
		if ((size_t)n < want) {
			drained = 1;
			break;
		}
	}
	if (c->state == CONN_CLOSED)
		return;
	if (drained || c->eof)
		conn_process(c, 1);
	if (c->state == CONN_CLOSED)
		return;
	if (c->in_len == 0 && c->in_cap > 4096) {
		free(c->in_buf);
		c->in = c->in_buf = NULL;
		c->in_cap = 0;
	}
	if (c->state == CONN_DRAIN && c->eof) {
		int busy;

		pthread_mutex_lock(&c->lock);
		busy = c->inflight > 0 || c->out_len > c->out_off;
		pthread_mutex_unlock(&c->lock);
		if (busy)
			conn_flush(c);	/* replies still to send */
		else
			conn_close(c, "drained");
		return;
	}
	if (c->eof)
		conn_at_eof(c);
}

void conn_flush(struct conn *c)
{
	int pending, busy, failed = 0;

	if (c->state == CONN_CLOSED)
		return;
	pthread_mutex_lock(&c->lock);
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {	/* progress alone does not reset the stall clock */
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (c->send_stalled_since == 0)
				c->send_stalled_since = sock_now_ms();
		} else {
			failed = 1;
		}
		break;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->out_cap > 65536) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
		c->send_stalled_since = 0;
	}
	pending = c->out_len > 0;
	busy = c->inflight > 0;
	pthread_mutex_unlock(&c->lock);
	if (failed) {
		conn_close(c, "write failed: client gone");
		return;
	}
	if (pending) {
		server_watch(c, c->parked == NULL && !c->held && !c->eof, 1);
		return;
	}
	if (c->held) {
		/* All read: its buffered commands (held means some are) go
		 * on from the event loop's queue of connections waiting for
		 * room, which decides what comes next. */
		c->held = 0;
		server_park(c);
		return;
	}
	if (c->state == CONN_DRAIN) {
		/* Replies of session requests still being scanned go out
		 * before the error that ended the session. */
		if (busy) {
			server_watch(c, !c->eof, 0);
			return;
		}
		if (c->drain_deadline == 0) {
			shutdown(c->fd, SHUT_WR);
			c->drain_deadline = sock_now_ms() + config_num(CONF_SCAND_DRAIN_TIMEOUT);
		}
		server_watch(c, 1, 0);
		return;
	}
	if (busy || c->parked != NULL) {
		server_watch(c, !c->eof && c->parked == NULL, 0);
		return;
	}
	if (c->state == CONN_REPLYING || (c->in_session && (c->session_ended || c->eof))) {
		conn_close(c, "done");
		return;
	}
	if (c->in_session && c->state == CONN_COMMAND && c->read_deadline == 0)
		c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
	server_watch(c, !c->eof, 0);
}

void conn_tick(struct conn *c, long long now)
{
	if (c->state == CONN_CLOSED)
		return;
	if (c->state == CONN_DRAIN && c->drain_deadline != 0 && now >= c->drain_deadline) {
		conn_close(c, "drain time-out");
		return;
	}
	if (c->send_stalled_since != 0 &&
	    now - c->send_stalled_since >= config_num(CONF_SCAND_SEND_TIMEOUT)) {
		log_warn("conn %llu (%s): client does not read its replies; dropped", c->serial,
			 c->peer);
		conn_close(c, "send time-out");
		return;
	}
	if (c->read_deadline != 0 && now >= c->read_deadline) {
		int busy;

		pthread_mutex_lock(&c->lock);
		busy = c->inflight > 0;
		pthread_mutex_unlock(&c->lock);
		if (busy || c->state == CONN_REPLYING || c->state == CONN_DRAIN) {
			c->read_deadline = 0;
			return;
		}
		log_warn("conn %llu (%s): command read timed out", c->serial, c->peer);
		conn_error_close(c, "COMMAND READ TIMED OUT\n", 23);
	}
}
