/*
 * conn.h - one client connection: its input state machine (commands,
 * INSTREAM chunks, passed descriptors), its deadlines, and its outbox.
 *
 * Everything but the outbox, the reference count and the cancel flag
 * belongs to the I/O thread.  Scan threads only call conn_send() and
 * conn_unref(), both safe from any thread.
 */
#ifndef MX_CONN_H
#define MX_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proto.h"

struct job;

enum conn_state {
	CONN_COMMAND,		/* waiting for a command */
	CONN_CHUNK_LEN,		/* INSTREAM: 4-byte length next */
	CONN_CHUNK_DATA,	/* INSTREAM: chunk bytes next */
	CONN_WAIT_FD,		/* FILDES: waiting for the descriptor */
	CONN_REPLYING,		/* request done outside a session: reply, then close */
	CONN_DRAIN,		/* error sent, write side shut, discarding input */
	CONN_CLOSED,
};

#define CONN_MAX_FDS 16

struct conn {
	int fd;
	int is_unix;
	int is_tcp;
	unsigned long long serial;
	char peer[80];
	enum conn_state state;

	/* input: in_len unconsumed bytes at in, inside in_buf (in_cap bytes) */
	char *in_buf, *in;
	size_t in_len, in_cap;
	unsigned long long in_base;	/* stream offset of in[0] */
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

	/* deadlines (sock_now_ms clock; 0 = none) */
	long long read_deadline;
	long long drain_deadline;
	long long send_stalled_since;	/* outbox not empty since (reset only when empty) */

	/* shared with scan threads, under lock */
	pthread_mutex_t lock;
	int refs;
	int inflight;
	char *out;
	size_t out_len, out_off, out_cap;
	int dirty;			/* queued on the server's dirty list */
	struct conn *dirty_next;
	atomic_int cancelled;		/* closed: scans stop, replies are dropped */

	struct conn *next, *prev;	/* server's list of open connections */
	struct conn *parked_next;
	int epoll_events;
};

/* conn_new - wrap accepted socket FD; the caller's reference is returned. */
struct conn *conn_new(int fd, int is_unix, const char *peer);

/* conn_ref / conn_unref - reference counting (conn_unref frees at zero). */
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

/* conn_on_input - read what is there and act on it (I/O thread). */
void conn_on_input(struct conn *c);

/* conn_flush - write the outbox; close when the conversation is over. */
void conn_flush(struct conn *c);

/* conn_tick - enforce deadlines at time NOW (I/O thread). */
void conn_tick(struct conn *c, long long now);

/* conn_close - close the socket and cancel its scans (I/O thread). */
void conn_close(struct conn *c, const char *why);

/* conn_job_done - a scan thread finished a job of C (any thread). */
void conn_job_done(struct conn *c);

/* conn_try_unpark - resubmit a parked job; 0 when done (I/O thread). */
int conn_try_unpark(struct conn *c);

/*
 * conn_send - append LEN reply bytes to the outbox (any thread).
 * conn_send_text / conn_send_error - through the proto_reply helpers.
 */
void conn_send(struct conn *c, const char *data, size_t len);
void conn_send_text(struct conn *c, unsigned id, char term, const char *text);
void conn_send_error(struct conn *c, unsigned id, char term, const char *path,
		     const char *reason);

/* conn_submit - hand a complete job to the pool or park it (I/O thread). */
void conn_submit(struct conn *c, struct job *job);

/* conn_finish_request - a request outside IDSESSION is complete. */
void conn_finish_request(struct conn *c);

/* conn_error_close - send an error line, shut down writing, drain, close. */
void conn_error_close(struct conn *c, const char *line, size_t len);

#endif
