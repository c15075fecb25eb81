/*
 * events.h - mxscand's event loop: descriptors (epoll), signals (a
 * signalfd), one periodic timer and a wake-up queue.
 *
 * Everything registered here runs on the thread that calls events_run()
 * (the I/O thread).  events_post() is the one entry point for other
 * threads: it queues a callback for the loop and wakes it.  The loop
 * knows nothing of what it serves (no connections, no jobs): it calls
 * back (function, context) pairs.
 */
#ifndef MX_EVENTS_H
#define MX_EVENTS_H

#include <signal.h>

enum {
	EVENTS_IN = 1,		/* readable, or the peer half-closed */
	EVENTS_OUT = 2,		/* writable */
	EVENTS_HUP = 4,		/* hung up or failed (always reported) */
};

struct events_fd;

/* events_fd_fn - FD is ready for READY (EVENTS_* bits). */
typedef void events_fd_fn(void *ctx, unsigned ready);
typedef void events_fn(void *ctx);

/*
 * A queued callback.  The caller owns the storage (usually a member of
 * the object the callback is for) and must not post it again before it
 * has run; events_post() is safe from any thread.
 */
struct events_post {
	events_fn *fn;
	void *ctx;
	struct events_post *next;
};

/* events_init - create the loop (fatal when the kernel refuses). */
void events_init(void);

/*
 * events_fd_add - watch FD for WANT (EVENTS_IN/EVENTS_OUT); FN(CTX,
 * ready) runs on each readiness.  Returns NULL with errno set when epoll
 * refuses the descriptor.
 */
struct events_fd *events_fd_add(int fd, unsigned want, events_fd_fn *fn, void *ctx);

/* events_fd_want - change what W waits for (no system call when unchanged). */
void events_fd_want(struct events_fd *w, unsigned want);

/* events_fd_remove - stop watching (before the descriptor is closed);
 * W is freed once the current round of events is over. */
void events_fd_remove(struct events_fd *w);

/* events_signals - SIGS arrive as FN(CTX, signo) on the loop (the caller
 * has blocked them in every thread). */
void events_signals(const sigset_t *sigs, void (*fn)(void *ctx, int signo), void *ctx);

/* events_every - FN(CTX) every MS milliseconds (one timer per loop). */
void events_every(long long ms, events_fn *fn, void *ctx);

/* events_post - run P->fn(P->ctx) on the loop thread, in posting order (any thread). */
void events_post(struct events_post *p, events_fn *fn, void *ctx);

/* events_turn - wait up to TIMEOUT_MS (-1: no limit) and dispatch one
 * round; returns the number of events (the tick and the queue count). */
int events_turn(int timeout_ms);

/* events_run - dispatch until events_stop(). */
void events_run(void);

/* events_stop - make events_run() return (any thread). */
void events_stop(void);

/* events_drain - run the callbacks posted so far (shutdown, loop thread). */
void events_drain(void);

/* events_free - close the loop's descriptors. */
void events_free(void);

#endif
