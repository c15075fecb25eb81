/*
 * engine.h - the libclamav engine wrapper: load, compile, self-test, scan.
 *
 * An engine_db is one compiled signature database with what is known
 * about it (path, version, time, signature count).  Loading happens off
 * the scan path; a loaded engine_db is immutable and safe to scan from
 * any number of threads.  Only programs that hold an engine link this
 * (libmxengine.a); the small clients never pull libclamav in.
 */
#ifndef MX_ENGINE_H
#define MX_ENGINE_H

#include <stddef.h>
#include <time.h>

struct cl_engine;

struct engine_settings {
	long long max_scansize, max_filesize, max_recursion, max_files, max_scantime_ms;
	int engine_cache;	/* libclamav's own clean cache (MD5-keyed) */
	int bytecode;
	int heuristic_alerts;
	int alert_exceeds_max;
	const char *tmpdir;
	/* clamd.conf's further scan options (zero: as before they existed).
	 * TUNED applies TUNED_LIMITS, in engine.c's engine_tuned order
	 * (BytecodeTimeout, MaxEmbeddedPE ... PCREMaxFileSize); the rest are
	 * CL_SCAN_GENERAL_*, CL_SCAN_HEURISTIC_* and CL_DB_* bits added to,
	 * or (DB_REMOVED) taken from, the defaults. */
	int tuned;
	long long tuned_limits[12];
	unsigned general_extra, heuristic_extra, db_extra, db_removed;
};

struct engine_db {
	struct cl_engine *cl;
	char path[4096];	/* the directory loaded */
	unsigned version;	/* 0 when the set carries none */
	time_t time;		/* 0 when unknown */
	unsigned sigs;
};

/* What a scan reports back while it runs (all members optional). */
struct engine_scan_ctx {
	/* stop - return nonzero to abort the scan (client gone, deadline). */
	int (*stop)(void *arg);
	/* found - called for every match in all-match mode. */
	void (*found)(void *arg, const char *virname);
	void *arg;
	/* layer - with ENGINE_FACTS, every object libclamav comes to, before
	 * it asks its clean cache (libclamav 1.x's file inspection
	 * callback): LEVEL 0 is the scanned bytes, 1 their members, 2 the
	 * members' members...; TYPE is libclamav's (CL_TYPE_*), NAME the
	 * member's name or NULL, BUF and SIZE its bytes (BUF may be NULL;
	 * valid during the call only). */
	void (*layer)(void *arg, unsigned level, const char *type, const char *name,
		      const void *buf, size_t size);
	/* read - with ENGINE_FACTS: the object reported last is being read.
	 * One its clean cache answers is not: its own members are then not
	 * reported at all. */
	void (*read)(void *arg);
	/* report_arg - the argument of found, layer and read when not NULL
	 * (stop keeps arg). */
	void *report_arg;
	/* stopped - set by the engine once stop() said so: the scan's
	 * result is void (ENGINE_STOPPED) and nothing of it was cached. */
	int stopped;
};

/*
 * ENGINE_STOPPED: the caller's stop() ended the scan.  libclamav is told
 * to block the layer it was about to read (CL_VIRUS), never to allow it
 * (CL_BREAK would enter the bytes in libclamav's clean cache), and the
 * block is never reported as a detection: a stopped scan is an error to
 * its caller, and its verdict must not be cached anywhere.
 */
enum engine_result {
	ENGINE_CLEAN,
	ENGINE_VIRUS,
	ENGINE_ERROR,
	ENGINE_STOPPED,
};

/* engine_init - once per process, before anything else here. */
int engine_init(const char **error_r);

/* engine_version - libclamav's version text. */
const char *engine_version(void);

/*
 * engine_load - load and compile the database in DIR with SETTINGS.
 * Returns the new engine_db, or NULL with *error_r set (a static or
 * per-thread buffer).
 */
/*
 * engine_settings_from_config - the engine limits and options of the
 * scand_* parameters (mxscand and the updater's self-test load the same
 * way); TMPDIR for libclamav's temporary files (NULL: its default).
 */
void engine_settings_from_config(struct engine_settings *s, const char *tmpdir);

struct engine_db *engine_load(const char *dir, const struct engine_settings *settings,
			      const char **error_r);

/* engine_selftest - 0 when DB detects the EICAR string held in memory. */
int engine_selftest(const struct engine_db *db, const char **error_r);

/* engine_free - release DB (NULL is a no-op). */
void engine_free(struct engine_db *db);

/* Bits of the FLAGS of engine_scan_mem and engine_scan_fd. */
#define ENGINE_ALLMATCH 0x01	/* every match through ctx->found */
#define ENGINE_FACTS 0x02	/* objects through ctx->layer, and
				 * encrypted archives and documents as
				 * Heuristics.Encrypted.* (for a mail policy) */
#define ENGINE_FLAT 0x04	/* libclamav's mail parser off
				 * (CL_SCAN_PARSE_MAIL): a message is matched as
				 * the text it is, its parts not decoded again;
				 * kept out of libclamav's clean cache */
#define ENGINE_NOCACHE 0x08	/* bypass libclamav's clean cache: every
				 * object is read, none skipped (costs what
				 * libclamav's metadata collection costs) */

/*
 * engine_scan_mem / engine_scan_fd - scan LEN bytes at BUF, or the file
 * FD, with FLAGS (ENGINE_*; 1 is ENGINE_ALLMATCH).  On VIRUS
 * *virname_r points at a name owned by the engine; on ERROR *error_r is
 * libclamav's reason.
 */
enum engine_result engine_scan_mem(const struct engine_db *db, const void *buf, size_t len,
				   int flags, struct engine_scan_ctx *ctx,
				   const char **virname_r, const char **error_r);
enum engine_result engine_scan_fd(const struct engine_db *db, int fd, const char *name,
				  int flags, struct engine_scan_ctx *ctx,
				  const char **virname_r, const char **error_r);

/* engine_eicar - the EICAR test string (68 bytes) into BUF[68]. */
void engine_eicar(char buf[68]);

/*
 * engine_hash_mem, engine_hash_fd - SHA-256 of LEN bytes at BUF, or of
 * the first LEN bytes of the file FD (read with pread: its offset is left
 * alone), into OUT (32 bytes).  Return 0, or -1 when the data cannot be
 * read in full: a read loop never goes past LEN, whatever FD is.
 */
int engine_hash_mem(const void *buf, size_t len, unsigned char out[32]);
int engine_hash_fd(int fd, size_t len, unsigned char out[32]);

/* engine_hash_tagged - SHA-256 of TAG (with its NUL) then BUF: keys for
 * bytes in another form (e.g. still encoded) that never equal a plain
 * engine_hash_mem key. */
int engine_hash_tagged(const char *tag, const void *buf, size_t len, unsigned char out[32]);

#endif
