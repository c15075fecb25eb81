/*
 * buffer.c - growable byte buffer with a consumed front (see buffer.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buffer.h"
#include "common/log.h"
#include "common/xalloc.h"

char *buffer_reserve(struct buffer *b, size_t n)
{
	size_t need;

	if (b->len == 0)
		b->off = 0;
	if (b->off + b->len + n <= b->cap)
		return b->mem + b->off + b->len;
	/* Reclaim the consumed front before growing. */
	if (b->off > 0) {
		memmove(b->mem, b->mem + b->off, b->len);
		b->off = 0;
		if (b->len + n <= b->cap)
			return b->mem + b->len;
	}
	if (n > (size_t)-1 / 2 - b->len)
		log_fatal("buffer: %zu more bytes on %zu is beyond any size", n, b->len);
	need = b->len + n;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap *= 2;
	b->mem = xrealloc(b->mem, b->cap);
	return b->mem + b->len;
}

void buffer_commit(struct buffer *b, size_t n)
{
	if (b->off + b->len + n > b->cap)
		log_fatal("buffer_commit: %zu bytes beyond the reserved room", n);
	b->len += n;
}

void buffer_append(struct buffer *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	memcpy(buffer_reserve(b, n), data, n);
	b->len += n;
}

void buffer_vappendf(struct buffer *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(buffer_reserve(b, 128), 128, fmt, ap);
	if (n < 0)
		log_fatal("buffer_appendf: bad format");
	if (n >= 128)
		vsnprintf(buffer_reserve(b, (size_t)n + 1), (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
}

void buffer_appendf(struct buffer *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buffer_vappendf(b, fmt, ap);
	va_end(ap);
}

void buffer_consume(struct buffer *b, size_t n)
{
	if (n > b->len)
		log_fatal("buffer_consume: %zu bytes of %zu", n, b->len);
	b->off += n;
	b->len -= n;
	if (b->len == 0)
		b->off = 0;
}

void buffer_reset(struct buffer *b)
{
	b->off = b->len = 0;
}

void buffer_trim(struct buffer *b, size_t keep)
{
	if (b->len == 0 && b->cap > keep)
		buffer_free(b);
}

char *buffer_steal(struct buffer *b, size_t *len_r)
{
	char *s;

	buffer_reserve(b, 1);
	b->mem[b->off + b->len] = '\0';
	if (b->off > 0)
		memmove(b->mem, b->mem + b->off, b->len + 1);
	s = b->mem;
	if (len_r != NULL)
		*len_r = b->len;
	b->mem = NULL;
	b->off = b->len = b->cap = 0;
	return s;
}

void buffer_free(struct buffer *b)
{
	free(b->mem);
	b->mem = NULL;
	b->off = b->len = b->cap = 0;
}
