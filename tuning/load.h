/*
 * load.h - the load engine: CONC client threads send scan requests, one
 * connection each (as one MTA job per part does), for a time or a count,
 * and the answers are summed up with latency percentiles.
 */
#ifndef MX_LOAD_H
#define MX_LOAD_H

#include <stddef.h>
#include <stdint.h>

/* One request's payload; DATA points into BUF or into shared memory. */
struct load_item {
	const unsigned char *data;
	size_t len;
	int expect;		/* 1 infected, 0 clean, -1 unknown */
	void *priv;		/* the source's per-thread state */
};

/*
 * A payload source: MAKE fills ITEM for request number INDEX; it runs in
 * the client threads, so it must only use CTX read-only and ITEM->priv.
 * FREE releases ITEM->priv (may be NULL).
 */
struct load_source {
	void (*make)(void *ctx, uint64_t index, struct load_item *item);
	void (*free)(struct load_item *item);
	void (*fini)(void *ctx);	/* releases CTX (may be NULL) */
	void *ctx;
};

struct load_options {
	const char *endpoint;
	const char *command;	/* "zINSTREAM" or "zMIMESCAN" (10 bytes with NUL) */
	int conc;
	double duration;	/* seconds, or 0 with COUNT */
	uint64_t count;		/* requests, or 0 with DURATION */
	uint64_t first_index;	/* index of the first request */
	int timeout_ms;
	const struct load_source *source;
};

struct load_result {
	int conc;
	unsigned long long requests, ok, found, errors, wrong, bytes;
	double seconds, pps, mbps, p50_ms, p95_ms, p99_ms, mean_ms;
	char first_error[256];	/* "" when none */
};

/* load_run - one run; 0, or -1 when threads could not start (*error_r). */
int load_run(const struct load_options *opts, struct load_result *res, const char **error_r);

/* load_percentile - nearest-rank percentile P (0..100) of sorted V[N]. */
double load_percentile(const double *v, size_t n, double p);

/* load_corpus_source - a source generating unique parts of a corpus. */
void load_corpus_source(struct load_source *src, const void *corpus_params);

/* load_storm_source - a source of storm messages of SEED (see corpus_message). */
void load_storm_source(struct load_source *src, const uint64_t *seed);

/*
 * load_files_source - a source cycling through FILES (NULL-terminated),
 * read into memory now; EXPECT (NULL: unknown) gives each file's verdict
 * (1 infected, 0 clean, -1 unknown).  0 or -1 with *error_r.
 */
int load_files_source(struct load_source *src, char *const *files, const int *expect,
		      const char **error_r);

/* load_source_fini - release what SRC holds. */
void load_source_fini(struct load_source *src);

#endif
