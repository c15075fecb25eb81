/*
 * bodies.c - the store of encoded bodies known infected (see bodies.h): a
 * chained hash table over a 64-bit multiply-rotate hash with a per-process
 * random seed, and a recency list, under one mutex.  A lookup hashes the
 * candidate once (four independent lanes: memory speed) and compares only
 * the entries of the same length and hash, byte for byte.
 */
#include "auto-config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/xalloc.h"
#include "scanner/bodies.h"

#define BODIES_BUCKETS 1024	/* a power of two */
#define BODIES_SIG_MAX 256

/* Odd 64-bit constants with well-spread bits (the golden ratio and
 * multipliers from the murmur/xxhash family of mixers). */
#define BODIES_P1 0x9e3779b185ebca87ULL
#define BODIES_P2 0xc2b2ae3d27d4eb4fULL
#define BODIES_P3 0x165667b19e3779f9ULL

struct bodies_entry {
	uint64_t hash;
	size_t len;
	unsigned long long gen;
	char sig[BODIES_SIG_MAX];
	struct bodies_entry *chain;	/* bucket list */
	struct bodies_entry *newer, *older;
	char data[];			/* the body, LEN bytes */
};

static pthread_mutex_t bodies_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bodies_entry *bodies_bucket_head[BODIES_BUCKETS];
static struct bodies_entry *bodies_newest, *bodies_oldest;
static size_t bodies_max, bodies_used;
static uint64_t bodies_seed;

void bodies_init(size_t memory)
{
	bodies_max = memory;
	if (getrandom(&bodies_seed, sizeof(bodies_seed), GRND_NONBLOCK) != sizeof(bodies_seed))
		bodies_seed = (uint64_t)time(NULL) * BODIES_P3;	/* still confirmed byte for byte */
}

int bodies_active(void)
{
	int active;

	if (bodies_max == 0)
		return 0;
	pthread_mutex_lock(&bodies_lock);
	active = bodies_newest != NULL;
	pthread_mutex_unlock(&bodies_lock);
	return active;
}

static uint64_t bodies_rotl(uint64_t v, int r)
{
	return (v << r) | (v >> (64 - r));
}

static uint64_t bodies_word(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t bodies_lane(uint64_t acc, uint64_t v)
{
	return bodies_rotl(acc + v * BODIES_P2, 31) * BODIES_P1;
}

/* bodies_hash - 64 bits of DATA/LEN under the process's seed. */
static uint64_t bodies_hash(const char *p, size_t len)
{
	uint64_t a = bodies_seed + BODIES_P1, b = bodies_seed ^ BODIES_P2;
	uint64_t c = bodies_seed - BODIES_P1, d = bodies_seed ^ BODIES_P3, h;
	const char *end = p + len;

	for (; end - p >= 32; p += 32) {
		a = bodies_lane(a, bodies_word(p));
		b = bodies_lane(b, bodies_word(p + 8));
		c = bodies_lane(c, bodies_word(p + 16));
		d = bodies_lane(d, bodies_word(p + 24));
	}
	h = bodies_rotl(a, 1) + bodies_rotl(b, 7) + bodies_rotl(c, 12) + bodies_rotl(d, 18);
	h += (uint64_t)len;
	for (; end - p >= 8; p += 8)
		h = bodies_lane(h, bodies_word(p));
	for (; p < end; p++)
		h = bodies_rotl(h ^ ((uint64_t)(unsigned char)*p * BODIES_P3), 11) * BODIES_P1;
	h ^= h >> 33;	/* final avalanche */
	h *= BODIES_P2;
	h ^= h >> 29;
	h *= BODIES_P3;
	return h ^ (h >> 32);
}

static struct bodies_entry **bodies_bucket(uint64_t hash)
{
	return &bodies_bucket_head[hash & (BODIES_BUCKETS - 1)];
}

static void bodies_unlink_recency(struct bodies_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		bodies_newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		bodies_oldest = e->newer;
	e->newer = e->older = NULL;
}

static void bodies_link_newest(struct bodies_entry *e)
{
	e->older = bodies_newest;
	e->newer = NULL;
	if (bodies_newest != NULL)
		bodies_newest->newer = e;
	bodies_newest = e;
	if (bodies_oldest == NULL)
		bodies_oldest = e;
}

/* bodies_remove - drop E from its bucket and the recency list, free it. */
static void bodies_remove(struct bodies_entry *e)
{
	struct bodies_entry **pp = bodies_bucket(e->hash);

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	bodies_unlink_recency(e);
	bodies_used -= e->len;
	free(e);
}

/* bodies_find - the entry holding exactly DATA/LEN (hash HASH), or NULL. */
static struct bodies_entry *bodies_find(uint64_t hash, const char *data, size_t len)
{
	struct bodies_entry *e;

	for (e = *bodies_bucket(hash); e != NULL; e = e->chain)
		if (e->hash == hash && e->len == len && memcmp(e->data, data, len) == 0)
			return e;
	return NULL;
}

int bodies_lookup(const char *data, size_t len, unsigned long long gen, char *sig, size_t size)
{
	struct bodies_entry *e;
	uint64_t hash;
	int hit = 0;

	if (bodies_max == 0 || len == 0 || len > bodies_max)
		return 0;
	hash = bodies_hash(data, len);
	pthread_mutex_lock(&bodies_lock);
	e = bodies_find(hash, data, len);
	if (e != NULL && e->gen != gen) {
		bodies_remove(e);	/* from another engine: never trusted */
		e = NULL;
	}
	if (e != NULL) {
		bodies_unlink_recency(e);
		bodies_link_newest(e);
		snprintf(sig, size, "%s", e->sig);
		hit = 1;
	}
	pthread_mutex_unlock(&bodies_lock);
	return hit;
}

void bodies_remember(const char *data, size_t len, unsigned long long gen, const char *sig)
{
	struct bodies_entry *e, **bucket;
	uint64_t hash;

	if (bodies_max == 0 || len == 0 || len > bodies_max || sig == NULL || *sig == '\0')
		return;
	hash = bodies_hash(data, len);
	pthread_mutex_lock(&bodies_lock);
	e = bodies_find(hash, data, len);
	if (e != NULL && e->gen == gen) {	/* already kept: only fresher now */
		bodies_unlink_recency(e);
		bodies_link_newest(e);
		pthread_mutex_unlock(&bodies_lock);
		return;
	}
	if (e != NULL)
		bodies_remove(e);	/* from another engine: kept again under this one */
	while (bodies_used + len > bodies_max && bodies_oldest != NULL)
		bodies_remove(bodies_oldest);
	e = xmalloc(sizeof(*e) + len);
	e->hash = hash;
	e->len = len;
	e->gen = gen;
	snprintf(e->sig, sizeof(e->sig), "%s", sig);
	memcpy(e->data, data, len);
	bucket = bodies_bucket(hash);
	e->chain = *bucket;
	*bucket = e;
	bodies_link_newest(e);
	bodies_used += len;
	pthread_mutex_unlock(&bodies_lock);
}

void bodies_clear(void)
{
	pthread_mutex_lock(&bodies_lock);
	while (bodies_oldest != NULL)
		bodies_remove(bodies_oldest);
	pthread_mutex_unlock(&bodies_lock);
}

void bodies_free(void)
{
	bodies_clear();
	bodies_max = 0;
}
