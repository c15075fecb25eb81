/*
 * layers.c - the objects of one reading and what libclamav's clean
 * cache hides of them (see layers.h).  The objects open around the
 * current one are a stack by depth; an object is closed when one at its
 * depth or above comes, and its members (the objects reported while it
 * was open) are then kept under its key, depths relative to its own.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buffer.h"
#include "common/engine.h"
#include "common/xalloc.h"
#include "scanner/cache.h"
#include "scanner/layers.h"

#define LAYERS_STACK 64		/* open objects followed; deeper is not kept */
#define LAYERS_RECORDS 4096	/* objects remembered for keeping */
#define LAYERS_NAME_MAX 1024	/* of a name kept */

struct layers_record {
	unsigned level;
	char *type, *name;
};

struct layers_frame {
	unsigned level;
	unsigned char key[CACHE_KEY_SIZE];
	int keyed, read;
	size_t first;		/* its own record */
	const void *buf;	/* its bytes, valid while it is open */
	size_t size;
};

struct layers {
	unsigned long long gen;
	layers_emit_fn *emit;
	void *arg;
	struct layers_record *rec;
	size_t nrec, caprec;
	struct layers_frame stack[LAYERS_STACK];
	int depth;
	int pending;		/* the top of the stack is not read (yet) */
	unsigned char (*seen)[CACHE_KEY_SIZE];	/* keys of the objects read */
	size_t nseen;
	int hidden;		/* members may be missing */
	int partial;		/* too much to keep: nothing is kept */
};

struct layers *layers_new(unsigned long long gen, layers_emit_fn *emit, void *arg)
{
	struct layers *l = xcalloc(1, sizeof(*l));

	l->gen = gen;
	l->emit = emit;
	l->arg = arg;
	return l;
}

/* layers_record - one object reported, remembered for its containers. */
static void layers_record(struct layers *l, unsigned level, const char *type, const char *name)
{
	struct layers_record *r;

	l->emit(l->arg, level, type, name);
	if (l->nrec >= LAYERS_RECORDS) {
		l->partial = 1;
		return;
	}
	if (l->nrec == l->caprec) {
		l->caprec = l->caprec ? l->caprec * 2 : 16;
		l->rec = xrealloc(l->rec, l->caprec * sizeof(*l->rec));
	}
	r = &l->rec[l->nrec++];
	r->level = level;
	r->type = xstrdup(type);
	r->name = name != NULL ? xstrndup(name, strnlen(name, LAYERS_NAME_MAX)) : NULL;
}

/*
 * layers_keep - the members of the closed object F, each as its depth
 * below F (1 byte), the lengths of its type (1 byte) and name (2 bytes,
 * 0xffff for none), then both, kept under F's key.
 */
static void layers_keep(struct layers *l, const struct layers_frame *f)
{
	struct buffer b = BUFFER_INIT;
	size_t i;

	for (i = f->first + 1; i < l->nrec; i++) {
		const struct layers_record *r = &l->rec[i];
		size_t tl = strlen(r->type), nl = r->name != NULL ? strlen(r->name) : 0;
		unsigned char h[4];

		if (r->level <= f->level || r->level - f->level > 255 || tl > 255)
			goto out;
		h[0] = (unsigned char)(r->level - f->level);
		h[1] = (unsigned char)tl;
		h[2] = (unsigned char)(r->name != NULL ? nl >> 8 : 0xff);
		h[3] = (unsigned char)(r->name != NULL ? nl & 0xff : 0xff);
		buffer_append(&b, h, sizeof(h));
		buffer_append(&b, r->type, tl);
		buffer_append(&b, r->name != NULL ? r->name : "", nl);
		if (buffer_len(&b) > CACHE_FACTS_MAX)
			goto out;
	}
	cache_insert_facts(f->key, l->gen, NULL, buffer_data(&b), buffer_len(&b));
out:
	buffer_free(&b);
}

/* layers_replay - the kept members of KEPT reported below the object F. */
static void layers_replay(struct layers *l, const struct layers_frame *f, const struct buffer *kept)
{
	const unsigned char *p = (const unsigned char *)buffer_data(kept);
	const unsigned char *end = p + buffer_len(kept);

	while (end - p >= 4) {
		size_t tl = p[1], nl = p[2] == 0xff && p[3] == 0xff ? 0 : (size_t)(p[2] << 8 | p[3]);
		int has_name = !(p[2] == 0xff && p[3] == 0xff);
		unsigned level = f->level + p[0];
		char type[256], name[LAYERS_NAME_MAX + 1];

		if ((size_t)(end - p) < 4 + tl + nl || nl > LAYERS_NAME_MAX)
			return;	/* (written by layers_keep: not reached) */
		memcpy(type, p + 4, tl);
		type[tl] = '\0';
		memcpy(name, p + 4 + tl, nl);
		name[nl] = '\0';
		layers_record(l, level, type, has_name ? name : NULL);
		p += 4 + tl + nl;
	}
}

/* layers_skipped - the top object was answered by libclamav's cache:
 * its members are reported from what is known of its bytes, if anything. */
static void layers_skipped(struct layers *l)
{
	const struct layers_frame *f = &l->stack[l->depth - 1];
	struct buffer kept = BUFFER_INIT;
	char sig[8];
	size_t i;

	l->pending = 0;
	if (!f->keyed) {
		l->hidden = 1;
		return;
	}
	for (i = 0; i < l->nseen; i++)
		if (memcmp(l->seen[i], f->key, CACHE_KEY_SIZE) == 0)
			return;	/* read in this part: its members are reported */
	if (cache_lookup_facts(f->key, l->gen, sig, sizeof(sig), &kept))
		layers_replay(l, f, &kept);
	else
		l->hidden = 1;
	buffer_free(&kept);
}

/* layers_close - close the open objects at LEVEL and deeper. */
static void layers_close(struct layers *l, unsigned level)
{
	while (l->depth > 0 && l->stack[l->depth - 1].level >= level) {
		const struct layers_frame *f = &l->stack[--l->depth];

		if (f->read && f->keyed && !l->hidden && !l->partial)
			layers_keep(l, f);
	}
}

/*
 * layers_same - 1 when the object F (on top of the stack) is at the same
 * memory, with the same size, as an object keyed already that is still
 * open below it, F's key then copied from it.  libclamav reads some
 * objects again as a layer of their own from the same memory (the text
 * of a docx's document.xml as its member, then again as the layer
 * below it); an open object is one of F's containers (the stack holds
 * them, as everything here assumes), whose memory libclamav keeps
 * mapped until it is done with it, so the bytes are the same and are
 * not hashed twice.
 */
static int layers_same(struct layers *l, struct layers_frame *f)
{
	int i;

	for (i = l->depth - 2; i >= 0; i--) {
		const struct layers_frame *o = &l->stack[i];

		if (o->keyed && o->buf == f->buf && o->size == f->size) {
			memcpy(f->key, o->key, sizeof(f->key));
			return 1;
		}
	}
	return 0;
}

void layers_object(struct layers *l, unsigned level, const char *type, const char *name,
		   const void *buf, size_t size)
{
	struct layers_frame *f;

	if (l->pending)
		layers_skipped(l);
	layers_close(l, level);
	layers_record(l, level, type, level > 0 ? name : NULL);
	if (l->depth == LAYERS_STACK) {	/* not followed: a cache hit unseen */
		l->partial = l->hidden = 1;
		return;
	}
	f = &l->stack[l->depth++];
	memset(f, 0, sizeof(*f));
	f->level = level;
	f->first = l->nrec > 0 ? l->nrec - 1 : 0;
	f->buf = buf;
	f->size = size;
	/* The part itself is keyed by facts.c; a member by its bytes. */
	f->keyed = level > 0 && buf != NULL && !l->partial &&
		   (layers_same(l, f) || engine_hash_tagged("layer", buf, size, f->key) == 0);
	l->pending = 1;
}

void layers_read(struct layers *l)
{
	struct layers_frame *f;

	if (!l->pending || l->depth == 0)
		return;
	f = &l->stack[l->depth - 1];
	f->read = 1;
	l->pending = 0;
	if (f->keyed) {
		l->seen = xrealloc(l->seen, (l->nseen + 1) * sizeof(*l->seen));
		memcpy(l->seen[l->nseen++], f->key, CACHE_KEY_SIZE);
	}
}

int layers_end(struct layers *l)
{
	if (l->pending)
		layers_skipped(l);
	layers_close(l, 0);
	return l->hidden;
}

void layers_free(struct layers *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nrec; i++) {
		free(l->rec[i].type);
		free(l->rec[i].name);
	}
	free(l->rec);
	free(l->seen);
	free(l);
}
