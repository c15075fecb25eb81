/*
 * bodies.h - the encoded bodies of attachments known infected, kept whole.
 *
 * In a worm storm one attachment comes back in thousands of messages.
 * Once a scan has found it, its encoded text (the base64 body as sent)
 * is kept here with its signature, so that the loop thread recognises a
 * copy by a fast keyed hash and confirms it byte for byte, with no scan
 * thread and no SHA-256.  Only infected verdicts are kept (a clean
 * verdict stays in the SHA-256 verdict cache, cache.h): a collision of
 * the fast hash can cost a comparison, never a verdict.
 *
 * Entries answer only for the engine generation that found them; the
 * whole store is bounded by scand_storm_memory (least recently used
 * out) and shared by all threads under one mutex.
 */
#ifndef MX_BODIES_H
#define MX_BODIES_H

#include <stddef.h>

/* bodies_init - room for MEMORY bytes of bodies; 0 disables the store. */
void bodies_init(size_t memory);

/* bodies_active - whether a lookup could hit now (some body is kept). */
int bodies_active(void);

/*
 * bodies_lookup - whether exactly DATA/LEN is kept for engine generation
 * GEN: returns 1 with its signature in SIG, or 0.
 */
int bodies_lookup(const char *data, size_t len, unsigned long long gen, char *sig,
		  size_t size);

/* bodies_remember - keep a copy of DATA/LEN, found infected by SIG under GEN. */
void bodies_remember(const char *data, size_t len, unsigned long long gen, const char *sig);

/* bodies_clear - forget everything (an engine swap). */
void bodies_clear(void);

/* bodies_free - release the store (at exit). */
void bodies_free(void);

#endif
