/*
 * job.h - one scan request on its way through the pool.
 *
 * A job owns what it scans (a memory buffer, a spooled or passed file
 * descriptor, or a path), a reference to its connection, and the reply
 * details (IDSESSION id, terminator).  job_run() executes on a scan
 * thread: it takes a generation reference, scans, sends the reply lines
 * through the connection and writes the request's log line.
 */
#ifndef MX_JOB_H
#define MX_JOB_H

#include <stdatomic.h>
#include <stddef.h>

struct conn;

enum job_kind {
	JOB_STREAM_MEM,		/* INSTREAM held in memory */
	JOB_STREAM_FD,		/* INSTREAM spooled to an unlinked file */
	JOB_FILDES,		/* descriptor passed by the client */
	JOB_PATH,		/* SCAN-family path */
};

enum job_scan {
	JOB_SCAN,		/* stop at the first virus */
	JOB_CONTSCAN,		/* continue after a virus */
	JOB_MULTISCAN,
	JOB_ALLMATCHSCAN,	/* every signature of every file */
	JOB_MIME,		/* MIMESCAN: a whole message, part by part */
};

struct job {
	struct conn *conn;
	unsigned id;		/* IDSESSION request id, 0 outside a session */
	char term;
	enum job_kind kind;
	enum job_scan scan;
	const char *cmd;	/* command name for logs and STATS */
	char *buf;		/* JOB_STREAM_MEM */
	size_t len, cap;
	int fd;			/* JOB_STREAM_FD, JOB_FILDES */
	char *path;		/* JOB_PATH; reply subject otherwise */
	long long start_ms, deadline_ms;
	atomic_int stopped;	/* a scan callback saw cancel or deadline */
};

/* job_new - a job for CONN (a reference is taken). */
struct job *job_new(struct conn *conn, enum job_kind kind, const char *cmd, unsigned id,
		    char term);

/* job_run - scan and reply; called on a scan thread. */
void job_run(struct job *job);

/* job_free - release everything the job owns (NULL is a no-op). */
void job_free(struct job *job);

#endif
