/*
 * cache.h - the verdict cache: SHA-256 of the scanned bytes -> verdict.
 *
 * Storms repeat one attachment thousands of times; a verdict already
 * known for the same bytes and the same engine generation decides the
 * request without a scan.  The key is a cryptographic hash, so no sender
 * can make malware collide with a cached clean verdict.  Entries carry
 * the generation that produced them and never answer for another one;
 * the cache is bounded (least recently used out) and shared by every
 * scan thread.  MIMEFACTS keeps the facts of a part (its type, members
 * and matches: a function of the bytes and the engine alone) with its
 * verdict, under a key of its own.
 */
#ifndef MX_CACHE_H
#define MX_CACHE_H

#include <stddef.h>

#include "common/buffer.h"

#define CACHE_KEY_SIZE 32

/* MIMEFACTS's facts kept with a verdict: at most CACHE_FACTS_MAX bytes
 * for one (a larger set is not kept), CACHE_FACTS_MEMORY in all (the
 * least recently used entries go first). */
#define CACHE_FACTS_MAX 4096
#define CACHE_FACTS_MEMORY (16 << 20)

struct cache_counts {
	long long entries, hits, misses;
};

/* cache_init - room for MAX entries; 0 disables the cache. */
void cache_init(size_t max);

/*
 * cache_lookup - the verdict for KEY under engine generation GEN: returns
 * 1 with SIG set ("" for clean), or 0 (unknown, counted as a miss).
 */
int cache_lookup(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen, char *sig,
		 size_t size);

/* cache_count_hit - count a hit answered elsewhere for the lookup it spared (storm.c). */
void cache_count_hit(void);

/* cache_insert - remember SIG (NULL or "" for clean) for KEY under GEN. */
void cache_insert(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen,
		  const char *sig);

/*
 * cache_lookup_facts - as cache_lookup, and the facts kept with the
 * verdict appended to FACTS; an entry without facts is unknown here.
 */
int cache_lookup_facts(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen,
		       char *sig, size_t size, struct buffer *facts);

/* cache_insert_facts - as cache_insert, with LEN bytes of FACTS (not
 * kept when more than CACHE_FACTS_MAX). */
void cache_insert_facts(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen,
			const char *sig, const char *facts, size_t len);

/* cache_clear - forget everything (an engine swap). */
void cache_clear(void);

/* cache_get_counts - entries, hits and misses since start. */
void cache_get_counts(struct cache_counts *counts);

/* cache_enabled - whether lookups can ever hit. */
int cache_enabled(void);

/* cache_free - release the table (at exit). */
void cache_free(void);

#endif
