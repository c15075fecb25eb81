/*
 * NAME
 *	load - the load engine of mxscan-tune
 * SUMMARY
 *	load_run() starts CONC threads; each takes the next request number,
 *	asks the source for its payload, connects, sends it in INSTREAM
 *	framing (65536-byte chunks) after COMMAND and reads the reply to its
 *	NUL.  A reply ending in "OK" is clean, in "FOUND" infected, anything
 *	else (or a failed connection) an error; a verdict other than the one
 *	the source expected counts as wrong.
 * DESCRIPTION
 *	Throughput counts answered requests over the time from the start to
 *	the last answer.  Latency runs from connect to the reply, so it
 *	includes any wait in the scanner's own queue.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/sock.h"
#include "common/xalloc.h"
#include "tuning/corpus.h"
#include "tuning/load.h"
#include "tuning/tune.h"

#define LOAD_CHUNK 65536
#define LOAD_CONNECT_TIMEOUT_MS 10000

struct load_shared {
	const struct load_options *opts;
	double end;			/* duration runs: no new request after this */
	uint64_t next;			/* atomic request counter */
};

struct load_worker {
	struct load_shared *sh;
	pthread_t tid;
	unsigned long long requests, ok, found, errors, wrong, bytes;
	double *lat;
	size_t nlat, caplat;
	double last;
	char first_error[256];
};

/* load_put_len - a 4-byte big-endian length. */
static void load_put_len(unsigned char *p, uint32_t n)
{
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
}

/* load_error - count one failed request, keep the first reason. */
static void load_error(struct load_worker *w, const char *why)
{
	w->errors++;
	if (w->first_error[0] == '\0')
		snprintf(w->first_error, sizeof(w->first_error), "%s", why ? why : "?");
}

/* load_send - COMMAND, then the chunks and the terminator. */
static int load_send(int sock, const char *command, const struct load_item *it,
		     long long deadline, const char **why)
{
	unsigned char len[4];
	size_t off = 0;

	if (sock_write_all(sock, command, strlen(command) + 1, deadline, why) < 0)
		return -1;
	while (off < it->len) {
		size_t n = it->len - off < LOAD_CHUNK ? it->len - off : LOAD_CHUNK;

		load_put_len(len, (uint32_t)n);
		if (sock_write_all(sock, len, 4, deadline, why) < 0 ||
		    sock_write_all(sock, it->data + off, n, deadline, why) < 0)
			return -1;
		off += n;
	}
	load_put_len(len, 0);
	return sock_write_all(sock, len, 4, deadline, why);
}

/* load_request - one request on a new connection. */
static void load_request(struct load_worker *w, const struct load_item *it)
{
	const struct load_options *o = w->sh->opts;
	long long deadline = sock_now_ms() + o->timeout_ms;
	double t0 = tune_now();
	const char *why = NULL, *send_why = NULL;
	char reply[4096];
	size_t len = 0;
	int sock, is_unix, sent, found;

	w->requests++;
	sock = sock_connect(o->endpoint, LOAD_CONNECT_TIMEOUT_MS, &is_unix, &why);
	if (sock < 0) {
		load_error(w, why);
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);	/* no busy loop */
		return;
	}
	sent = load_send(sock, o->command, it, deadline, &send_why) == 0;
	for (;;) {
		ssize_t n;

		/* Long MIMESCAN replies: keep the tail, where the verdict is. */
		if (len + 1 >= sizeof(reply)) {
			memmove(reply, reply + len - 512, 512);
			len = 512;
		}
		n = sock_read_some(sock, reply + len, sizeof(reply) - 1 - len, deadline, &why);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (reply[len - 1] == '\0')
			break;
	}
	close(sock);
	reply[len] = '\0';
	if (len > 0 && reply[len - 1] == '\0')
		reply[--len] = '\0';
	if (len == 0) {
		load_error(w, !sent ? send_why : why != NULL ? why : "no reply");
		return;
	}
	if (len >= 2 && memcmp(reply + len - 2, "OK", 2) == 0)
		found = 0;
	else if (len >= 5 && memcmp(reply + len - 5, "FOUND", 5) == 0)
		found = 1;
	else {
		load_error(w, reply);
		return;
	}
	if (found)
		w->found++;
	else
		w->ok++;
	if (it->expect >= 0 && it->expect != found)
		w->wrong++;
	w->bytes += it->len;
	w->last = tune_now();
	if (w->nlat == w->caplat) {
		w->caplat = w->caplat ? w->caplat * 2 : 1024;
		w->lat = xrealloc(w->lat, w->caplat * sizeof(double));
	}
	w->lat[w->nlat++] = (w->last - t0) * 1e3;
}

static void *load_thread(void *arg)
{
	struct load_worker *w = arg;
	const struct load_options *o = w->sh->opts;
	struct load_item it;

	memset(&it, 0, sizeof(it));
	for (;;) {
		uint64_t i = __atomic_fetch_add(&w->sh->next, 1, __ATOMIC_RELAXED);

		if (o->count > 0 ? i >= o->count : tune_now() >= w->sh->end)
			break;
		o->source->make(o->source->ctx, o->first_index + i, &it);
		load_request(w, &it);
	}
	if (o->source->free != NULL)
		o->source->free(&it);
	return NULL;
}

static int load_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* load_percentile - nearest rank. */
double load_percentile(const double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0.0;
	rank = (size_t)((double)n * p / 100.0 + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* load_run - see load.h. */
int load_run(const struct load_options *opts, struct load_result *res, const char **error_r)
{
	struct load_shared sh = {.opts = opts};
	struct load_worker *w = xcalloc((size_t)opts->conc, sizeof(*w));
	double t0 = tune_now(), t1 = 0, sum = 0, *all = NULL;
	size_t nall = 0;
	int i, started = 0, err = 0;

	sh.end = t0 + opts->duration;
	for (i = 0; i < opts->conc; i++) {
		w[i].sh = &sh;
		if ((err = pthread_create(&w[i].tid, NULL, load_thread, &w[i])) != 0)
			break;
		started++;
	}
	memset(res, 0, sizeof(*res));
	res->conc = opts->conc;
	for (i = 0; i < started; i++) {
		pthread_join(w[i].tid, NULL);
		res->requests += w[i].requests;
		res->ok += w[i].ok;
		res->found += w[i].found;
		res->errors += w[i].errors;
		res->wrong += w[i].wrong;
		res->bytes += w[i].bytes;
		if (res->first_error[0] == '\0' && w[i].first_error[0] != '\0')
			memcpy(res->first_error, w[i].first_error, sizeof(res->first_error));
		all = xrealloc(all, (nall + w[i].nlat + 1) * sizeof(double));
		if (w[i].nlat > 0)
			memcpy(all + nall, w[i].lat, w[i].nlat * sizeof(double));
		nall += w[i].nlat;
		free(w[i].lat);
		if (w[i].last > t1)
			t1 = w[i].last;
	}
	free(w);
	if (err != 0) {
		free(all);
		*error_r = strerror(err);
		return -1;
	}
	res->seconds = (nall > 0 ? t1 : tune_now()) - t0;
	qsort(all, nall, sizeof(double), load_cmp);
	for (size_t k = 0; k < nall; k++)
		sum += all[k];
	if (res->seconds > 0) {
		res->pps = (double)(res->ok + res->found) / res->seconds;
		res->mbps = (double)res->bytes / 1e6 / res->seconds;
	}
	res->p50_ms = load_percentile(all, nall, 50);
	res->p95_ms = load_percentile(all, nall, 95);
	res->p99_ms = load_percentile(all, nall, 99);
	res->mean_ms = nall > 0 ? sum / (double)nall : 0;
	free(all);
	return 0;
}

/* --- sources ---------------------------------------------------------- */

/* Generated corpus parts: ITEM->priv is the thread's corpus_part. */
static void load_corpus_make(void *ctx, uint64_t index, struct load_item *it)
{
	struct corpus_part *part = it->priv;

	if (part == NULL)
		it->priv = part = xcalloc(1, sizeof(*part));
	corpus_make(ctx, index, part);
	it->data = part->data;
	it->len = part->len;
	it->expect = part->infected;
}

static void load_part_free(struct load_item *it)
{
	struct corpus_part *part = it->priv;

	if (part != NULL) {
		corpus_part_free(part);
		free(part);
		it->priv = NULL;
	}
}

void load_corpus_source(struct load_source *src, const void *corpus_params)
{
	src->make = load_corpus_make;
	src->free = load_part_free;
	src->fini = NULL;
	src->ctx = (void *)corpus_params;
}

static void load_storm_make(void *ctx, uint64_t index, struct load_item *it)
{
	struct corpus_part *part = it->priv;

	if (part == NULL)
		it->priv = part = xcalloc(1, sizeof(*part));
	corpus_message(*(const uint64_t *)ctx, index, part);
	it->data = part->data;
	it->len = part->len;
	it->expect = 1;
}

void load_storm_source(struct load_source *src, const uint64_t *seed)
{
	src->make = load_storm_make;
	src->free = load_part_free;
	src->fini = NULL;
	src->ctx = (void *)seed;
}

/* Files loaded once into memory; a NULL-data entry ends the table. */
struct load_file {
	unsigned char *data;
	size_t len;
	int expect;
};

static void load_files_make(void *ctx, uint64_t index, struct load_item *it)
{
	const struct load_file *f = ctx;
	size_t n = 0;

	while (f[n].data != NULL)
		n++;
	it->data = f[index % n].data;
	it->len = f[index % n].len;
	it->expect = f[index % n].expect;
}

static void load_files_fini(void *ctx)
{
	struct load_file *f = ctx;
	size_t i;

	for (i = 0; f[i].data != NULL; i++)
		free(f[i].data);
	free(f);
}

/* load_files_source - files preloaded until load_source_fini. */
int load_files_source(struct load_source *src, char *const *files, const int *expect,
		      const char **error_r)
{
	static char why[600];
	struct load_file *f = NULL;
	size_t n = 0;

	for (; *files != NULL; files++) {
		struct stat st;
		int fd = open(*files, O_RDONLY | O_CLOEXEC);
		ssize_t got = 0;

		const char *bad = NULL;

		if (fd < 0 || fstat(fd, &st) < 0)
			bad = strerror(errno);
		else if (!S_ISREG(st.st_mode))
			bad = "not a regular file";
		if (bad != NULL) {
			snprintf(why, sizeof(why), "%s: %s", *files, bad);
			if (fd >= 0)
				close(fd);
			*error_r = why;
			return -1;
		}
		f = xrealloc(f, (n + 2) * sizeof(*f));
		f[n].len = (size_t)st.st_size;
		f[n].data = xmalloc(f[n].len + 1);
		while ((size_t)got < f[n].len) {
			ssize_t r = read(fd, f[n].data + got, f[n].len - (size_t)got);

			if (r <= 0)
				break;
			got += r;
		}
		close(fd);
		f[n].len = (size_t)got;
		f[n].expect = expect != NULL ? expect[n] : -1;
		n++;
	}
	if (n == 0) {
		*error_r = "no files";
		return -1;
	}
	f[n].data = NULL;
	src->make = load_files_make;
	src->free = NULL;
	src->fini = load_files_fini;
	src->ctx = f;
	return 0;
}

/* load_source_fini - release what a source holds. */
void load_source_fini(struct load_source *src)
{
	if (src->fini != NULL)
		src->fini(src->ctx);
	src->fini = NULL;
}
