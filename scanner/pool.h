/*
 * pool.h - the scan threads and their bounded queue of work.
 *
 * Generic: a work item is a run() for a scan thread and a done() that
 * comes back to the event loop through its wake-up queue (events.h), so
 * whoever submitted the work finishes it on its own thread.  Only
 * complete requests are submitted, so a slow client never holds a scan
 * thread; pool_submit() never blocks: a full queue is the submitter's
 * cue to wait for a done() before trying again.
 */
#ifndef MX_POOL_H
#define MX_POOL_H

#include "scanner/events.h"

struct pool_work {
	void (*run)(struct pool_work *w);	/* on a scan thread */
	void (*done)(struct pool_work *w);	/* on the loop, after run (or instead, when dropped) */
	int dropped;				/* set when the pool stopped before running it */
	/* For STATS' list of running work: */
	const char *what;			/* e.g. the command */
	const char *name;			/* e.g. the file name */
	long long start_ms;
	struct events_post post;		/* the pool's */
};

/* pool_start - start THREADS scan threads with room for QUEUE_MAX waiting items. */
void pool_start(int threads, int queue_max);

/* pool_stop - let running items finish, drop queued ones (their done()
 * runs with dropped set, at the next events_drain()), join the threads. */
void pool_stop(void);

/* pool_submit - queue W; -1 when the queue is full (W not taken). */
int pool_submit(struct pool_work *w);

/* pool_counts - queued items, busy threads, all threads. */
void pool_counts(int *queued, int *busy, int *total);

/* pool_each_running - FN(ARG, w) for every item running now, under the
 * pool's lock (FN must not call the pool). */
void pool_each_running(void (*fn)(void *arg, const struct pool_work *w), void *arg);

#endif
