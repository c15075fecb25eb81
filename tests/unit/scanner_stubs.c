/*
 * scanner_stubs.c - generations, engine version, verdict cache counts and
 * path roots for the scanner-core unit tests (see scanner_stubs.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <string.h>

#include "scanner/cache.h"
#include "scanner/generation.h"
#include "scanner/roots.h"
#include "tests/unit/scanner_stubs.h"

int stub_engine_ready = 1;
int stub_reloads;
int stub_roots_ok = 1;

static struct generation stub_gen = {.id = 1};

struct generation *generation_acquire(void)
{
	return stub_engine_ready ? &stub_gen : NULL;
}

void generation_release(struct generation *gen)
{
	(void)gen;
}

void generation_request_reload(const char *why)
{
	(void)why;
	stub_reloads++;
}

void generation_status(struct generation_status *st)
{
	memset(st, 0, sizeof(*st));
	st->id = stub_engine_ready ? 1 : 0;
	snprintf(st->path, sizeof(st->path), "/db/1");
	st->state = "idle";
}

void generation_db_dir(char *buf, size_t size)
{
	snprintf(buf, size, "/db/1");
}

const char *engine_version(void)
{
	return "1.0.test";
}

void cache_get_counts(struct cache_counts *counts)
{
	counts->entries = counts->hits = counts->misses = 0;
}

int roots_check_path(const char *arg, const char **why_r)
{
	(void)arg;
	if (stub_roots_ok)
		return 0;
	*why_r = "Access denied.";
	return -1;
}
