/*
 * events.c - the event loop (see events.h).
 *
 * Level-triggered epoll; a watch removed during a round is kept (dead)
 * until the round ends, so an event already returned for it in the same
 * round is ignored rather than delivered to freed memory.  The wake-up
 * queue is a mutex-protected list of caller-owned nodes and an eventfd
 * that is written only when the list turns non-empty.
 */
#include "auto-config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/events.h"

#define EVENTS_BATCH 64

struct events_fd {
	int fd;
	unsigned want;
	int dead;
	events_fd_fn *fn;
	void *ctx;
	struct events_fd *dead_next;
};

static int ev_ep = -1, ev_wake = -1, ev_sig = -1;
static atomic_int ev_stopping;
static struct events_fd ev_wake_watch, ev_sig_watch;
static struct events_fd *ev_dead;		/* removed this round */

static void (*ev_sig_fn)(void *, int);
static void *ev_sig_ctx;

static long long ev_tick_ms, ev_tick_last;
static events_fn *ev_tick_fn;
static void *ev_tick_ctx;

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct events_post *ev_head, *ev_tail;

/* events_mask - epoll bits for WANT; hang-ups are always reported. */
static uint32_t events_mask(unsigned want)
{
	return (want & EVENTS_IN ? EPOLLIN | EPOLLRDHUP : 0) | (want & EVENTS_OUT ? EPOLLOUT : 0);
}

void events_init(void)
{
	struct epoll_event ev;

	ev_stopping = 0;
	ev_ep = epoll_create1(EPOLL_CLOEXEC);
	ev_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ev_ep < 0 || ev_wake < 0)
		log_fatal("epoll/eventfd: %m");
	ev_wake_watch.fd = ev_wake;
	ev_wake_watch.want = EVENTS_IN;
	ev.events = EPOLLIN;
	ev.data.ptr = &ev_wake_watch;
	if (epoll_ctl(ev_ep, EPOLL_CTL_ADD, ev_wake, &ev) < 0)
		log_fatal("epoll_ctl: %m");
}

struct events_fd *events_fd_add(int fd, unsigned want, events_fd_fn *fn, void *ctx)
{
	struct events_fd *w = xcalloc(1, sizeof(*w));
	struct epoll_event ev = {.events = events_mask(want), .data.ptr = w};

	w->fd = fd;
	w->want = want;
	w->fn = fn;
	w->ctx = ctx;
	if (epoll_ctl(ev_ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

void events_fd_want(struct events_fd *w, unsigned want)
{
	struct epoll_event ev = {.events = events_mask(want), .data.ptr = w};

	if (w->dead || w->want == want)
		return;
	w->want = want;
	if (epoll_ctl(ev_ep, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		log_warn("epoll_ctl: %m");
}

void events_fd_remove(struct events_fd *w)
{
	if (w == NULL || w->dead)
		return;
	epoll_ctl(ev_ep, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = 1;
	w->dead_next = ev_dead;
	ev_dead = w;
}

void events_signals(const sigset_t *sigs, void (*fn)(void *ctx, int signo), void *ctx)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &ev_sig_watch};

	ev_sig = signalfd(-1, sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ev_sig < 0)
		log_fatal("signalfd: %m");
	ev_sig_watch.fd = ev_sig;
	ev_sig_fn = fn;
	ev_sig_ctx = ctx;
	if (epoll_ctl(ev_ep, EPOLL_CTL_ADD, ev_sig, &ev) < 0)
		log_fatal("epoll_ctl: %m");
}

void events_every(long long ms, events_fn *fn, void *ctx)
{
	ev_tick_ms = ms;
	ev_tick_fn = fn;
	ev_tick_ctx = ctx;
	ev_tick_last = sock_now_ms();
}

void events_post(struct events_post *p, events_fn *fn, void *ctx)
{
	uint64_t one = 1;
	int wake;

	p->fn = fn;
	p->ctx = ctx;
	p->next = NULL;
	pthread_mutex_lock(&ev_lock);
	wake = ev_head == NULL;
	if (ev_tail != NULL)
		ev_tail->next = p;
	else
		ev_head = p;
	ev_tail = p;
	pthread_mutex_unlock(&ev_lock);
	if (wake && write(ev_wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("eventfd write: %m");
}

void events_drain(void)
{
	struct events_post *list;
	uint64_t v;

	if (read(ev_wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("eventfd read: %m");
	/* Callbacks may post again: those run in the next round. */
	pthread_mutex_lock(&ev_lock);
	list = ev_head;
	ev_head = ev_tail = NULL;
	pthread_mutex_unlock(&ev_lock);
	while (list != NULL) {
		struct events_post *p = list;

		list = p->next;
		p->fn(p->ctx);	/* may free the node's owner */
	}
}

/* events_signal - read the signalfd. */
static void events_signal(void)
{
	struct signalfd_siginfo si;

	while (read(ev_sig, &si, sizeof(si)) == (ssize_t)sizeof(si))
		ev_sig_fn(ev_sig_ctx, (int)si.ssi_signo);
}

/* events_reap - free the watches removed this round. */
static void events_reap(void)
{
	while (ev_dead != NULL) {
		struct events_fd *w = ev_dead;

		ev_dead = w->dead_next;
		free(w);
	}
}

int events_turn(int timeout_ms)
{
	struct epoll_event evs[EVENTS_BATCH];
	int n, i;

	n = epoll_wait(ev_ep, evs, EVENTS_BATCH, timeout_ms);
	if (n < 0 && errno != EINTR)
		log_fatal("epoll_wait: %m");
	for (i = 0; i < n; i++) {
		struct events_fd *w = evs[i].data.ptr;
		uint32_t e = evs[i].events;
		unsigned ready = 0;

		if (w == &ev_wake_watch) {
			events_drain();
			continue;
		}
		if (w == &ev_sig_watch) {
			events_signal();
			continue;
		}
		if (w->dead)
			continue;
		if (e & (EPOLLIN | EPOLLRDHUP))
			ready |= EVENTS_IN;
		if (e & EPOLLOUT)
			ready |= EVENTS_OUT;
		if (e & (EPOLLHUP | EPOLLERR))
			ready |= EVENTS_HUP;
		w->fn(w->ctx, ready);
	}
	events_reap();
	if (ev_tick_fn != NULL) {
		long long now = sock_now_ms();

		if (now - ev_tick_last >= ev_tick_ms) {
			ev_tick_last = now;
			ev_tick_fn(ev_tick_ctx);
			events_reap();
		}
	}
	return n < 0 ? 0 : n;
}

void events_run(void)
{
	while (!ev_stopping)
		events_turn(ev_tick_ms > 0 ? (int)ev_tick_ms : -1);
}

void events_stop(void)
{
	uint64_t one = 1;

	ev_stopping = 1;
	if (ev_wake >= 0 && write(ev_wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("eventfd write: %m");
}

void events_free(void)
{
	events_drain();
	events_reap();
	if (ev_sig >= 0)
		close(ev_sig);
	close(ev_wake);
	close(ev_ep);
	ev_sig = ev_wake = ev_ep = -1;
	ev_tick_fn = NULL;
	ev_tick_ms = 0;
}
