/*
 * conn_harness.h - one mxscand connection driven in-process, for the
 * connection unit tests and its fuzz target: a socketpair whose one end
 * is a real conn.c on a real events.c loop with the real command table,
 * and whose other end is the test's client.  Jobs go to a stub pool
 * that records them and answers "<subject>: OK" (or FOUND for data
 * holding "EICAR") through the job's own sink, then hands them back
 * through the loop's wake-up queue, as the real pool does.
 */
#ifndef MX_TESTS_CONN_HARNESS_H
#define MX_TESTS_CONN_HARNESS_H

#include <stddef.h>

#include "common/buffer.h"
#include "scanner/conn.h"
#include "scanner/job.h"

#define HARNESS_JOBS_MAX 64

struct harness_job {
	enum job_kind kind;
	enum job_scan scan;
	unsigned id;
	struct buffer data;	/* the stream's bytes */
	int had_fd;
};

struct harness {
	struct conn *conn;	/* the server's end (valid until closed) */
	int client;		/* the test's end */
	int closed;		/* the server closed its end */
	struct harness_job jobs[HARNESS_JOBS_MAX];
	int njobs;
	int pool_room;		/* jobs the stub pool takes before it reports full */
	int hold;		/* leave submitted jobs unanswered until harness_release */
	int settle_ms;		/* how long a quiet turn of the loop waits (default 5) */
};

/* harness_start - a connection (UNIX socket) on a fresh loop; config must be loaded. */
void harness_start(struct harness *h);

/* harness_send - the client writes LEN bytes; FD >= 0 passes that descriptor with them. */
void harness_send(struct harness *h, const void *data, size_t len, int fd);

/* harness_shut - the client half-closes. */
void harness_shut(struct harness *h);

/* harness_settle - run the loop until nothing happens for a while. */
void harness_settle(struct harness *h);

/* harness_release - answer and finish the jobs held back. */
void harness_release(struct harness *h);

/* harness_read - what the server sent so far, into OUT (appended). */
void harness_read(struct harness *h, struct buffer *out);

/* harness_stop - close everything, free the loop. */
void harness_stop(struct harness *h);

#endif
