/*
 * dbfile.h - stdio without stream locks for the thread that loads a
 * signature database, and small probe databases for start-up self-checks
 * (see dbfile.c).
 */
#ifndef MX_SCANNER_DBFILE_H
#define MX_SCANNER_DBFILE_H

#include "common/engine.h"

/*
 * dbfile_init - turn the unlocked streams on (ON nonzero) or off.  When
 * on, a self-check loads a probe database with a fresh engine of
 * SETTINGS and checks that libclamav opened its file through fopen64 or
 * fdopen on the loading thread, that the stream was unlocked, and that
 * every stream so opened was closed before the load returned; if not it
 * logs a warning saying what it expected and what it saw, and turns them
 * off (plain stdio, with its locks).  Call once, after engine_init and
 * before any other thread starts.  Returns 1 when they are on.
 */
int dbfile_init(int on, const struct engine_settings *settings);

/* Streams the calling thread opens between begin and end are unlocked
 * (once dbfile_init has turned that on). */
void dbfile_loading_begin(void);
void dbfile_loading_end(void);

/*
 * dbfile_probe_load - a fresh engine of SETTINGS whose database is one
 * body signature NAME matching the bytes DATA, loaded (as a reload
 * loads, between dbfile_loading_begin and end) from a file written for
 * the purpose in SETTINGS->tmpdir and removed again.  Returns the
 * engine (engine_free it), or NULL with *error_r set.
 */
struct engine_db *dbfile_probe_load(const struct engine_settings *settings, const char *name,
				    const char *data, const char **error_r);

#endif
