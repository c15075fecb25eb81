/*
 * mxbench.c - a clamd-protocol load generator for comparing mxscand with
 * stock clamd.  This file owns the benchmark client only: CONCURRENCY
 * threads send INSTREAM (files preloaded and framed) or FILDES requests,
 * one connection each, cycling through the files; every reply is
 * classified ("...OK" clean, "...FOUND" found, anything else or a failed
 * connection an error) and one key=value line sums up throughput and
 * latency percentiles.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/sock.h"
#include "common/xalloc.h"

#define MXB_CHUNK 65536			/* INSTREAM chunk size */
#define MXB_CONNECT_TIMEOUT_MS 10000
#define MXB_MAX_ERROR_LOGS 10		/* per thread, unless -q */

enum mxb_mode { MXB_INSTREAM, MXB_FILDES, MXB_MIMESCAN, MXB_MIMEFACTS };

/* One input file: its path, and for INSTREAM the ready-framed request. */
struct mxb_file {
	const char *path;
	size_t size;		/* file data bytes */
	char *wire;		/* "zINSTREAM\0" + chunks + terminator */
	size_t wire_len;
};

/* The whole run: options, inputs and the shared request counter. */
struct mxb_config {
	const char *endpoint;
	int conc;
	long long total;	/* -n, or 0 with -d */
	double duration;	/* -d seconds, or 0 with -n */
	enum mxb_mode mode;
	int quiet;
	int timeout_ms;
	struct mxb_file *files;
	size_t nfiles;
	long long end_ms;	/* -d: no new request starts after this */
	unsigned long long next;	/* next request number (atomic) */
};

/* Per-thread results, merged by main when the threads are done. */
struct mxb_worker {
	struct mxb_config *cfg;
	pthread_t tid;
	unsigned long long requests, ok, found, errors, bytes;
	double *lat_ms;		/* latencies of answered requests */
	size_t nlat, caplat;
	double last_reply;	/* mxb_now() of the latest answer */
	int logged;
};

/* mxb_now - CLOCK_MONOTONIC in seconds. */
static double mxb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void mxb_usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxbench -s ENDPOINT [options] FILE...\n"
		"Load a clamd-protocol scanner (mxscand or clamd) with scan requests.\n\n"
		"  -s, --socket EP        unix:/path or tcp:host:port (required)\n"
		"  -c, --concurrency N    client threads (default 1)\n"
		"  -n, --requests N       total requests (default: one per FILE)\n"
		"  -d, --duration SECS    run for SECS seconds instead of -n\n"
		"  -m, --mode MODE        instream (default), mimescan (mxscand: whole messages),\n"
		"                         mimefacts (MIMESCAN with the mail policy's facts)\n"
		"                         or fildes (UNIX sockets only)\n"
		"  -t, --timeout SECS     time limit of one request (default 120)\n"
		"  -q, --quiet            print only the summary line\n"
		"  -h, --help             this help\n\n"
		"Each request uses a new connection; files are used in turn.  Replies\n"
		"ending in \"OK\" count as ok, in \"FOUND\" as found, anything else and\n"
		"connection failures as errors.  Summary line (key=value):\n"
		"  conc requests ok found errors seconds rps mbps p50_ms p95_ms p99_ms\n"
		"rps counts answered (ok + found) requests, mbps their file data in\n"
		"megabytes (10^6 bytes) per second; latency percentiles are over answered\n"
		"requests, from connect to the reply; seconds runs from the start to the\n"
		"last answer (a request left to time out does not stretch it).  With -d\n"
		"no request starts after SECS; those in flight then are completed.\n"
		"Exit status: 0 no errors, 1 some request failed, 2 usage/set-up error.\n");
}

/* mxb_number - parse a positive number in [MIN, MAX] or exit. */
static double mxb_number(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "mxbench: %s: bad value \"%s\" (%g..%g)\n", opt, s, min, max);
		exit(2);
	}
	return v;
}

/* mxb_put_len - a 4-byte big-endian INSTREAM length. */
static char *mxb_put_len(char *p, uint32_t n)
{
	p[0] = (char)(n >> 24);
	p[1] = (char)(n >> 16);
	p[2] = (char)(n >> 8);
	p[3] = (char)n;
	return p + 4;
}

/*
 * mxb_load - check PATH and, for a stream command (CMD: "zINSTREAM",
 * "zMIMESCAN" or "zMIMEFACTS"), build its framed request.
 */
static int mxb_load(struct mxb_file *f, const char *cmd)
{
	const char *why = NULL;
	struct stat st;
	size_t off = 0, clen = cmd != NULL ? strlen(cmd) + 1 : 0;
	char *p;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (cmd != NULL) {
		f->size = (size_t)st.st_size;
		f->wire_len = clen + f->size + 4 * ((f->size + MXB_CHUNK - 1) / MXB_CHUNK) + 4;
		f->wire = p = xmalloc(f->wire_len);
		memcpy(p, cmd, clen);	/* with its NUL */
		p += clen;
		while (why == NULL && off < f->size) {
			size_t n = f->size - off < MXB_CHUNK ? f->size - off : MXB_CHUNK, got = 0;

			p = mxb_put_len(p, (uint32_t)n);
			while (why == NULL && got < n) {
				ssize_t r = read(fd, p + got, n - got);

				if (r > 0)
					got += (size_t)r;
				else
					why = r < 0 ? strerror(errno) : "file shrank while loading";
			}
			p += n;
			off += n;
		}
		mxb_put_len(p, 0);
	} else
		f->size = (size_t)st.st_size;
	if (fd >= 0)
		close(fd);
	if (why != NULL)
		fprintf(stderr, "mxbench: %s: %s\n", f->path, why);
	return why == NULL ? 0 : -1;
}

/* mxb_error - note one failed request (a few are reported unless -q). */
static void mxb_error(struct mxb_worker *w, const char *path, const char *why)
{
	w->errors++;
	if (w->cfg->quiet || w->logged >= MXB_MAX_ERROR_LOGS)
		return;
	w->logged++;
	fprintf(stderr, "mxbench: %s: %s%s\n", path, why,
		w->logged == MXB_MAX_ERROR_LOGS ? " (further errors of this thread not shown)" : "");
}

/* mxb_send - send one request on SOCK; 0 or -1 with *why_r. */
static int mxb_send(struct mxb_worker *w, int sock, const struct mxb_file *f,
		    long long deadline, const char **why_r)
{
	int fd, r;

	if (w->cfg->mode != MXB_FILDES)
		return sock_write_all(sock, f->wire, f->wire_len, deadline, why_r);
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why_r = strerror(errno);
		return -1;
	}
	r = sock_write_all(sock, "zFILDES", 8, deadline, why_r);
	if (r == 0)
		r = sock_send_fd(sock, fd, deadline, why_r);
	close(fd);
	return r;
}

/* mxb_request - one request on a new connection; classifies the reply. */
static void mxb_request(struct mxb_worker *w, const struct mxb_file *f)
{
	const struct mxb_config *cfg = w->cfg;
	long long deadline = sock_now_ms() + cfg->timeout_ms;
	double t0 = mxb_now();
	const char *why = NULL, *send_why = NULL;
	char reply[4096];
	size_t len = 0;
	int sock, is_unix, sent;

	w->requests++;
	sock = sock_connect(cfg->endpoint, MXB_CONNECT_TIMEOUT_MS, &is_unix, &why);
	if (sock < 0) {
		mxb_error(w, f->path, why);
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);	/* no busy loop */
		return;
	}
	/* A reply may still explain a failed send (e.g. a size limit). */
	sent = mxb_send(w, sock, f, deadline, &send_why) == 0;
	for (;;) {
		ssize_t n = sock_read_some(sock, reply + len, sizeof(reply) - 1 - len, deadline, &why);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (reply[len - 1] == '\0' || len + 1 >= sizeof(reply))
			break;
	}
	close(sock);
	reply[len] = '\0';
	if (len > 0 && reply[len - 1] == '\0')
		len--;
	if (len == 0) {
		mxb_error(w, f->path, !sent ? send_why : why != NULL ? why : "no reply");
		return;
	}
	if (len >= 2 && memcmp(reply + len - 2, "OK", 2) == 0)
		w->ok++;
	else if (len >= 5 && memcmp(reply + len - 5, "FOUND", 5) == 0)
		w->found++;
	else {
		mxb_error(w, f->path, reply);
		return;
	}
	w->bytes += f->size;
	w->last_reply = mxb_now();
	if (w->nlat == w->caplat) {
		w->caplat = w->caplat ? w->caplat * 2 : 1024;
		w->lat_ms = xrealloc(w->lat_ms, w->caplat * sizeof(double));
	}
	w->lat_ms[w->nlat++] = (w->last_reply - t0) * 1e3;
}

static void *mxb_thread(void *arg)
{
	struct mxb_worker *w = arg;
	struct mxb_config *cfg = w->cfg;

	for (;;) {
		unsigned long long i = __atomic_fetch_add(&cfg->next, 1, __ATOMIC_RELAXED);

		if (cfg->total > 0 ? i >= (unsigned long long)cfg->total
				   : sock_now_ms() >= cfg->end_ms)
			break;
		mxb_request(w, &cfg->files[i % cfg->nfiles]);
	}
	return NULL;
}

static int mxb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* mxb_pct - nearest-rank percentile P of sorted V[N]. */
static double mxb_pct(const double *v, size_t n, size_t p)
{
	size_t rank = (n * p + 99) / 100;

	return n == 0 ? 0.0 : v[rank == 0 ? 0 : rank - 1];
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"concurrency", required_argument, NULL, 'c'},
		{"requests", required_argument, NULL, 'n'},
		{"duration", required_argument, NULL, 'd'},
		{"mode", required_argument, NULL, 'm'},
		{"timeout", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct mxb_config cfg;
	struct mxb_worker *workers, sum;
	double t0, t1 = 0, secs, *all;
	size_t i, nall = 0, totbytes = 0;
	int opt, probe, is_unix, err;
	const char *why;

	memset(&cfg, 0, sizeof(cfg));
	cfg.conc = 1;
	cfg.timeout_ms = 120000;
	while ((opt = getopt_long(argc, argv, "s:c:n:d:m:t:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': cfg.endpoint = optarg; break;
		case 'c': cfg.conc = (int)mxb_number("-c", optarg, 1, 10000); break;
		case 'n': cfg.total = (long long)mxb_number("-n", optarg, 1, 1e15); break;
		case 'd': cfg.duration = mxb_number("-d", optarg, 0.001, 1e7); break;
		case 't': cfg.timeout_ms = (int)(mxb_number("-t", optarg, 0.1, 86400) * 1000); break;
		case 'q': cfg.quiet = 1; break;
		case 'm':
			if (strcmp(optarg, "instream") != 0 && strcmp(optarg, "fildes") != 0 &&
			    strcmp(optarg, "mimescan") != 0 && strcmp(optarg, "mimefacts") != 0) {
				fprintf(stderr, "mxbench: -m: expected instream, fildes, mimescan or "
						"mimefacts\n");
				return 2;
			}
			cfg.mode = optarg[0] == 'f' ? MXB_FILDES : strcmp(optarg, "mimefacts") == 0 ?
				   MXB_MIMEFACTS : optarg[0] == 'm' ? MXB_MIMESCAN : MXB_INSTREAM;
			break;
		case 'h': mxb_usage(stdout); return 0;
		default: mxb_usage(stderr); return 2;
		}
	}
	if (cfg.endpoint == NULL || optind >= argc || (cfg.total > 0 && cfg.duration > 0)) {
		fprintf(stderr, "mxbench: %s\n", cfg.endpoint == NULL ? "-s ENDPOINT is required"
					       : optind >= argc ? "no FILE given"
					       : "-n and -d exclude each other");
		mxb_usage(stderr);
		return 2;
	}
	cfg.nfiles = (size_t)(argc - optind);
	cfg.files = xcalloc(cfg.nfiles, sizeof(*cfg.files));
	for (i = 0; i < cfg.nfiles; i++) {
		cfg.files[i].path = argv[optind + (int)i];
		if (mxb_load(&cfg.files[i], cfg.mode == MXB_FILDES ? NULL :
					 cfg.mode == MXB_MIMESCAN ? "zMIMESCAN" :
					 cfg.mode == MXB_MIMEFACTS ? "zMIMEFACTS" : "zINSTREAM") < 0)
			return 2;
		totbytes += cfg.files[i].size;
	}
	if (cfg.total == 0 && cfg.duration == 0)
		cfg.total = (long long)cfg.nfiles;
	/* Fail early on a wrong endpoint rather than counting errors. */
	probe = sock_connect(cfg.endpoint, MXB_CONNECT_TIMEOUT_MS, &is_unix, &why);
	if (probe < 0 || (cfg.mode == MXB_FILDES && !is_unix)) {
		fprintf(stderr, "mxbench: %s\n", probe < 0 ? why : "fildes mode needs a unix: endpoint");
		return 2;
	}
	close(probe);
	if (!cfg.quiet)
		fprintf(stderr, "mxbench: %s, %s, %d threads, %zu files (%zu bytes), %s\n",
			cfg.endpoint, cfg.mode == MXB_INSTREAM ? "instream" : cfg.mode == MXB_MIMESCAN ? "mimescan" : cfg.mode == MXB_MIMEFACTS ? "mimefacts" : "fildes", cfg.conc,
			cfg.nfiles, totbytes, cfg.total > 0 ? "by count" : "by time");

	workers = xcalloc((size_t)cfg.conc, sizeof(*workers));
	t0 = mxb_now();
	cfg.end_ms = sock_now_ms() + (long long)(cfg.duration * 1000);
	for (i = 0; i < (size_t)cfg.conc; i++) {
		workers[i].cfg = &cfg;
		err = pthread_create(&workers[i].tid, NULL, mxb_thread, &workers[i]);
		if (err != 0) {
			fprintf(stderr, "mxbench: pthread_create: %s\n", strerror(err));
			return 2;
		}
	}
	memset(&sum, 0, sizeof(sum));
	all = NULL;
	for (i = 0; i < (size_t)cfg.conc; i++) {
		struct mxb_worker *w = &workers[i];

		pthread_join(w->tid, NULL);
		sum.requests += w->requests;
		sum.ok += w->ok;
		sum.found += w->found;
		sum.errors += w->errors;
		sum.bytes += w->bytes;
		all = xrealloc(all, (nall + w->nlat + 1) * sizeof(double));
		if (w->nlat > 0)
			memcpy(all + nall, w->lat_ms, w->nlat * sizeof(double));
		nall += w->nlat;
		free(w->lat_ms);
		if (w->last_reply > t1)
			t1 = w->last_reply;
	}
	/* Up to the last answer: a request left to time out does not count. */
	secs = (nall > 0 ? t1 : mxb_now()) - t0;
	qsort(all, nall, sizeof(double), mxb_cmp_double);
	printf("conc=%d requests=%llu ok=%llu found=%llu errors=%llu seconds=%.3f rps=%.1f "
	       "mbps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
	       cfg.conc, sum.requests, sum.ok, sum.found, sum.errors, secs,
	       secs > 0 ? (double)(sum.ok + sum.found) / secs : 0.0,
	       secs > 0 ? (double)sum.bytes / 1e6 / secs : 0.0,
	       mxb_pct(all, nall, 50), mxb_pct(all, nall, 95), mxb_pct(all, nall, 99));
	free(all);
	free(workers);
	for (i = 0; i < cfg.nfiles; i++)
		free(cfg.files[i].wire);
	free(cfg.files);
	if (fflush(stdout) != 0)
		return 2;
	return sum.errors == 0 ? 0 : 1;
}
