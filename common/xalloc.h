/*
 * xalloc.h - memory allocation that never returns NULL.
 *
 * Out of memory is fatal for every mxscan program: each x*() logs and
 * exits rather than handing a NULL to code that cannot use it.
 */
#ifndef MX_XALLOC_H
#define MX_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf - printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
