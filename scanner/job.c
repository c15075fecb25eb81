/*
 * job.c - one scan request as an object: what it scans (a stream in
 * memory or spooled, a descriptor, a path), where its reply goes, its
 * deadline (see job.h).  Running it is scan.c's.
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/job.h"
#include "scanner/spool.h"


struct job *job_new(const struct job_sink *sink, enum job_kind kind, enum job_scan scan,
		    const char *cmd, unsigned id, char term, const char *peer)
{
	struct job *job = xcalloc(1, sizeof(*job));

	job->sink = *sink;
	job->kind = kind;
	job->scan = scan;
	snprintf(job->peer, sizeof(job->peer), "%s", peer);
	job->cmd = cmd;
	job->id = id;
	job->term = term;
	job->fd = -1;
	job->start_ms = sock_now_ms();
	job->deadline_ms = job->start_ms + config_num(CONF_SCAND_REQUEST_TIMEOUT);
	return job;
}

void job_free(struct job *job)
{
	if (job == NULL)
		return;
	if (job->fd >= 0)
		close(job->fd);
	free(job->buf);
	free(job->path);
	free(job);
}

const char *job_verdict_name(enum job_verdict v)
{
	switch (v) {
	case JOB_OK:
		return "OK";
	case JOB_FOUND:
		return "FOUND";
	case JOB_CANCELLED:
		return "CANCELLED";
	case JOB_ERROR:
		break;
	}
	return "ERROR";
}

char *job_stream_room(struct job *job, size_t n)
{
	if (job->kind != JOB_STREAM_MEM ||
	    job->len + n > (size_t)config_num(CONF_SCAND_STREAM_MEMORY_MAX))
		return NULL;
	if (job->len + n > job->cap) {
		job->cap = job->cap ? job->cap : 4096;
		while (job->cap < job->len + n)
			job->cap *= 2;
		job->buf = xrealloc(job->buf, job->cap);
	}
	return job->buf + job->len;
}

void job_stream_commit(struct job *job, size_t n)
{
	job->len += n;
}

int job_stream_append(struct job *job, const char *data, size_t n, const char **error_r)
{
	char *room = job_stream_room(job, n);

	if (room != NULL) {
		memcpy(room, data, n);
		job->len += n;
		return 0;
	}
	if (job->kind == JOB_STREAM_MEM) {	/* over the memory limit: spool it */
		int fd = spool_file(error_r);

		if (fd < 0)
			return -1;
		job->kind = JOB_STREAM_FD;
		job->fd = fd;
		if (job->len > 0 && write(fd, job->buf, job->len) != (ssize_t)job->len) {
			log_error("cannot write the spool file: %m");
			*error_r = "Can't create temporary file";
			return -1;
		}
		free(job->buf);
		job->buf = NULL;
		job->cap = 0;
	}
	if (write(job->fd, data, n) != (ssize_t)n) {
		log_error("cannot write the spool file: %m");
		*error_r = "Can't create temporary file";
		return -1;
	}
	job->len += n;
	return 0;
}
