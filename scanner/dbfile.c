/*
 * dbfile.c - signature files read without stdio locking while a database
 * loads.
 *
 * libclamav reads text signature files (.hdb, .ndb, ...) through stdio,
 * with a getc() and a feof() per byte.  Once a process has threads, glibc
 * takes the stream's lock in each of those calls; for a database of the
 * real one's size that is about a third of the load time.  clamd escapes it
 * by loading its first database before it starts any thread; mxscand
 * answers clients while it loads (and reloads with every thread running),
 * so instead the loading thread marks itself here, and the streams
 * libclamav opens from that thread are switched to FSETLOCKING_BYCALLER.
 * That is safe because such a stream never leaves the thread that opened
 * it: libclamav opens, reads and closes it inside cl_load().
 *
 * fopen64 and fdopen (the two libclamav imports) are defined here, in the
 * executable, so they take precedence over the C library's; each calls
 * the next definition (the C library's, or a sanitizer's interceptor).
 */
#include "auto-config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdio_ext.h>

#include "scanner/dbfile.h"

typedef FILE *(*dbfile_open_fn)(const char *, const char *);
typedef FILE *(*dbfile_fdopen_fn)(int, const char *);

static __thread int dbfile_loading;

void dbfile_loading_begin(void)
{
	dbfile_loading = 1;
}

void dbfile_loading_end(void)
{
	dbfile_loading = 0;
}

static FILE *dbfile_unlocked(FILE *fp)
{
	if (fp != NULL && dbfile_loading)
		(void)__fsetlocking(fp, FSETLOCKING_BYCALLER);
	return fp;
}

/* dbfile_next - the next definition of NAME after this executable's. */
static void *dbfile_next(void **slot, const char *name)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (fn == NULL) {
		fn = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

FILE *fopen64(const char *restrict path, const char *restrict mode)
{
	static void *next;
	dbfile_open_fn fn;

	*(void **)&fn = dbfile_next(&next, "fopen64");
	return dbfile_unlocked(fn(path, mode));
}

FILE *fdopen(int fd, const char *mode)
{
	static void *next;
	dbfile_fdopen_fn fn;

	*(void **)&fn = dbfile_next(&next, "fdopen");
	return dbfile_unlocked(fn(fd, mode));
}
