/*
 * job.h - one scan request: what it scans, how it answers, its outcome.
 *
 * A job owns what it scans (a memory buffer, a spooled or passed file
 * descriptor, or a path) and writes its reply lines to a sink; it never
 * sees a connection.  scan.h runs it.  The sink's write() is called from
 * the scan thread that runs it, or from the loop thread for a job that
 * scan_try_now() answers without a scan; its gone() tells the scan to
 * stop (the client left) and to write nothing more.
 */
#ifndef MX_JOB_H
#define MX_JOB_H

#include <stdatomic.h>
#include <stddef.h>

#include "scanner/pool.h"

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
	JOB_INSTREAM,		/* one object: INSTREAM or FILDES */
	JOB_MIME,		/* MIMESCAN: a whole message, part by part */
	JOB_MIMEFACTS,		/* MIMEFACTS: MIMESCAN with the facts of mime.h */
	JOB_PARTFACTS,		/* PARTFACTS: one object (INSTREAM) with its facts */
};

enum job_verdict {
	JOB_OK,			/* clean */
	JOB_FOUND,		/* a signature matched */
	JOB_ERROR,		/* answered with an ERROR */
	JOB_CANCELLED,		/* stopped because the client left: no answer */
};

/* The outcome of one request. */
struct job_outcome {
	enum job_verdict verdict;
	char detail[256];	/* the (first) signature, or the error reason */
	const char *cache;	/* verdict cache: "hit", "miss", "partial", "storm" or "-" */
};

/* Where a job's reply lines go. */
struct job_sink {
	void (*write)(void *ctx, const char *data, size_t len);
	int (*gone)(void *ctx);		/* the client left: stop, write nothing */
	void *ctx;
};

struct job {
	struct pool_work work;	/* submitted as this; the submitter sets run/done */
	struct job_sink sink;
	unsigned id;		/* IDSESSION request id, 0 outside a session */
	char term;
	enum job_kind kind;
	enum job_scan scan;
	const char *cmd;	/* command name (static) for logs and STATS */
	char peer[80];		/* the client, for the log */
	char *buf;		/* JOB_STREAM_MEM */
	size_t len, cap;
	int fd;			/* JOB_STREAM_FD, JOB_FILDES */
	char *path;		/* JOB_PATH; reply subject otherwise */
	long long start_ms, deadline_ms;
	const char *clean_as;	/* a clean verdict is answered as this FOUND name (static) */
	atomic_int stopped;	/* a scan callback saw the client gone or the deadline */
	struct job_outcome outcome;
};

/* job_new - a job answering through SINK; its deadline starts now. */
struct job *job_new(const struct job_sink *sink, enum job_kind kind, enum job_scan scan,
		    const char *cmd, unsigned id, char term, const char *peer);

/*
 * job_stream_room - where the next N bytes of a stream go when they can
 * be received straight into memory (the buffer grows; they count once
 * job_stream_commit() says so), or NULL when they belong in the spool.
 */
char *job_stream_room(struct job *job, size_t n);
void job_stream_commit(struct job *job, size_t n);

/*
 * job_stream_append - N more bytes of a stream: into memory up to
 * scand_stream_memory_max, then into an unlinked spool file.  Returns 0,
 * or -1 with *error_r set to the reply's reason.
 */
int job_stream_append(struct job *job, const char *data, size_t n, const char **error_r);

/* job_verdict_name - "OK", "FOUND", "ERROR", "CANCELLED". */
const char *job_verdict_name(enum job_verdict v);

/* job_free - release everything the job owns (NULL is a no-op). */
void job_free(struct job *job);

#endif
