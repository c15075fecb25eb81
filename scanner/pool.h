/*
 * pool.h - the scan thread pool and its bounded queue.
 *
 * Only complete requests reach the pool, so a slow client never holds a
 * scan thread.  pool_submit() never blocks: a full queue is the I/O
 * layer's cue to stop reading from that client until a slot frees.
 */
#ifndef MX_POOL_H
#define MX_POOL_H

struct job;

/* pool_start - start THREADS workers with room for QUEUE_MAX waiting jobs. */
void pool_start(int threads, int queue_max);

/* pool_stop - finish running jobs, drop queued ones, join the workers. */
void pool_stop(void);

/* pool_submit - queue JOB; -1 when the queue is full (JOB not taken). */
int pool_submit(struct job *job);

/* pool_counts - queued jobs, busy workers, total workers. */
void pool_counts(int *queued, int *busy, int *total);

/* pool_active - one "\t<CMD> <seconds> <name>\n" line per running job (STATS). */
char *pool_active(void);

#endif
