/*
 * buffer.h - a growable byte buffer with a consumed front.
 *
 * The readable bytes are buffer_data(b) .. + buffer_len(b).  Appending
 * grows the storage (never fails: out of memory is fatal, as in
 * xalloc.h); consuming from the front only moves an offset, and the
 * space is reclaimed when the buffer empties or more room is needed, so
 * a line or chunk taken off the front costs no copy.  A zeroed struct
 * is an empty buffer; BUFFER_INIT spells it out.  Not thread-safe: the
 * owner locks when it shares one.
 */
#ifndef MX_BUFFER_H
#define MX_BUFFER_H

#include <stdarg.h>
#include <stddef.h>

struct buffer {
	char *mem;		/* storage, cap bytes */
	size_t off;		/* consumed bytes at the front of mem */
	size_t len;		/* readable bytes after off */
	size_t cap;
};

#define BUFFER_INIT {NULL, 0, 0, 0}

/* buffer_data / buffer_len - the readable bytes. */
static inline char *buffer_data(const struct buffer *b)
{
	return b->mem != NULL ? b->mem + b->off : NULL;	/* NULL + 0 is undefined */
}

static inline size_t buffer_len(const struct buffer *b)
{
	return b->len;
}

/* buffer_reserve - room for N more bytes; returns where they go. */
char *buffer_reserve(struct buffer *b, size_t n);

/* buffer_commit - N bytes written at buffer_reserve()'s pointer are now readable. */
void buffer_commit(struct buffer *b, size_t n);

/* buffer_append - copy N bytes to the end. */
void buffer_append(struct buffer *b, const void *data, size_t n);

/* buffer_appendf - printf to the end (no terminating NUL is counted). */
void buffer_appendf(struct buffer *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buffer_vappendf(struct buffer *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* buffer_consume - drop N (at most buffer_len) bytes from the front. */
void buffer_consume(struct buffer *b, size_t n);

/* buffer_reset - empty, keeping the storage. */
void buffer_reset(struct buffer *b);

/* buffer_trim - empty buffers holding more than KEEP bytes of storage give it back. */
void buffer_trim(struct buffer *b, size_t keep);

/* buffer_steal - the readable bytes as a new string (NUL-terminated,
 * *len_r its length when not NULL); the buffer is left empty. */
char *buffer_steal(struct buffer *b, size_t *len_r);

/* buffer_free - release the storage; the buffer is empty and reusable. */
void buffer_free(struct buffer *b);

#endif
