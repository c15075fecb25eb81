/*
 * fetch.h - downloads with libcurl: https, http and file only, time-outs,
 * conditional requests, ranges, resume, a size cap, retries with backoff
 * and jitter, and the cool-down after a 429 or 403 (kept in state.h).
 */
#ifndef MX_UPDATE_FETCH_H
#define MX_UPDATE_FETCH_H

#include <stddef.h>
#include <time.h>

/* Room for "scheme://host[:port]" (fetch_origin) and for an ETag. */
#define FETCH_ORIGIN_MAX 512
#define FETCH_ETAG_MAX 256

struct fetch_options {
	long long connect_timeout_ms;
	long low_speed_time_s;
	long low_speed_limit;
	int retries;
	long long retry_delay_ms;
	long long cooldown_s;
	long long max_download;
	const char *ca_file;	/* "" = system store */
	const char *ca_path;
	const char *user_agent;
};

enum fetch_status {
	FETCH_DONE,
	FETCH_NOT_MODIFIED,	/* 304 */
	FETCH_NOT_FOUND,	/* 404/410, missing file: next mirror */
	FETCH_TEMPFAIL,		/* worth retrying: network, time-out, 5xx */
	FETCH_PERMFAIL,		/* not worth retrying: 4xx, TLS, size cap */
	FETCH_COOLDOWN,		/* 429/403 now or remembered: leave this origin */
};

struct fetch_request {
	const char *url;
	const char *dest;	/* file written through DEST.part; or NULL: */
	char *mem;		/* ... into MEM, at most MEM_SIZE bytes */
	size_t mem_size;
	size_t mem_len;		/* out: bytes in MEM */
	long long range_end;	/* >= 0: ask only bytes 0..range_end */
	int conditional;	/* send the stored ETag / Last-Modified */
	int resume;		/* continue DEST.part if present */
	char etag[FETCH_ETAG_MAX]; /* out: the ETag of the answer ("" if none) */
	time_t modified;	/* out: its Last-Modified (0 if unknown) */
	int resumed;		/* out: the result was resumed from a .part */
};

/* fetch_init - libcurl global init and the options (copied pointers must
 * outlive the fetches).  Returns 0 or -1. */
int fetch_init(const struct fetch_options *opts, const char **error_r);

/* fetch_shutdown - libcurl global cleanup. */
void fetch_shutdown(void);

/*
 * fetch_retry - one transfer of RQ, retried on TEMPFAIL up to the
 * configured retries with fetch_backoff_ms() waits; COOLDOWN at once when
 * the URL's origin is on cool-down, and a 429/403 answer records the
 * cool-down.  *error_r gets a reason for every status but DONE and
 * NOT_MODIFIED: a static string or a per-thread buffer, valid until the
 * next fetch_retry() in the same thread.
 */
enum fetch_status fetch_retry(struct fetch_request *rq, const char **error_r);

/*
 * fetch_backoff_ms - the wait before retry ATTEMPT (0 for the first
 * retry): BASE_MS doubled ATTEMPT times, capped at 15 minutes, then a
 * jittered value between half of it and all of it chosen by RND.
 */
long long fetch_backoff_ms(long long base_ms, int attempt, unsigned rnd);

/* fetch_origin - "scheme://host[:port]" of URL into BUF (SIZE bytes,
 * FETCH_ORIGIN_MAX fits); -1 if URL is not an absolute https, http or
 * file URL. */
int fetch_origin(const char *url, char *buf, size_t size);

#endif
