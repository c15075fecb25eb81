/*
 * storm.h - MIMESCAN's storm pre-pass: the base64 attachments of a plain
 * multipart message looked up in the verdict cache before GMime parses
 * the message (see storm.c).
 */
#ifndef MX_SCANNER_STORM_H
#define MX_SCANNER_STORM_H

#include <stddef.h>

#include "scanner/cache.h"

#define STORM_PARTS_MAX 16

/* One base64 body of a top-level part: its bytes in the message and key. */
struct storm_part {
	size_t hoff, hlen;		/* its header block */
	size_t off, len;		/* its body, as sent */
	int index;			/* 1-based child of the top-level multipart */
	unsigned char key[CACHE_KEY_SIZE];
};

struct storm {
	struct storm_part part[STORM_PARTS_MAX];
	int n;
};

/*
 * storm_check - find the base64 bodies of BUF/LEN's top-level parts and
 * look each up for generation GEN.  Returns the index into st->part of the
 * first one known infected (its signature in SIG), or -1: then st->part
 * holds the keys computed, for storm_key.  Never decides a message clean.
 */
int storm_check(const char *buf, size_t len, unsigned long long gen, struct storm *st,
		char *sig, size_t sigsize);

/*
 * storm_quick - the loop thread's look at BUF/LEN: its top-level base64
 * bodies compared with the bodies kept as known infected (bodies.h).
 * Returns the index into st->part of the first one kept for generation
 * GEN (its signature in SIG), or -1.  It computes no key: st is only
 * for naming the part, never for storm_key.
 */
int storm_quick(const char *buf, size_t len, unsigned long long gen, struct storm *st,
		char *sig, size_t sigsize);

/* storm_key - the key computed for exactly the bytes at OFF/LEN, or NULL. */
const unsigned char *storm_key(const struct storm *st, size_t off, size_t len);

#endif
