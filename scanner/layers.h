/*
 * layers.h - the objects libclamav reads in one part, for MIMEFACTS
 * (scanner/facts.h): each with its depth, type and name, and what its
 * clean cache hides.
 *
 * libclamav remembers every object it found clean (MD5 of the bytes)
 * and does not read it again, so the members of such an object go
 * unreported: a zip sent once would hide its executable from then on.
 * Each object read here is keyed by SHA-256 (engine_hash_tagged
 * "layer"), and the members found under it are kept in the verdict
 * cache (scanner/cache.h); an object the cache answers is looked up by
 * its own key: read earlier in the same part, or kept, its members are
 * reported again from there.  An object read again from the memory of
 * one of its open containers (the same bytes) takes that one's key.  Otherwise the part must be read once more
 * past libclamav's cache (ENGINE_NOCACHE): layers_end says so.
 */
#ifndef MX_LAYERS_H
#define MX_LAYERS_H

#include <stddef.h>

struct layers;

/* What a layer line says: the depth (0: the part), type and name. */
typedef void layers_emit_fn(void *arg, unsigned level, const char *type, const char *name);

/* layers_new - the objects of one reading under engine generation GEN,
 * each passed to EMIT with ARG as it comes (the replayed ones too). */
struct layers *layers_new(unsigned long long gen, layers_emit_fn *emit, void *arg);

/* layers_object - an object libclamav comes to (engine.h's layer). */
void layers_object(struct layers *l, unsigned level, const char *type, const char *name,
		   const void *buf, size_t size);

/* layers_read - the object reported last is being read (engine.h's read). */
void layers_read(struct layers *l);

/* layers_end - the reading is over: 1 when an object libclamav's cache
 * answered may have hidden members that were not reported, 0 when every
 * member is reported. */
int layers_end(struct layers *l);

/* layers_free - release L (NULL is a no-op). */
void layers_free(struct layers *l);

#endif
