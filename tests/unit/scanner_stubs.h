/*
 * scanner_stubs.h - what the scanner-core unit tests and the connection
 * fuzz target put in place of the engine, the generations, the cache
 * and the path roots (scanner_stubs.c), and a job layer that answers at
 * once (stub_jobs), so command.c and conn.c run alone.
 */
#ifndef MX_TESTS_SCANNER_STUBS_H
#define MX_TESTS_SCANNER_STUBS_H

#include <stddef.h>

/* stub_engine_ready - whether generation_acquire() returns an engine. */
extern int stub_engine_ready;
/* stub_reloads - generation_request_reload() calls. */
extern int stub_reloads;
/* stub_roots_ok - whether roots_check_path() accepts a path. */
extern int stub_roots_ok;

#endif
