/*
 * pool.c - scan threads and the bounded job queue (see pool.h).
 */
#include "auto-config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/conn.h"
#include "scanner/job.h"
#include "scanner/pool.h"

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static struct job **pool_queue;		/* ring buffer */
static int pool_cap, pool_head, pool_len;
static pthread_t *pool_threads;
static struct job **pool_running;	/* per worker, for STATS */
static int pool_nthreads, pool_busy, pool_stopping;

/* pool_worker - take jobs until told to stop. */
static void *pool_worker(void *arg)
{
	int slot = (int)(long)arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct job *job;
		struct conn *c;

		pthread_mutex_lock(&pool_lock);
		while (pool_len == 0 && !pool_stopping)
			pthread_cond_wait(&pool_cond, &pool_lock);
		if (pool_stopping) {
			pthread_mutex_unlock(&pool_lock);
			return NULL;
		}
		job = pool_queue[pool_head];
		pool_head = (pool_head + 1) % pool_cap;
		pool_len--;
		pool_busy++;
		pool_running[slot] = job;
		pthread_mutex_unlock(&pool_lock);

		c = job->conn;
		conn_ref(c);
		job_run(job);
		pthread_mutex_lock(&pool_lock);
		pool_running[slot] = NULL;
		pool_busy--;
		pthread_mutex_unlock(&pool_lock);
		job_free(job);
		conn_job_done(c);
		conn_unref(c);
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
		struct job *job = pool_queue[pool_head];
		struct conn *c = job->conn;

		pool_head = (pool_head + 1) % pool_cap;
		pool_len--;
		conn_ref(c);
		job_free(job);
		conn_job_done(c);
		conn_unref(c);
	}
	free(pool_queue);
	free(pool_threads);
	free(pool_running);
	pool_queue = NULL;
	pool_threads = NULL;
	pool_running = NULL;
}

int pool_submit(struct job *job)
{
	pthread_mutex_lock(&pool_lock);
	if (pool_len >= pool_cap) {
		pthread_mutex_unlock(&pool_lock);
		return -1;
	}
	pool_queue[(pool_head + pool_len) % pool_cap] = job;
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

char *pool_active(void)
{
	long long now = sock_now_ms();
	char *out = xstrdup("");
	int i;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < pool_nthreads; i++) {
		const struct job *job = pool_running[i];
		char name[LOG_SAFE_MAX];
		char *more;

		if (job == NULL)
			continue;
		log_sanitize(name, sizeof(name), job->path ? job->path : "stream",
			     strlen(job->path ? job->path : "stream"));
		more = xasprintf("%s\t%s %f %s\n", out, job->cmd,
				 (double)(now - job->start_ms) / 1000.0, name);
		free(out);
		out = more;
	}
	pthread_mutex_unlock(&pool_lock);
	return out;
}
