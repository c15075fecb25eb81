/*
 * generation.h - engine generations and their reload.
 *
 * A generation is one loaded, self-tested engine_db with a reference
 * count.  Scans take a reference for their whole run, so a reload never
 * disturbs a scan in flight: the new generation is built by the reload
 * thread off the scan path, proven with the EICAR self-test, then
 * published atomically; the old one is freed when its last scan ends.
 * A failed load keeps the working generation, is logged, shown in
 * HEALTH, and retried with exponential backoff.
 */
#ifndef MX_GENERATION_H
#define MX_GENERATION_H

#include <time.h>

#include "common/engine.h"

struct generation {
	struct engine_db *db;
	unsigned long long id;	/* 1 for the first engine loaded */
	int refs;		/* guarded by the generation lock */
};

struct generation_status {
	unsigned long long id;	/* 0 before the first load */
	char path[4096];
	unsigned version;
	time_t time;
	unsigned sigs;
	const char *state;	/* "idle", "loading", "failed" */
	unsigned failures;
	char last_error[512];
	int reload_pending;
};

/* generation_start - start the reload thread; the first load begins at once. */
void generation_start(const struct engine_settings *settings);

/* generation_stop - stop the reload thread and free the current generation. */
void generation_stop(void);

/* generation_acquire - the current generation with a reference, or NULL. */
struct generation *generation_acquire(void);

/* generation_release - drop a reference (NULL is a no-op). */
void generation_release(struct generation *gen);

/* generation_request_reload - ask for a reload now (RELOAD, SIGHUP). */
void generation_request_reload(const char *why);

/* generation_status - a consistent snapshot for VERSION, STATS, HEALTH. */
void generation_status(struct generation_status *st);

/* generation_db_dir - the directory to load: database_root/current or the root. */
void generation_db_dir(char *buf, size_t size);

#endif
