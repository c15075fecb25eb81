/*
 * cache.c - the verdict cache (see cache.h): a chained hash table over
 * the SHA-256 keys plus a doubly linked recency list, under one mutex
 * (a lookup is a hash probe; the scans it saves take milliseconds).
 */
#include "auto-config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "scanner/cache.h"

struct cache_entry {
	unsigned char key[CACHE_KEY_SIZE];
	unsigned long long gen;
	char *sig;			/* NULL: clean */
	char *facts;			/* MIMEFACTS: the facts, or NULL */
	size_t nfacts;
	struct cache_entry *chain;	/* bucket list */
	struct cache_entry *newer, *older;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry **cache_buckets;
static size_t cache_nbuckets, cache_max, cache_count, cache_facts_bytes;
static struct cache_entry *cache_newest, *cache_oldest;
static long long cache_hits, cache_misses;

void cache_init(size_t max)
{
	size_t n = 16;

	cache_max = max;
	if (max == 0)
		return;
	while (n < max && n < ((size_t)1 << 30))
		n <<= 1;
	cache_nbuckets = n;
	cache_buckets = xcalloc(n, sizeof(*cache_buckets));
}

int cache_enabled(void)
{
	return cache_max > 0;
}

/* cache_bucket - the key is a uniform hash already: use its first bytes. */
static struct cache_entry **cache_bucket(const unsigned char *key)
{
	size_t h;

	memcpy(&h, key, sizeof(h));
	return &cache_buckets[h & (cache_nbuckets - 1)];
}

static void cache_unlink_recency(struct cache_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		cache_newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		cache_oldest = e->newer;
	e->newer = e->older = NULL;
}

static void cache_link_newest(struct cache_entry *e)
{
	e->older = cache_newest;
	e->newer = NULL;
	if (cache_newest != NULL)
		cache_newest->newer = e;
	cache_newest = e;
	if (cache_oldest == NULL)
		cache_oldest = e;
}

/* cache_remove - drop E from its bucket and the recency list, free it. */
static void cache_remove(struct cache_entry *e)
{
	struct cache_entry **pp = cache_bucket(e->key);

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	cache_unlink_recency(e);
	cache_facts_bytes -= e->nfacts;
	free(e->sig);
	free(e->facts);
	free(e);
	cache_count--;
}

static struct cache_entry *cache_find(const unsigned char *key)
{
	struct cache_entry *e;

	for (e = *cache_bucket(key); e != NULL; e = e->chain)
		if (memcmp(e->key, key, CACHE_KEY_SIZE) == 0)
			return e;
	return NULL;
}

/* cache_get - the lookup of cache_lookup and cache_lookup_facts. */
static int cache_get(const unsigned char *key, unsigned long long gen, char *sig, size_t size,
		     struct buffer *facts)
{
	struct cache_entry *e;
	int hit = 0;

	if (cache_max == 0)
		return 0;
	pthread_mutex_lock(&cache_lock);
	e = cache_find(key);
	if (e != NULL && e->gen != gen) {
		cache_remove(e);	/* from another engine: never trusted */
		e = NULL;
	}
	if (e != NULL && (facts == NULL || e->facts != NULL)) {
		cache_unlink_recency(e);
		cache_link_newest(e);
		snprintf(sig, size, "%s", e->sig != NULL ? e->sig : "");
		if (facts != NULL)
			buffer_append(facts, e->facts, e->nfacts);
		cache_hits++;
		hit = 1;
	} else {
		cache_misses++;
	}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

int cache_lookup(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen, char *sig,
		 size_t size)
{
	return cache_get(key, gen, sig, size, NULL);
}

int cache_lookup_facts(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen,
		       char *sig, size_t size, struct buffer *facts)
{
	return cache_get(key, gen, sig, size, facts);
}

void cache_count_hit(void)
{
	pthread_mutex_lock(&cache_lock);
	cache_hits++;
	pthread_mutex_unlock(&cache_lock);
}

/* cache_put - the insertion of cache_insert and cache_insert_facts. */
static void cache_put(const unsigned char *key, unsigned long long gen, const char *sig,
		      const char *facts, size_t nfacts)
{
	struct cache_entry *e, **bucket;

	if (cache_max == 0)
		return;
	pthread_mutex_lock(&cache_lock);
	e = cache_find(key);
	if (e != NULL)
		cache_remove(e);	/* a concurrent scan of the same bytes */
	while ((cache_count >= cache_max || cache_facts_bytes + nfacts > CACHE_FACTS_MEMORY) &&
	       cache_oldest != NULL)
		cache_remove(cache_oldest);
	e = xcalloc(1, sizeof(*e));
	memcpy(e->key, key, CACHE_KEY_SIZE);
	e->gen = gen;
	e->sig = sig != NULL && *sig != '\0' ? xstrdup(sig) : NULL;
	if (facts != NULL) {
		e->facts = xmalloc(nfacts + 1);
		memcpy(e->facts, facts, nfacts);
		e->nfacts = nfacts;
		cache_facts_bytes += nfacts;
	}
	bucket = cache_bucket(key);
	e->chain = *bucket;
	*bucket = e;
	cache_link_newest(e);
	cache_count++;
	pthread_mutex_unlock(&cache_lock);
}

void cache_insert(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen,
		  const char *sig)
{
	cache_put(key, gen, sig, NULL, 0);
}

void cache_insert_facts(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen,
			const char *sig, const char *facts, size_t len)
{
	if (len <= CACHE_FACTS_MAX)
		cache_put(key, gen, sig, facts, len);
}

void cache_clear(void)
{
	if (cache_max == 0)
		return;
	pthread_mutex_lock(&cache_lock);
	while (cache_oldest != NULL)
		cache_remove(cache_oldest);
	pthread_mutex_unlock(&cache_lock);
}

void cache_get_counts(struct cache_counts *counts)
{
	pthread_mutex_lock(&cache_lock);
	counts->entries = (long long)cache_count;
	counts->hits = cache_hits;
	counts->misses = cache_misses;
	pthread_mutex_unlock(&cache_lock);
}

void cache_free(void)
{
	cache_clear();
	free(cache_buckets);
	cache_buckets = NULL;
	cache_max = 0;
}
