/*
 * pool.c - scan threads and the bounded work queue (see pool.h).
 */
#include "auto-config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "scanner/events.h"
#include "scanner/pool.h"

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static struct pool_work **pool_queue;	/* ring buffer */
static int pool_cap, pool_head, pool_len;
static pthread_t *pool_threads;
static struct pool_work **pool_running;	/* per thread, for STATS */
static int pool_nthreads, pool_busy, pool_stopping;

/* pool_finish - hand W back to the loop. */
static void pool_finish(void *arg)
{
	struct pool_work *w = arg;

	w->done(w);
}

/* pool_worker - run items until told to stop. */
static void *pool_worker(void *arg)
{
	int slot = (int)(long)arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct pool_work *w;

		pthread_mutex_lock(&pool_lock);
		while (pool_len == 0 && !pool_stopping)
			pthread_cond_wait(&pool_cond, &pool_lock);
		if (pool_stopping) {
			pthread_mutex_unlock(&pool_lock);
			return NULL;
		}
		w = pool_queue[pool_head];
		pool_head = (pool_head + 1) % pool_cap;
		pool_len--;
		pool_busy++;
		pool_running[slot] = w;
		pthread_mutex_unlock(&pool_lock);

		w->run(w);
		pthread_mutex_lock(&pool_lock);
		pool_running[slot] = NULL;
		pool_busy--;
		pthread_mutex_unlock(&pool_lock);
		events_post(&w->post, pool_finish, w);
	}
}

void pool_start(int threads, int queue_max)
{
	int i;

	pool_cap = queue_max;
	pool_queue = xcalloc((size_t)pool_cap, sizeof(*pool_queue));
	pool_threads = xcalloc((size_t)threads, sizeof(*pool_threads));
	pool_running = xcalloc((size_t)threads, sizeof(*pool_running));
	pool_nthreads = threads;
	for (i = 0; i < threads; i++) {
		int r = pthread_create(&pool_threads[i], NULL, pool_worker, (void *)(long)i);

		if (r != 0)
			log_fatal("cannot start scan thread: %s", strerror(r));
	}
}

void pool_stop(void)
{
	int i;

	pthread_mutex_lock(&pool_lock);
	pool_stopping = 1;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	for (i = 0; i < pool_nthreads; i++)
		pthread_join(pool_threads[i], NULL);
	while (pool_len > 0) {
		struct pool_work *w = pool_queue[pool_head];

		pool_head = (pool_head + 1) % pool_cap;
		pool_len--;
		w->dropped = 1;
		events_post(&w->post, pool_finish, w);
	}
	free(pool_queue);
	free(pool_threads);
	free(pool_running);
	pool_queue = NULL;
	pool_threads = NULL;
	pool_running = NULL;
	pool_nthreads = 0;
}

int pool_submit(struct pool_work *w)
{
	pthread_mutex_lock(&pool_lock);
	if (pool_len >= pool_cap || pool_stopping) {
		pthread_mutex_unlock(&pool_lock);
		return -1;
	}
	w->dropped = 0;
	pool_queue[(pool_head + pool_len) % pool_cap] = w;
	pool_len++;
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	return 0;
}

void pool_counts(int *queued, int *busy, int *total)
{
	pthread_mutex_lock(&pool_lock);
	*queued = pool_len;
	*busy = pool_busy;
	*total = pool_nthreads;
	pthread_mutex_unlock(&pool_lock);
}

void pool_each_running(void (*fn)(void *arg, const struct pool_work *w), void *arg)
{
	int i;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < pool_nthreads; i++)
		if (pool_running[i] != NULL)
			fn(arg, pool_running[i]);
	pthread_mutex_unlock(&pool_lock);
}
