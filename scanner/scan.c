/*
 * scan.c - running one job (see scan.h): on a scan thread, a path walk,
 * one object (INSTREAM, FILDES) or a whole message (MIMESCAN), through
 * the verdict cache; its reply through the job's sink, its counters and
 * its log line.  On the loop thread, only a storm's copy (scan_try_now).
 *
 * A scan holds a generation reference throughout, so a reload never
 * pulls the engine from under it.  It stops early - through the engine's
 * pre-scan callback - when the client is gone or the request deadline
 * has passed; a stopped scan never reports OK.
 */
#include "auto-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/engine.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/cache.h"
#include "scanner/facts.h"
#include "scanner/generation.h"
#include "scanner/job.h"
#include "scanner/mime.h"
#include "scanner/roots.h"
#include "scanner/scan.h"
#include "scanner/meter.h"
#include "scanner/stats.h"

#define SCAN_MAX_DEPTH 64
#define SCAN_READ_STEP (1024 * 1024)	/* a descriptor is copied in steps this size */

/* What a path scan has found so far. */
struct scan_walk {
	struct job *job;
	struct generation *gen;
	int found, errors, files;
	char firstsig[256];
	const char *curfile;	/* for all-match callbacks */
};

static atomic_ullong scan_requests;	/* serial numbers for the log */

/* scan_gone - the client left. */
static int scan_gone(const struct job *job)
{
	return job->sink.gone(job->sink.ctx);
}

/* scan_stop - engine callback: give up when the client left or time ran out. */
static int scan_stop(void *arg)
{
	struct job *job = arg;

	if (scan_gone(job) || sock_now_ms() > job->deadline_ms)
		job->stopped = 1;
	return job->stopped;
}

/* scan_reply - one reply line through the central helpers. */
static void scan_reply(struct job *job, const char *subject, const char *virname,
		      const char *error)
{
	char line[PROTO_COMMAND_MAX + 1024];
	int n;

	if (error != NULL)
		n = proto_reply_error(line, sizeof(line), job->id, subject, error, job->term);
	else if (virname != NULL)
		n = proto_reply_found(line, sizeof(line), job->id, subject, virname, job->term);
	else
		n = proto_reply_ok(line, sizeof(line), job->id, subject, job->term);
	if (n > 0)
		job->sink.write(job->sink.ctx, line, (size_t)n);
}

/* scan_stopped - the reply of a request stopped early: an error, never OK
 * (none to a client that is gone). */
static void scan_stopped(struct job *job, struct job_outcome *o)
{
	if (scan_gone(job)) {
		o->verdict = JOB_CANCELLED;
		return;
	}
	scan_reply(job, job->path, NULL, "Request deadline exceeded.");
	o->verdict = JOB_ERROR;
}

/* scan_allmatch_found - every match of an ALLMATCHSCAN file. */
static void scan_allmatch_found(void *arg, const char *virname)
{
	struct scan_walk *w = arg;

	scan_reply(w->job, w->curfile, virname, NULL);
	if (w->found++ == 0)
		snprintf(w->firstsig, sizeof(w->firstsig), "%s", virname);
}

static int scan_walk_dir(struct scan_walk *w, int fd, const char *dir, int depth);

static int scan_walk_stop(void *arg)
{
	return scan_stop(((struct scan_walk *)arg)->job);
}

/*
 * scan_scan_file - the open regular file FD (FILE in replies) of a path
 * scan, which it closes; returns 1 to stop the walk.
 */
static int scan_scan_file(struct scan_walk *w, int fd, const char *file)
{
	struct job *job = w->job;
	int allmatch = job->scan == JOB_ALLMATCHSCAN;
	struct engine_scan_ctx ctx = {.stop = scan_walk_stop,
				      .found = allmatch ? scan_allmatch_found : NULL, .arg = w};
	const char *virname = NULL, *err = NULL;
	enum engine_result r;
	int before = w->found;

	w->files++;
	w->curfile = file;
	r = engine_scan_fd(w->gen->db, fd, file, allmatch, &ctx, &virname, &err);
	close(fd);
	if (r == ENGINE_STOPPED)
		return 1;
	if (r == ENGINE_VIRUS && (!allmatch || w->found == before)) {
		scan_reply(job, file, virname, NULL);
		if (w->found++ == 0)
			snprintf(w->firstsig, sizeof(w->firstsig), "%s", virname);
	} else if (r == ENGINE_ERROR) {
		scan_reply(job, file, NULL, err);
		w->errors++;
	}
	return r == ENGINE_VIRUS && (job->scan == JOB_SCAN || job->scan == JOB_ALLMATCHSCAN);
}

static int scan_name_cmp(const void *a, const void *b)
{
	return strcoll(*(char *const *)a, *(char *const *)b);
}

/*
 * scan_walk_entry - NAME in the directory DIRFD (PATH in replies): a
 * directory is walked, a regular file scanned, anything else (symbolic
 * links, FIFOs, devices, sockets) skipped.  Every open is relative to the
 * parent's descriptor and refuses a symbolic link, and what was opened is
 * checked again, so nothing renamed or swapped meanwhile is followed or
 * blocks the thread.
 */
static int scan_walk_entry(struct scan_walk *w, int dirfd, const char *name, const char *path,
			  int depth)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)))
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
		    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		scan_reply(w->job, path, NULL, "Can't open file or directory");
		w->errors++;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return scan_walk_dir(w, fd, path, depth + 1);
	if (S_ISREG(st.st_mode))
		return scan_scan_file(w, fd, path);
	close(fd);
	return 0;
}

/*
 * scan_walk_dir - depth-first, in alphabetical order, over the open
 * directory FD (DIR in replies), which it closes; never follows a
 * symbolic link.
 */
static int scan_walk_dir(struct scan_walk *w, int fd, const char *dir, int depth)
{
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int stop = 0;
	DIR *d;

	if (depth > SCAN_MAX_DEPTH) {
		close(fd);
		return 0;
	}
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		scan_reply(w->job, dir, NULL, "Can't open file or directory");
		w->errors++;
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), scan_name_cmp);
	for (i = 0; i < n; i++) {
		if (!stop) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s%s%s", dir,
				 dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
			stop = scan_walk_entry(w, dirfd(d), names[i], path, depth);
		}
		free(names[i]);
	}
	free(names);
	closedir(d);
	return stop;
}

/*
 * scan_scan_path - SCAN, CONTSCAN, MULTISCAN, ALLMATCHSCAN.  The path is
 * opened once (a symbolic link in it is followed, as clamd does) without
 * blocking, and the descriptor's own path must lie under
 * scand_scan_roots: the command-time check alone could be outrun by a
 * rename.  A FIFO, device or socket is "Not supported file type", as in
 * clamd, and never opened for reading.
 */
static void scan_scan_path(struct job *job, struct generation *gen, struct job_outcome *o)
{
	struct scan_walk w = {.job = job, .gen = gen};
	const char *why = NULL;
	struct stat st;
	int fd;

	fd = open(job->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		char reason[256];

		snprintf(reason, sizeof(reason), "File path check failure: %s.", strerror(errno));
		if (fd >= 0)
			close(fd);
		scan_reply(job, job->path, NULL, reason);
		o->verdict = JOB_ERROR;
		return;
	}
	if (roots_check_fd(fd, &why) < 0 || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))) {
		close(fd);
		why = why != NULL ? why : "Not supported file type";
		scan_reply(job, job->path, NULL, why);
		o->verdict = JOB_ERROR;
		return;
	}
	if (S_ISDIR(st.st_mode))
		scan_walk_dir(&w, fd, job->path, 0);
	else
		scan_scan_file(&w, fd, job->path);
	if (job->stopped) {
		scan_stopped(job, o);
		return;
	}
	if (w.found > 0) {
		o->verdict = JOB_FOUND;
		snprintf(o->detail, sizeof(o->detail), "%s", w.firstsig);
		return;
	}
	if (w.errors > 0 && S_ISREG(st.st_mode)) {	/* a single file: its error is the answer */
		o->verdict = JOB_ERROR;
		return;
	}
	scan_reply(job, job->path, NULL, NULL);
	o->verdict = w.errors > 0 ? JOB_ERROR : JOB_OK;
}

/*
 * scan_key - the cache key of an INSTREAM object or of a descriptor's
 * private copy; 0 or -1.  A descriptor scanned in place is never keyed:
 * its client could change the bytes between the hash and the scan.
 */
static int scan_key(const struct job *job, unsigned char key[CACHE_KEY_SIZE])
{
	if (!cache_enabled() || job->kind == JOB_FILDES)
		return -1;
	if (job->kind == JOB_STREAM_MEM)
		return engine_hash_mem(job->buf ? job->buf : "", job->len, key);
	return engine_hash_fd(job->fd, job->len, key);
}

/*
 * scan_take_fildes - check a passed descriptor and, when small enough,
 * copy it.  Only a regular file open for reading is scanned: a device,
 * pipe, socket or directory may be endless or unreadable ("Not supported
 * file type"), and what cannot be read in full is an error, never OK.
 * Up to scand_stream_memory_max the file is read into the job's buffer
 * (at most the size fstat gave, stopping at the request's deadline or
 * when the client leaves), so the verdict and its cache key come from
 * the same private bytes even if the client rewrites the file meanwhile;
 * a larger file is scanned in place and its verdict is never cached.
 * Returns 0, or -1 with *why_r set (NULL when the request was stopped).
 */
static int scan_take_fildes(struct job *job, const char **why_r)
{
	int fl = fcntl(job->fd, F_GETFL);
	size_t size, off = 0;
	struct stat st;

	*why_r = "Can't read the file descriptor.";
	if (fl < 0 || fstat(job->fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		*why_r = "Not supported file type";
		return -1;
	}
	if ((fl & O_ACCMODE) == O_WRONLY || (fl & O_PATH) != 0)
		return -1;
	job->len = (size_t)st.st_size;
	if (st.st_size > config_num(CONF_SCAND_STREAM_MEMORY_MAX))
		return 0;
	size = (size_t)st.st_size;
	job->buf = xmalloc(size > 0 ? size : 1);
	while (off < size) {
		size_t want = size - off < SCAN_READ_STEP ? size - off : SCAN_READ_STEP;
		ssize_t n;

		if (scan_stop(job)) {
			*why_r = NULL;
			return -1;
		}
		n = pread(job->fd, job->buf + off, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)	/* unreadable, or cut short while we read */
			return -1;
		off += (size_t)n;
	}
	close(job->fd);
	job->fd = -1;
	job->kind = JOB_STREAM_MEM;
	return 0;
}

/* scan_clean - the reply of a clean object (one cut at a limit may be answered FOUND). */
static void scan_clean(struct job *job, struct job_outcome *o)
{
	if (job->clean_as == NULL) {
		scan_reply(job, job->path, NULL, NULL);
		o->verdict = JOB_OK;
		return;
	}
	scan_reply(job, job->path, job->clean_as, NULL);
	snprintf(o->detail, sizeof(o->detail), "%s", job->clean_as);
	o->verdict = JOB_FOUND;
}

/* scan_answer - the reply and outcome of the engine's result R for one object. */
static void scan_answer(struct job *job, struct job_outcome *o, enum engine_result r,
			const char *virname, const char *err)
{
	switch (r) {
	case ENGINE_STOPPED:
		scan_stopped(job, o);
		break;
	case ENGINE_CLEAN:
		scan_clean(job, o);
		break;
	case ENGINE_VIRUS:
		scan_reply(job, job->path, virname, NULL);
		snprintf(o->detail, sizeof(o->detail), "%s", virname);
		o->verdict = JOB_FOUND;
		break;
	case ENGINE_ERROR:
		scan_reply(job, job->path, NULL, err);
		snprintf(o->detail, sizeof(o->detail), "%s", err);
		o->verdict = JOB_ERROR;
		break;
	}
}

/*
 * scan_scan_one - INSTREAM or FILDES: one object, one reply.  A verdict
 * the cache holds for the same bytes under this engine decides it; a
 * fresh clean or infected verdict is remembered (errors and stopped
 * scans never are).
 */
static void scan_scan_one(struct job *job, struct generation *gen, struct job_outcome *o)
{
	struct engine_scan_ctx ctx = {.stop = scan_stop, .arg = job};
	const char *virname = NULL, *err = NULL;
	unsigned char key[CACHE_KEY_SIZE];
	int keyed = scan_key(job, key) == 0;
	enum engine_result r;

	if (keyed && cache_lookup(key, gen->id, o->detail, sizeof(o->detail))) {
		o->cache = "hit";
		if (*o->detail == '\0') {
			scan_clean(job, o);
			return;
		}
		scan_reply(job, job->path, o->detail, NULL);
		o->verdict = JOB_FOUND;
		return;
	}
	o->cache = keyed ? "miss" : "-";
	if (job->kind == JOB_STREAM_MEM)
		r = engine_scan_mem(gen->db, job->buf ? job->buf : "", job->len, 0, &ctx, &virname,
				    &err);
	else
		r = engine_scan_fd(gen->db, job->fd, job->path, 0, &ctx, &virname, &err);
	scan_answer(job, o, r, virname, err);
	/* (a stopped scan or an error is never cached) */
	if (keyed && (r == ENGINE_CLEAN || r == ENGINE_VIRUS))
		cache_insert(key, gen->id, r == ENGINE_VIRUS ? virname : NULL);
}

/*
 * scan_data - the bytes of a streamed JOB: in memory, or its spool file
 * mapped (*MAP_R, *MAPLEN_R: the caller munmaps it).  Returns 0, or -1
 * when the spool file cannot be read.
 */
static int scan_data(const struct job *job, const char **data_r, size_t *len_r, char **map_r,
		     size_t *maplen_r)
{
	struct stat st;

	*map_r = NULL;
	*maplen_r = 0;
	*data_r = job->buf ? job->buf : "";
	*len_r = job->len;
	if (job->kind == JOB_STREAM_MEM)
		return 0;
	*data_r = "";
	*len_r = 0;
	if (fstat(job->fd, &st) < 0)
		return -1;
	if (st.st_size == 0)
		return 0;
	*map_r = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, job->fd, 0);
	if (*map_r == MAP_FAILED) {
		*map_r = NULL;
		return -1;
	}
	*maplen_r = (size_t)st.st_size;
	*data_r = *map_r;
	*len_r = *maplen_r;
	return 0;
}

/* scan_scan_mime - MIMESCAN: the message from memory or its spool file. */
static void scan_scan_mime(struct job *job, struct generation *gen, struct job_outcome *o)
{
	struct engine_scan_ctx ctx = {.stop = scan_stop, .arg = job};
	int facts = job->scan == JOB_MIMEFACTS;
	struct mime_result r;
	const char *data;
	char *map;
	size_t len, maplen;

	if (scan_data(job, &data, &len, &map, &maplen) < 0) {
		scan_reply(job, "stream", NULL, "Cannot read the spooled message.");
		o->verdict = JOB_ERROR;
		return;
	}
	mime_scan(data, len, gen, &ctx, job->id, job->term, facts, &r);
	if (map != NULL)
		munmap(map, maplen);
	if (job->stopped && scan_gone(job)) {
		free(r.reply);
		o->verdict = JOB_CANCELLED;
		return;
	}
	job->sink.write(job->sink.ctx, r.reply, r.len);
	free(r.reply);
	o->verdict = r.verdict == PROTO_VERDICT_CLEAN ? JOB_OK :
		     r.verdict == PROTO_VERDICT_INFECTED ? JOB_FOUND : JOB_ERROR;
	snprintf(o->detail, sizeof(o->detail), "%s", r.sig);
	o->cache = r.storm ? "storm" : r.lookups == 0 ? "-" : r.hits == 0 ? "miss" :
		   r.hits == r.lookups ? "hit" : "partial";
}

/*
 * scan_scan_facts - PARTFACTS: one object (in memory or spooled) read as
 * MIMEFACTS reads a part, with all matches and its facts: the TYPE,
 * MEMBER and SIG lines of path "1", then the line INSTREAM would answer,
 * from the facts entries of the verdict cache when the bytes were read
 * before (facts.h).
 */
static void scan_scan_facts(struct job *job, struct generation *gen, struct job_outcome *o)
{
	struct engine_scan_ctx ctx = {.stop = scan_stop, .arg = job};
	const char *virname = NULL, *err = NULL, *data;
	size_t len, maplen;
	enum engine_result r;
	struct buffer facts = BUFFER_INIT;
	char *map;
	int hit;

	if (scan_data(job, &data, &len, &map, &maplen) < 0) {
		scan_reply(job, job->path, NULL, "Cannot read the spooled stream.");
		o->verdict = JOB_ERROR;
		return;
	}
	r = facts_scan(gen->db, gen->id, &ctx, ENGINE_FACTS, NULL, &facts, job->id, "1", data, len,
		       &virname, &err, &hit);
	o->cache = !cache_enabled() ? "-" : hit ? "hit" : "miss";
	if (r != ENGINE_STOPPED && buffer_len(&facts) > 0)
		job->sink.write(job->sink.ctx, buffer_data(&facts), buffer_len(&facts));
	scan_answer(job, o, r, virname, err);
	buffer_free(&facts);
	if (map != NULL)
		munmap(map, maplen);
}

/* scan_finish - count and log the request whose outcome is set (scanned since START_US). */
static void scan_finish(struct job *job, long long start_us)
{
	const struct job_outcome *o = &job->outcome;
	char logpath[LOG_SAFE_MAX], logsig[LOG_SAFE_MAX];
	unsigned long long reqno = atomic_fetch_add(&scan_requests, 1) + 1;
	long long bytes = (long long)job->len;

	meter_request(job, start_us);
	stats_add(STATS_REQUESTS, 1);
	if (o->verdict == JOB_FOUND)
		stats_add(STATS_INFECTED, 1);
	else if (o->verdict != JOB_OK)
		stats_add(STATS_ERRORS, 1);
	log_sanitize(logpath, sizeof(logpath), job->path ? job->path : "",
		     job->path ? strlen(job->path) : 0);
	/* The log's sig= is the signature, or the reason of an engine error. */
	log_sanitize(logsig, sizeof(logsig), o->detail, strlen(o->detail));
	log_info("req=%llu client=%s cmd=%s name=%s bytes=%lld verdict=%s sig=%s ms=%lld cache=%s",
		 reqno, job->peer, job->cmd, logpath, bytes, job_verdict_name(o->verdict),
		 *logsig ? logsig : "-", sock_now_ms() - job->start_ms, o->cache);
}

void scan_run(struct job *job)
{
	struct generation *gen = generation_acquire();
	struct job_outcome *o = &job->outcome;
	const char *why = NULL;
	long long start_us = meter_now_us();

	o->verdict = JOB_ERROR;
	o->detail[0] = '\0';
	o->cache = "-";
	if (gen == NULL)
		scan_reply(job, job->path, NULL, "Signature database not loaded yet.");
	else if (job->kind == JOB_FILDES && scan_take_fildes(job, &why) < 0) {
		if (why != NULL)
			scan_reply(job, job->path, NULL, why);
		else
			scan_stopped(job, o);
	} else if (job->kind == JOB_PATH)
		scan_scan_path(job, gen, o);
	else if (job->scan == JOB_MIME || job->scan == JOB_MIMEFACTS)
		scan_scan_mime(job, gen, o);
	else if (job->scan == JOB_PARTFACTS)
		scan_scan_facts(job, gen, o);
	else
		scan_scan_one(job, gen, o);
	generation_release(gen);
	scan_finish(job, start_us);
}

int scan_try_now(struct job *job)
{
	struct generation *gen;
	struct mime_result r;
	long long start_us = meter_now_us();
	int answered;

	if (job->scan != JOB_MIME || job->kind != JOB_STREAM_MEM || job->len == 0)
		return 0;
	if ((gen = generation_acquire()) == NULL)
		return 0;
	answered = mime_quick(job->buf, job->len, gen->id, job->id, job->term, &r);
	generation_release(gen);
	if (!answered)
		return 0;
	job->sink.write(job->sink.ctx, r.reply, r.len);
	free(r.reply);
	job->outcome.verdict = JOB_FOUND;	/* only a known infected body answers */
	snprintf(job->outcome.detail, sizeof(job->outcome.detail), "%s", r.sig);
	job->outcome.cache = "storm";
	scan_finish(job, start_us);
	return 1;
}
