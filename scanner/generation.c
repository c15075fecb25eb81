/*
 * generation.c - engine generations, the reload thread, and database
 * change detection (see generation.h).
 *
 * Change detection fingerprints the database directory (names, sizes,
 * mtimes, inodes, and the target of database_root/current).  A changed
 * fingerprint is acted on only when it has been the same for two checks
 * in a row, so a set of files renamed one by one (freshclam) is loaded
 * once, whole.  The fingerprint is taken before a load starts, so files
 * that change during the load trigger another one.  Like clamd's
 * SelfCheck it looks only at what a load reads: directories (freshclam's
 * tmp.* work directories) and freshclam's own state files do not count.
 */
#include "auto-config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/bodies.h"
#include "scanner/cache.h"
#include "scanner/dbfile.h"
#include "scanner/generation.h"
#include "scanner/meter.h"

static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gen_cond = PTHREAD_COND_INITIALIZER;
static pthread_t gen_thread;
static int gen_thread_started;
static struct engine_settings gen_settings;
static struct generation *gen_current;
static unsigned long long gen_counter;

/* Reload state, under gen_lock. */
static int gen_requested, gen_stopping, gen_loading;
static unsigned gen_failures;
static char gen_last_error[512];

void generation_db_dir(char *buf, size_t size)
{
	const char *root = config_str(CONF_DATABASE_ROOT);
	char cur[PATH_MAX], real[PATH_MAX];
	struct stat st;

	snprintf(cur, sizeof(cur), "%s/current", root);
	if (lstat(cur, &st) == 0 && realpath(cur, real) != NULL) {
		snprintf(buf, size, "%s", real);
		return;
	}
	if (realpath(root, real) != NULL)
		snprintf(buf, size, "%s", real);
	else
		snprintf(buf, size, "%s", root);
}

/* generation_fingerprint - FNV-1a over the directory's visible entries. */
static uint64_t generation_fingerprint(const char *dir)
{
	uint64_t h = 1469598103934665603ULL;
	struct dirent *de;
	DIR *d;
	const char *p;

#define GEN_MIX(ptr, n)                                                          \
	do {                                                                     \
		const unsigned char *b_ = (const unsigned char *)(ptr);          \
		size_t n_ = (n);                                                 \
		while (n_--) {                                                   \
			h ^= *b_++;                                              \
			h *= 1099511628211ULL;                                   \
		}                                                                \
	} while (0)

	for (p = dir; *p; p++)
		GEN_MIX(p, 1);
	d = opendir(dir);
	if (d == NULL)
		return h ^ (uint64_t)errno;
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;
		uint64_t e = 1469598103934665603ULL, save = h;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || S_ISDIR(st.st_mode) ||
		    strcmp(de->d_name, "freshclam.dat") == 0 || strcmp(de->d_name, "mirrors.dat") == 0)
			continue;
		/* Order-independent: hash each entry alone, add them up. */
		h = e;
		GEN_MIX(de->d_name, strlen(de->d_name));
		GEN_MIX(&st.st_size, sizeof(st.st_size));
		GEN_MIX(&st.st_mtim, sizeof(st.st_mtim));
		GEN_MIX(&st.st_ino, sizeof(st.st_ino));
		h = save + h;
	}
	closedir(d);
#undef GEN_MIX
	return h;
}

struct generation *generation_acquire(void)
{
	struct generation *g;

	pthread_mutex_lock(&gen_lock);
	g = gen_current;
	if (g != NULL)
		g->refs++;
	pthread_mutex_unlock(&gen_lock);
	return g;
}

void generation_release(struct generation *g)
{
	int last;

	if (g == NULL)
		return;
	pthread_mutex_lock(&gen_lock);
	last = --g->refs == 0;
	pthread_mutex_unlock(&gen_lock);
	if (last) {
		log_info("engine generation %llu released", g->id);
		engine_free(g->db);
		free(g);
#ifdef HAVE_MALLOC_TRIM
		malloc_trim(0);
#endif
	}
}

void generation_request_reload(const char *why)
{
	log_info("reload requested: %s", why);
	pthread_mutex_lock(&gen_lock);
	gen_requested = 1;
	pthread_cond_signal(&gen_cond);
	pthread_mutex_unlock(&gen_lock);
}

void generation_status(struct generation_status *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&gen_lock);
	if (gen_current != NULL) {
		st->id = gen_current->id;
		snprintf(st->path, sizeof(st->path), "%s", gen_current->db->path);
		st->version = gen_current->db->version;
		st->time = gen_current->db->time;
		st->sigs = gen_current->db->sigs;
	}
	/* A request not yet taken up counts as loading: it will load. */
	st->state = gen_loading || gen_requested ? "loading" : gen_failures ? "failed" : "idle";
	st->failures = gen_failures;
	snprintf(st->last_error, sizeof(st->last_error), "%s", gen_last_error);
	st->reload_pending = gen_requested;
	pthread_mutex_unlock(&gen_lock);
}

/* generation_load - build, prove and publish a new generation from DIR. */
static int generation_load(const char *dir)
{
	struct generation *g, *old;
	struct engine_db *db;
	const char *err = NULL;
	long long t0 = sock_now_ms();

	log_info("loading signature database %s", dir);
	dbfile_loading_begin();
	db = engine_load(dir, &gen_settings, &err);
	dbfile_loading_end();
	if (db != NULL && config_num(CONF_SCAND_REQUIRE_SELFTEST) &&
	    engine_selftest(db, &err) < 0) {
		engine_free(db);
		db = NULL;
	}
	pthread_mutex_lock(&gen_lock);
	if (db == NULL) {
		gen_failures++;
		meter_reload(0);
		snprintf(gen_last_error, sizeof(gen_last_error), "%s: %s", dir, err);
		pthread_mutex_unlock(&gen_lock);
		log_error("database load failed, %s: %s: %s", gen_current ?
			  "keeping the previous engine" : "no engine yet", dir, err);
#ifdef HAVE_MALLOC_TRIM
		malloc_trim(0);
#endif
		return -1;
	}
	g = xcalloc(1, sizeof(*g));
	g->db = db;
	g->refs = 1;
	g->id = ++gen_counter;
	old = gen_current;
	gen_current = g;
	gen_failures = 0;
	meter_reload(1);
	gen_last_error[0] = '\0';
	pthread_mutex_unlock(&gen_lock);
	log_info("engine generation %llu ready: %s, %u signatures, version %u, %lld ms",
		 g->id, dir, db->sigs, db->version, sock_now_ms() - t0);
	cache_clear();	/* verdicts of the old engine answer for nothing now */
	bodies_clear();
	generation_release(old);
	return 0;
}

/* generation_thread - load at start, then on request, change or retry. */
static void *generation_thread(void *arg)
{
	long long interval = config_num(CONF_SCAND_DB_CHECK_INTERVAL);
	long long backoff = config_num(CONF_SCAND_RELOAD_RETRY_MIN);
	long long next_retry = 0;
	uint64_t loaded_fp = 0, seen_fp = 0, failed_fp = 0;
	int have_loaded = 0, failed = 0;
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&gen_lock);
	gen_requested = 1;
	for (;;) {
		char dir[PATH_MAX];
		uint64_t fp;
		long long now = sock_now_ms();
		int load;

		if (gen_stopping)
			break;
		if (!gen_requested) {
			long long wake = interval > 0 ? now + interval : now + 3600000;
			struct timespec ts;

			if (failed && next_retry < wake)
				wake = next_retry;
			clock_gettime(CLOCK_REALTIME, &ts);
			wake -= now;
			if (wake < 0)
				wake = 0;
			ts.tv_sec += wake / 1000;
			ts.tv_nsec += (wake % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&gen_cond, &gen_lock, &ts);
			if (gen_stopping)
				break;
		}
		pthread_mutex_unlock(&gen_lock);

		generation_db_dir(dir, sizeof(dir));
		fp = generation_fingerprint(dir);
		now = sock_now_ms();
		pthread_mutex_lock(&gen_lock);
		load = gen_requested;
		gen_requested = 0;
		if (!load && interval > 0 && fp == seen_fp && (!have_loaded || fp != loaded_fp) &&
		    (!failed || fp != failed_fp))
			load = 1;	/* changed and stable for one check */
		if (!load && failed && now >= next_retry)
			load = 1;
		seen_fp = fp;
		if (!load)
			continue;
		gen_loading = 1;
		pthread_mutex_unlock(&gen_lock);

		if (generation_load(dir) == 0) {
			loaded_fp = fp;
			have_loaded = 1;
			failed = 0;
			backoff = config_num(CONF_SCAND_RELOAD_RETRY_MIN);
		} else {
			failed = 1;
			failed_fp = fp;
			next_retry = sock_now_ms() + backoff;
			log_info("next load attempt in %lld ms", backoff);
			backoff *= 2;
			if (backoff > config_num(CONF_SCAND_RELOAD_RETRY_MAX))
				backoff = config_num(CONF_SCAND_RELOAD_RETRY_MAX);
		}
		pthread_mutex_lock(&gen_lock);
		gen_loading = 0;
	}
	pthread_mutex_unlock(&gen_lock);
	return NULL;
}

void generation_start(const struct engine_settings *settings)
{
	int r;

	gen_settings = *settings;
	r = pthread_create(&gen_thread, NULL, generation_thread, NULL);
	if (r != 0)
		log_fatal("cannot start the reload thread: %s", strerror(r));
	gen_thread_started = 1;
}

void generation_stop(void)
{
	struct generation *g;

	if (gen_thread_started) {
		pthread_mutex_lock(&gen_lock);
		gen_stopping = 1;
		pthread_cond_signal(&gen_cond);
		pthread_mutex_unlock(&gen_lock);
		pthread_join(gen_thread, NULL);
		gen_thread_started = 0;
	}
	pthread_mutex_lock(&gen_lock);
	g = gen_current;
	gen_current = NULL;
	pthread_mutex_unlock(&gen_lock);
	generation_release(g);
}
