/*
 * conn.c - one client connection's state machine (see conn.h).
 *
 * Input is read on the loop thread only.  Complete commands go to the
 * command table; INSTREAM chunk data is received straight into the
 * request's job (in memory up to scand_stream_memory_max, then in an
 * unlinked spool file), so a scan thread only ever sees a complete
 * request and the bytes of a stream land in memory once.  A complete
 * request that needs no scan (a storm's copy of an attachment known
 * infected) is answered here at once; the others go to the pool, and
 * when its queue is full the connection waits, unread, in a first-come
 * queue that every finished job serves.
 */
#include "auto-config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/buffer.h"
#include "common/config.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/command.h"
#include "scanner/conn.h"
#include "scanner/dataport.h"
#include "scanner/events.h"
#include "scanner/job.h"
#include "scanner/meter.h"
#include "scanner/pool.h"
#include "scanner/scan.h"
#include "scanner/stats.h"

#define CONN_READ_SIZE (64 * 1024)
#define CONN_READ_ROUNDS 4		/* reads per readiness, for fairness */
#define CONN_MAX_FDS 16
#define CONN_FDS_PER_MSG 8
#define CONN_CHUNK_HEADER 4		/* INSTREAM's big-endian chunk length */
#define CONN_KEEP_INPUT 4096		/* an idle input buffer keeps this much */
#define CONN_KEEP_OUTPUT 65536		/* an empty outbox keeps this much */

enum conn_state {
	CONN_COMMAND,		/* waiting for a command */
	CONN_CHUNK_LEN,		/* INSTREAM: 4-byte length next */
	CONN_CHUNK_DATA,	/* INSTREAM: chunk bytes next */
	CONN_WAIT_FD,		/* FILDES: waiting for the descriptor */
	CONN_REPLYING,		/* request done outside a session: reply, then close */
	CONN_DRAIN,		/* error sent, write side shut, discarding input */
	CONN_CLOSED,
};

struct conn {
	int fd;
	int is_unix;
	unsigned long long serial;
	char peer[80];
	enum conn_state state;
	atomic_int refs;
	struct events_fd *watch;
	void (*closed)(void *ctx);
	void *closed_ctx;

	/* input: unconsumed bytes; in_base is the stream offset of their first */
	struct buffer in;
	unsigned long long in_base;
	int eof;
	int held;			/* outbox over scand_max_pending_reply: not read */
	int commands;			/* commands seen so far */
	int garbage_logged;

	/* descriptors received, with the stream offset where their read ended */
	int fds[CONN_MAX_FDS];
	unsigned long long fd_ends[CONN_MAX_FDS];
	int nfds;

	/* IDSESSION */
	int in_session;
	int session_ended;
	unsigned next_id;

	/* the request being received */
	struct job *job;		/* INSTREAM or FILDES in progress */
	uint32_t chunk_left;
	unsigned long long stream_left;	/* quota */
	struct job *parked;		/* complete, waiting for queue room */
	struct conn *wait_next;		/* in conn_waiting */
	int inflight;			/* jobs submitted or parked, not done */
	struct dataport *dataport;	/* legacy STREAM: its data port (job in .job) */

	/* deadlines (sock_now_ms clock; 0 = none) */
	long long read_deadline;
	long long drain_deadline;
	long long send_stalled_since;	/* outbox not empty since (reset only when empty) */

	/* shared with scan threads, under lock */
	pthread_mutex_t lock;
	struct buffer out;
	atomic_int gone;		/* closed: scans stop, replies are dropped */
	int flush_posted;
	int resume_posted;		/* loop thread only */
	struct events_post flush_post;
	struct events_post resume_post;
};

static unsigned long long conn_serial;
static struct conn *conn_wait_head, *conn_wait_tail;	/* parked, oldest first */

static void conn_on_event(void *ctx, unsigned ready);
static void conn_on_input(struct conn *c);
static void conn_flush(struct conn *c);

/* conn_ref / conn_unref - the socket, each job and each posted callback hold one. */
static void conn_ref(struct conn *c)
{
	atomic_fetch_add(&c->refs, 1);
}

static void conn_unref(struct conn *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&c->lock);
	buffer_free(&c->in);
	buffer_free(&c->out);
	free(c);
}

struct conn *conn_new(int fd, int is_unix, const char *peer, void (*closed)(void *ctx),
		      void *ctx)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->is_unix = is_unix;
	c->serial = ++conn_serial;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->state = CONN_COMMAND;
	c->refs = 1;
	c->next_id = 1;
	c->closed = closed;
	c->closed_ctx = ctx;
	c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_COMMAND_TIMEOUT);
	pthread_mutex_init(&c->lock, NULL);
	c->watch = events_fd_add(fd, EVENTS_IN, conn_on_event, c);
	if (c->watch == NULL) {
		log_warn("epoll_ctl: %m");
		close(fd);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return NULL;
	}
	stats_add(STATS_CONNECTIONS, 1);
	return c;
}

/* conn_watch - what the loop waits for on C. */
static void conn_watch(struct conn *c, int want_in, int want_out)
{
	if (c->state != CONN_CLOSED)
		events_fd_want(c->watch, (want_in ? EVENTS_IN : 0) | (want_out ? EVENTS_OUT : 0));
}

/* conn_drop_fds - close descriptors received and not used. */
static void conn_drop_fds(struct conn *c)
{
	int i;

	for (i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	c->nfds = 0;
}

/* conn_unwait - take C off the queue of parked connections. */
static void conn_unwait(struct conn *c)
{
	struct conn **pp, *prev = NULL;

	for (pp = &conn_wait_head; *pp != NULL; prev = *pp, pp = &(*pp)->wait_next) {
		if (*pp == c) {
			*pp = c->wait_next;
			if (conn_wait_tail == c)
				conn_wait_tail = prev;
			c->wait_next = NULL;
			return;
		}
	}
}

void conn_close(struct conn *c, const char *why)
{
	int fd;

	if (c->state == CONN_CLOSED)
		return;
	conn_ref(c);
	log_debug("conn %llu (%s): closed: %s", c->serial, c->peer, why);
	events_fd_remove(c->watch);
	/* Under the lock: a scan thread may be writing a reply. */
	pthread_mutex_lock(&c->lock);
	c->gone = 1;
	fd = c->fd;
	c->fd = -1;
	pthread_mutex_unlock(&c->lock);
	close(fd);
	c->state = CONN_CLOSED;
	conn_drop_fds(c);
	dataport_free(&c->dataport);
	job_free(c->job);
	c->job = NULL;
	if (c->parked != NULL) {
		conn_unwait(c);
		job_free(c->parked);
		c->parked = NULL;
		c->inflight--;
		conn_unref(c);		/* the parked job's */
	}
	stats_add(STATS_CONNECTIONS, -1);
	c->closed(c->closed_ctx);
	conn_unref(c);			/* the socket's */
	conn_unref(c);
}

/*
 * conn_out_write - queue LEN reply bytes, sending them at once when
 * nothing is queued before them (caller holds the lock).  Returns 1
 * when some are left in the outbox for the loop.
 */
static int conn_out_write(struct conn *c, const char *data, size_t len)
{
	while (buffer_len(&c->out) == 0 && len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* the loop retries, and sees a failure */
		data += n;
		len -= (size_t)n;
	}
	if (len == 0)
		return 0;
	buffer_append(&c->out, data, len);
	return 1;
}

/* conn_reply - LEN reply bytes from the loop thread (flushed by the caller's conn_flush). */
static void conn_reply(struct conn *c, const char *data, size_t len)
{
	pthread_mutex_lock(&c->lock);
	if (!c->gone)
		conn_out_write(c, data, len);
	pthread_mutex_unlock(&c->lock);
}

/* conn_flush_posted - the loop's turn after a scan thread queued output. */
static void conn_flush_posted(void *arg)
{
	struct conn *c = arg;

	pthread_mutex_lock(&c->lock);
	c->flush_posted = 0;
	pthread_mutex_unlock(&c->lock);
	conn_flush(c);
	conn_unref(c);
}

/* conn_sink_write - a job's reply lines (a scan thread, or the loop for scan_try_now). */
static void conn_sink_write(void *ctx, const char *data, size_t len)
{
	struct conn *c = ctx;
	int post = 0;

	pthread_mutex_lock(&c->lock);
	if (!c->gone && conn_out_write(c, data, len) && !c->flush_posted) {
		c->flush_posted = 1;
		post = 1;
		conn_ref(c);
	}
	pthread_mutex_unlock(&c->lock);
	if (post)
		events_post(&c->flush_post, conn_flush_posted, c);
}

/* conn_sink_gone - has the client left? (scan thread) */
static int conn_sink_gone(void *ctx)
{
	struct conn *c = ctx;

	return atomic_load(&c->gone);
}

/* conn_new_job - a job answering on C. */
static struct job *conn_new_job(struct conn *c, enum job_kind kind, enum job_scan scan,
				const char *cmd, unsigned id, char term)
{
	struct job_sink sink = {.write = conn_sink_write, .gone = conn_sink_gone, .ctx = c};

	return job_new(&sink, kind, scan, cmd, id, term, c->peer);
}

/* conn_fail - send LINE, then end the conversation: shut down writing, drain, close. */
static void conn_fail(struct conn *c, const char *line, size_t len)
{
	job_free(c->job);
	c->job = NULL;
	conn_reply(c, line, len);
	c->state = CONN_DRAIN;
	c->read_deadline = 0;
}

/* conn_fail_error - conn_fail with an ERROR line. */
static void conn_fail_error(struct conn *c, unsigned id, char term, const char *path,
			    const char *reason)
{
	struct buffer b = BUFFER_INIT;

	command_reply_error(&b, id, term, path, reason);
	conn_fail(c, buffer_data(&b), buffer_len(&b));
	buffer_free(&b);
}

/* conn_finish_request - a request is complete: outside a session the conversation is. */
static void conn_finish_request(struct conn *c)
{
	if (!c->in_session) {
		c->state = CONN_REPLYING;
		c->read_deadline = 0;
	} else {
		c->state = CONN_COMMAND;
	}
}

/* conn_work_run - a scan thread runs the job. */
static void conn_work_run(struct pool_work *w)
{
	scan_run((struct job *)((char *)w - offsetof(struct job, work)));
}

static void conn_unpark(void);

/* conn_work_done - the job is over (loop thread): finish the request. */
static void conn_work_done(struct pool_work *w)
{
	struct job *job = (struct job *)((char *)w - offsetof(struct job, work));
	struct conn *c = job->sink.ctx;

	job_free(job);
	c->inflight--;
	conn_flush(c);
	conn_unref(c);
	conn_unpark();
}

/*
 * conn_submit - answer a complete job at once when it needs no scan (a
 * storm's copy, scan_try_now), else hand it to the pool, or park it until
 * there is room.
 */
static void conn_submit(struct conn *c, struct job *job)
{
	if (scan_try_now(job)) {
		job_free(job);
		return;
	}
	job->work.run = conn_work_run;
	job->work.done = conn_work_done;
	job->work.what = job->cmd;
	job->work.name = job->path;
	job->work.start_ms = job->start_ms;
	c->inflight++;
	conn_ref(c);
	if (pool_submit(&job->work) == 0)
		return;
	/* Queue full: this client is not read until a slot frees. */
	c->parked = job;
	c->wait_next = NULL;
	if (conn_wait_tail != NULL)
		conn_wait_tail->wait_next = c;
	else
		conn_wait_head = c;
	conn_wait_tail = c;
	conn_watch(c, 0, 1);
}

/* conn_unpark - give queue room to parked clients, oldest first. */
static void conn_unpark(void)
{
	while (conn_wait_head != NULL) {
		struct conn *c = conn_wait_head;

		if (pool_submit(&c->parked->work) < 0)
			return;
		conn_wait_head = c->wait_next;
		if (conn_wait_head == NULL)
			conn_wait_tail = NULL;
		c->wait_next = NULL;
		c->parked = NULL;
		/* Input that arrived while parked is read now. */
		conn_ref(c);
		conn_on_input(c);
		conn_unref(c);
	}
}

/* conn_consume - drop N bytes from the front of the input. */
static void conn_consume(struct conn *c, size_t n)
{
	buffer_consume(&c->in, n);
	c->in_base += n;
}

/* conn_stream_step - one INSTREAM state step; returns 0 to go on. */
static int conn_stream_step(struct conn *c)
{
	const char *why = NULL;

	if (c->state == CONN_CHUNK_LEN) {
		uint32_t len;

		if (buffer_len(&c->in) < CONN_CHUNK_HEADER)
			return -1;
		len = proto_chunk_length((const unsigned char *)buffer_data(&c->in));
		conn_consume(c, CONN_CHUNK_HEADER);
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
			stats_add(STATS_ERRORS, 1);
			meter_limit(c->job->cmd);
			conn_fail_error(c, c->job->id, c->job->term, NULL, PROTO_LIMIT_STREAM);
			return 0;
		}
		c->stream_left -= len;
		c->chunk_left = len;
		c->state = CONN_CHUNK_DATA;
		return 0;
	}
	/* CONN_CHUNK_DATA: what the input buffer holds of the chunk */
	if (buffer_len(&c->in) == 0)
		return -1;
	{
		size_t take = buffer_len(&c->in) < c->chunk_left ? buffer_len(&c->in) : c->chunk_left;

		if (job_stream_append(c->job, buffer_data(&c->in), take, &why) < 0) {
			conn_fail_error(c, c->job->id, c->job->term, "stream", why);
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
	struct job *job = c->job;
	char name[32];
	int fd, i;

	if (c->nfds == 0) {
		if (buffer_len(&c->in) == 0)
			return -1;
		conn_fail_error(c, job->id, job->term, NULL, "No file descriptor received.");
		return 0;
	}
	fd = c->fds[0];
	/* The kernel ends a read at the message that carries descriptors,
	 * so fd_ends[0] lies past the FILDES command when the descriptor
	 * came with a payload of its own.  As in clamd, its first byte is
	 * the dummy (clamdscan sends one NUL); anything after it is the next
	 * command of a session. */
	if (c->fd_ends[0] > c->in_base && buffer_len(&c->in) > 0)
		conn_consume(c, 1);
	for (i = 1; i < c->nfds; i++) {
		c->fds[i - 1] = c->fds[i];
		c->fd_ends[i - 1] = c->fd_ends[i];
	}
	c->nfds--;
	c->job = NULL;
	job->fd = fd;
	snprintf(name, sizeof(name), "fd[%d]", fd);
	job->path = xstrdup(name);
	conn_finish_request(c);
	conn_submit(c, job);
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
	pending = buffer_len(&c->out);
	pthread_mutex_unlock(&c->lock);
	return pending > (size_t)config_num(CONF_SCAND_MAX_PENDING_REPLY);
}

/*
 * conn_dataport_done - the legacy STREAM's data connection ended: scan
 * what it brought (past the limit, what it brought up to the limit), or
 * answer the failure, as old clamd did, on this connection.
 */
static void conn_dataport_done(void *ctx, enum dataport_end end, const char *why)
{
	struct conn *c = ctx;
	struct job *job = c->job;

	dataport_free(&c->dataport);
	c->job = NULL;
	c->inflight--;
	if (end == DATAPORT_FAILED) {
		struct buffer b = BUFFER_INIT;

		stats_add(STATS_ERRORS, 1);
		command_reply_error(&b, 0, job->term, NULL, why);
		conn_reply(c, buffer_data(&b), buffer_len(&b));
		buffer_free(&b);
		job_free(job);
	} else {
		if (end == DATAPORT_TRUNCATED && config_num(CONF_SCAND_ALERT_EXCEEDS_MAX))
			job->clean_as = "Heuristics.Limits.Exceeded.StreamMaxLength";
		conn_submit(c, job);
	}
	conn_flush(c);
}

/* conn_legacy_stream - STREAM: open a data port and tell the client "PORT n". */
static void conn_legacy_stream(struct conn *c, const struct command_result *r)
{
	struct job *job = conn_new_job(c, JOB_STREAM_MEM, r->scan, r->name, r->id, r->term);
	const char *why = NULL;
	char line[32];
	int n;

	job->path = xstrdup("stream");
	c->dataport = dataport_open(c->fd, c->is_unix, c->peer, job, conn_dataport_done, c, &why);
	if (c->dataport == NULL) {
		job_free(job);
		stats_add(STATS_ERRORS, 1);
		conn_fail_error(c, 0, r->term, NULL, why);
		return;
	}
	c->job = job;
	c->inflight++;		/* the data port's request, until it is done */
	c->state = CONN_REPLYING;
	c->read_deadline = 0;
	n = snprintf(line, sizeof(line), "PORT %u%c", dataport_port(c->dataport), r->term);
	conn_reply(c, line, (size_t)n);
}

/* conn_apply - do what the command table says FRAME means. */
static void conn_apply(struct conn *c, const struct proto_frame *frame)
{
	struct command_conn cc = {.in_session = c->in_session, .is_unix = c->is_unix,
				  .next_id = c->next_id, .peer = c->peer, .serial = c->serial};
	struct command_result r = {.reply = BUFFER_INIT};
	struct job *job;

	command_dispatch(&cc, frame, &r);
	c->next_id = cc.next_id;
	switch (r.action) {
	case COMMAND_DONE:
		conn_reply(c, buffer_data(&r.reply), buffer_len(&r.reply));
		conn_finish_request(c);
		break;
	case COMMAND_FAIL:
		conn_fail(c, buffer_data(&r.reply), buffer_len(&r.reply));
		break;
	case COMMAND_SESSION:
		c->in_session = 1;
		c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
		break;
	case COMMAND_END:
		conn_reply(c, buffer_data(&r.reply), buffer_len(&r.reply));
		c->session_ended = 1;
		c->state = CONN_REPLYING;
		c->read_deadline = 0;
		break;
	case COMMAND_STREAM:
		c->job = conn_new_job(c, JOB_STREAM_MEM, r.scan, r.name, r.id, r.term);
		c->job->path = xstrdup("stream");
		c->stream_left = (unsigned long long)config_num(CONF_SCAND_STREAM_MAX_LENGTH);
		c->state = CONN_CHUNK_LEN;
		c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
		break;
	case COMMAND_FILDES:
		c->job = conn_new_job(c, JOB_FILDES, r.scan, r.name, r.id, r.term);
		c->state = CONN_WAIT_FD;
		c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
		break;
	case COMMAND_PATH:
		job = conn_new_job(c, JOB_PATH, r.scan, r.name, r.id, r.term);
		job->path = xstrdup(r.arg);
		conn_finish_request(c);
		conn_submit(c, job);
		break;
	case COMMAND_SHUTDOWN:
		events_stop();
		conn_finish_request(c);
		break;
	case COMMAND_CLOSE:
		conn_close(c, r.name);
		break;
	case COMMAND_LEGACY_STREAM:
		conn_legacy_stream(c, &r);
		break;
	}
	buffer_free(&r.reply);
}

/* conn_command_step - cut and apply one command. */
static int conn_command_step(struct conn *c, int drained)
{
	static const char too_long[] = "UNKNOWN COMMAND\n";
	static const char stray_fd[] = "PROTOCOL ERROR: ancillary data sent without FILDES. ERROR\n";
	char cmd[PROTO_COMMAND_MAX + 2];
	struct proto_frame frame;
	enum proto_frame_status st;
	int allow_bare = !c->in_session && c->commands == 0;

	if (c->parked != NULL || buffer_len(&c->in) == 0)
		return -1;
	if (conn_output_full(c)) {
		c->held = 1;
		conn_watch(c, 0, 1);
		return -1;
	}
	st = proto_frame_next(buffer_data(&c->in), buffer_len(&c->in), allow_bare,
			      drained || c->eof, &frame);
	if (st == PROTO_FRAME_MORE)
		return -1;
	if (st == PROTO_FRAME_TOO_LONG) {
		log_warn("conn %llu (%s): command too long", c->serial, c->peer);
		conn_fail(c, too_long, sizeof(too_long) - 1);
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
		conn_fail(c, stray_fd, sizeof(stray_fd) - 1);
		return 0;
	}
	conn_consume(c, frame.consumed);
	c->commands++;
	conn_apply(c, &frame);
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
			if (buffer_len(&c->in) > 0 && !c->garbage_logged) {
				log_warn("conn %llu (%s): client sent garbage after last command",
					 c->serial, c->peer);
				c->garbage_logged = 1;
			}
			conn_consume(c, buffer_len(&c->in));
			conn_drop_fds(c);
			return;
		case CONN_DRAIN:
			conn_consume(c, buffer_len(&c->in));
			conn_drop_fds(c);
			return;
		default:
			return;
		}
		if (r < 0 || c->state == CONN_CLOSED)
			return;
	}
}

/* conn_take_fds - keep the descriptors MSG passed; END is the stream offset after it. */
static void conn_take_fds(struct conn *c, struct msghdr *msg, unsigned long long end)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
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
			c->fd_ends[c->nfds] = end;
			c->nfds++;
		}
	}
}

/*
 * conn_read - one recvmsg into IOV; the first TO_JOB bytes of IOV[0] go
 * to the request's stream, the rest to the input buffer (where IOV's
 * last piece was reserved).  Keeps passed descriptors.
 */
static ssize_t conn_read(struct conn *c, struct iovec *iov, int iovcnt, size_t to_job)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * CONN_FDS_PER_MSG)];
	} ctl;
	struct msghdr msg;
	size_t direct;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)iovcnt;
	if (c->is_unix) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
	}
	n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	direct = (size_t)n < to_job ? (size_t)n : to_job;
	if (direct > 0) {	/* consumed as it arrived */
		job_stream_commit(c->job, direct);
		c->in_base += direct;
		c->chunk_left -= (uint32_t)direct;
		if (c->chunk_left == 0)
			c->state = CONN_CHUNK_LEN;
	}
	buffer_commit(&c->in, (size_t)n - direct);
	if (c->is_unix)
		conn_take_fds(c, &msg, c->in_base + buffer_len(&c->in));
	return n;
}

/*
 * conn_read_some - the next read: a chunk's data straight into the job's
 * memory (with room for the length of the next chunk after it), only the
 * missing bytes of a chunk length, or up to CONN_READ_SIZE of input.
 * *want_r is what the read asked for.
 */
static ssize_t conn_read_some(struct conn *c, size_t *want_r)
{
	struct iovec iov[2];
	char *room;

	if (c->state == CONN_CHUNK_DATA && buffer_len(&c->in) == 0 && c->nfds == 0 &&
	    (room = job_stream_room(c->job, c->chunk_left)) != NULL) {
		iov[0].iov_base = room;
		iov[0].iov_len = c->chunk_left;
		iov[1].iov_base = buffer_reserve(&c->in, CONN_CHUNK_HEADER);
		iov[1].iov_len = CONN_CHUNK_HEADER;
		*want_r = c->chunk_left + CONN_CHUNK_HEADER;
		return conn_read(c, iov, 2, c->chunk_left);
	}
	if (c->state == CONN_CHUNK_LEN && buffer_len(&c->in) < CONN_CHUNK_HEADER) {
		*want_r = CONN_CHUNK_HEADER - buffer_len(&c->in);
		iov[0].iov_base = buffer_reserve(&c->in, *want_r);
		iov[0].iov_len = *want_r;
		return conn_read(c, iov, 1, 0);
	}
	*want_r = CONN_READ_SIZE;
	iov[0].iov_base = buffer_reserve(&c->in, CONN_READ_SIZE);
	iov[0].iov_len = CONN_READ_SIZE;
	return conn_read(c, iov, 1, 0);
}

/* conn_busy - replies or jobs still to come. */
static int conn_busy(struct conn *c)
{
	int pending;

	pthread_mutex_lock(&c->lock);
	pending = buffer_len(&c->out) > 0;
	pthread_mutex_unlock(&c->lock);
	return pending || c->inflight > 0;
}

/* conn_at_eof - the client will send nothing more. */
static void conn_at_eof(struct conn *c)
{
	int busy = conn_busy(c);

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
	case CONN_DRAIN:
		if (busy)
			conn_flush(c);	/* replies still to send */
		else
			conn_close(c, "drained");
		return;
	default:
		conn_close(c, "end of input in the middle of a request");
		return;
	}
}

static void conn_on_input(struct conn *c)
{
	int rounds, drained = 0;

	if (c->held || c->state == CONN_CLOSED)	/* nothing more is read until the outbox is empty */
		return;
	for (rounds = 0; rounds < CONN_READ_ROUNDS && c->state != CONN_CLOSED && !c->held;
	     rounds++) {
		enum conn_state before = c->state;
		size_t want;
		ssize_t n = conn_read_some(c, &want);

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
		if (before == CONN_CHUNK_LEN || before == CONN_CHUNK_DATA ||
		    before == CONN_WAIT_FD || (c->in_session && before == CONN_COMMAND))
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
	if (buffer_len(&c->in) == 0)
		buffer_trim(&c->in, CONN_KEEP_INPUT);
	if (c->eof)
		conn_at_eof(c);
	else
		conn_flush(c);
}

/* conn_resume - the outbox emptied while input was held back. */
static void conn_resume(void *arg)
{
	struct conn *c = arg;

	c->resume_posted = 0;
	conn_on_input(c);
	conn_unref(c);
}

/* conn_flush - write the outbox, then decide what C waits for (or close it). */
static void conn_flush(struct conn *c)
{
	int pending, failed = 0;

	if (c->state == CONN_CLOSED)
		return;
	pthread_mutex_lock(&c->lock);
	while (buffer_len(&c->out) > 0) {
		ssize_t n = send(c->fd, buffer_data(&c->out), buffer_len(&c->out),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {	/* progress alone does not reset the stall clock */
			buffer_consume(&c->out, (size_t)n);
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
	pending = buffer_len(&c->out) > 0;
	if (!pending) {
		buffer_trim(&c->out, CONN_KEEP_OUTPUT);
		c->send_stalled_since = 0;
	}
	pthread_mutex_unlock(&c->lock);
	if (failed) {
		conn_close(c, "write failed: client gone");
		return;
	}
	if (pending) {
		conn_watch(c, c->parked == NULL && !c->held && !c->eof, 1);
		return;
	}
	if (c->held) {
		/* All read: its buffered commands (held means some are) go
		 * on from the loop's queue, after what is already there. */
		c->held = 0;
		conn_watch(c, 0, 0);
		if (!c->resume_posted) {
			c->resume_posted = 1;
			conn_ref(c);
			events_post(&c->resume_post, conn_resume, c);
		}
		return;
	}
	if (c->state == CONN_DRAIN) {
		/* Replies of session requests still being scanned go out
		 * before the error that ended the session. */
		if (c->inflight > 0) {
			conn_watch(c, !c->eof, 0);
			return;
		}
		if (c->drain_deadline == 0) {
			shutdown(c->fd, SHUT_WR);
			c->drain_deadline = sock_now_ms() + config_num(CONF_SCAND_DRAIN_TIMEOUT);
		}
		conn_watch(c, 1, 0);
		return;
	}
	if (c->inflight > 0) {
		conn_watch(c, !c->eof && c->parked == NULL, 0);
		return;
	}
	if (c->state == CONN_REPLYING || (c->in_session && (c->session_ended || c->eof))) {
		conn_close(c, "done");
		return;
	}
	if (c->in_session && c->state == CONN_COMMAND && c->read_deadline == 0)
		c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
	conn_watch(c, !c->eof, 0);
}

/* conn_on_event - the loop reports C's socket ready. */
static void conn_on_event(void *ctx, unsigned ready)
{
	struct conn *c = ctx;

	conn_ref(c);
	if (ready & (EVENTS_IN | EVENTS_HUP))
		conn_on_input(c);
	if (c->state != CONN_CLOSED && (ready & EVENTS_HUP))
		conn_close(c, "client disconnected");
	if (c->state != CONN_CLOSED && (ready & EVENTS_OUT))
		conn_flush(c);
	conn_unref(c);
}

void conn_tick(struct conn *c, long long now)
{
	if (c->state == CONN_CLOSED)
		return;
	if (c->dataport != NULL) {
		int closed;

		conn_ref(c);	/* its answer may close C */
		dataport_tick(c->dataport, now);
		closed = c->state == CONN_CLOSED;
		conn_unref(c);
		if (closed)
			return;
	}
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
		static const char timed_out[] = "COMMAND READ TIMED OUT\n";

		if (c->inflight > 0 || c->state == CONN_REPLYING || c->state == CONN_DRAIN) {
			c->read_deadline = 0;
			return;
		}
		log_warn("conn %llu (%s): command read timed out", c->serial, c->peer);
		conn_fail(c, timed_out, sizeof(timed_out) - 1);
		conn_flush(c);
	}
}
