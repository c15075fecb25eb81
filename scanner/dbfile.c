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
 *
 * Nothing promises that libclamav keeps opening its files that way, nor
 * that it keeps closing them inside cl_load(), so dbfile_init() loads a
 * probe database at start-up, watches what the overrides see, and turns
 * the unlocking off, with a warning, when it is not what is described
 * here (scand_db_unlocked_reads turns it off outright).
 */
#include "auto-config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fd.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "scanner/dbfile.h"

typedef FILE *(*dbfile_open_fn)(const char *, const char *);
typedef FILE *(*dbfile_fdopen_fn)(int, const char *);

/* The self-check's probe: one signature and the bytes it matches. */
#define DBFILE_PROBE_NAME "Mxscan.Dbfile.Probe"
#define DBFILE_PROBE_DATA "mxscan dbfile self-check probe"
#define DBFILE_SEEN_MAX 8

static int dbfile_on;	/* written by dbfile_init only, before any thread */
static __thread int dbfile_loading;

/* The streams opened while dbfile_init's self-check loads; it runs before
 * any other thread, and nothing is recorded outside it. */
static struct dbfile_stream {
	int fd;
	dev_t dev;
	ino_t ino;
	int unlocked;	/* FSETLOCKING_BYCALLER took */
} dbfile_seen[DBFILE_SEEN_MAX];
static int dbfile_nseen, dbfile_watching;

void dbfile_loading_begin(void)
{
	dbfile_loading = 1;
}

void dbfile_loading_end(void)
{
	dbfile_loading = 0;
}

/* dbfile_note - remember FP's file for the self-check. */
static void dbfile_note(FILE *fp)
{
	struct dbfile_stream *s;
	struct stat st;

	if (dbfile_nseen++ >= DBFILE_SEEN_MAX)
		return;	/* more than the probe explains: the check fails */
	s = &dbfile_seen[dbfile_nseen - 1];
	memset(s, 0, sizeof(*s));
	s->fd = fileno(fp);
	if (fstat(s->fd, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	s->unlocked = __fsetlocking(fp, FSETLOCKING_QUERY) == FSETLOCKING_BYCALLER;
}

static FILE *dbfile_unlocked(FILE *fp)
{
	if (fp != NULL && dbfile_loading && dbfile_on) {
		(void)__fsetlocking(fp, FSETLOCKING_BYCALLER);
		if (dbfile_watching)
			dbfile_note(fp);
	}
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

/* dbfile_probe_write - PATH becomes the .ndb line "NAME:0:*:<hex of DATA>". */
static int dbfile_probe_write(const char *path, const char *name, const char *data,
			      struct stat *st_r, const char **error_r)
{
	static char why[PATH_MAX + 64];
	size_t len = strlen(data), n, i;
	char *line = xmalloc(strlen(name) + 2 * len + 8);
	int fd, ret = -1, e = 0;

	n = (size_t)sprintf(line, "%s:0:*:", name);
	for (i = 0; i < len; i++)
		n += (size_t)sprintf(line + n, "%02x", (unsigned char)data[i]);
	line[n++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 && fd_write_all(fd, line, n) == 0 && fstat(fd, st_r) == 0)
		ret = 0;
	else
		e = errno;
	if (fd >= 0 && close(fd) < 0 && ret == 0) {
		e = errno;
		ret = -1;
	}
	free(line);
	if (ret < 0) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(e));
		*error_r = why;
	}
	return ret;
}

/* dbfile_probe - dbfile_probe_load, with the file's identity in *st_r. */
static struct engine_db *dbfile_probe(const struct engine_settings *settings, const char *name,
				      const char *data, struct stat *st_r, const char **error_r)
{
	char path[PATH_MAX];
	struct engine_db *db;

	if (settings->tmpdir == NULL || *settings->tmpdir == '\0') {
		*error_r = "no temporary directory for the probe database";
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/.%s.ndb", settings->tmpdir, name);
	if (dbfile_probe_write(path, name, data, st_r, error_r) < 0) {
		(void)unlink(path);
		return NULL;
	}
	dbfile_loading_begin();
	db = engine_load(path, settings, error_r);
	dbfile_loading_end();
	(void)unlink(path);
	return db;
}

struct engine_db *dbfile_probe_load(const struct engine_settings *settings, const char *name,
				    const char *data, const char **error_r)
{
	struct stat st;

	return dbfile_probe(settings, name, data, &st, error_r);
}

int dbfile_init(int on, const struct engine_settings *settings)
{
	const char *err = NULL, *hook = getenv("MXSCAND_TEST_SELFCHECK_FAIL");
	int i, seen, ours = 0, unlocked = 0, still_open = 0;
	struct engine_db *db;
	unsigned sigs;
	struct stat st;

	dbfile_on = on != 0;
	if (!dbfile_on)
		return 0;
	dbfile_nseen = 0;
	dbfile_watching = 1;
	db = dbfile_probe(settings, DBFILE_PROBE_NAME, DBFILE_PROBE_DATA, &st, &err);
	dbfile_watching = 0;
	if (db == NULL) {
		log_warn("dbfile: cannot load the self-check's probe database (%s): signature "
			 "files are read with stdio's stream locks", err);
		dbfile_on = 0;
		return 0;
	}
	sigs = db->sigs;
	engine_free(db);
	seen = dbfile_nseen;
	/* Test hook, read here at start-up only: "dbfile" in
	 * MXSCAND_TEST_SELFCHECK_FAIL makes the check see no stream, as if
	 * libclamav read its files some other way (t_overrides.py). */
	if (hook != NULL && strstr(hook, "dbfile") != NULL)
		seen = 0;
	for (i = 0; i < seen && i < DBFILE_SEEN_MAX; i++) {
		const struct dbfile_stream *s = &dbfile_seen[i];
		struct stat now;

		ours += s->dev == st.st_dev && s->ino == st.st_ino;
		unlocked += s->unlocked;
		/* Unlinked, the probe's inode lives on only while it is open. */
		still_open += fstat(s->fd, &now) == 0 && now.st_dev == s->dev &&
			      now.st_ino == s->ino;
	}
	if (seen > 0 && seen <= DBFILE_SEEN_MAX && ours > 0 && unlocked == seen &&
	    still_open == 0 && sigs == 1) {
		log_info("dbfile: signature files are read without stdio's stream locks while a "
			 "database loads (self-check passed)");
		return 1;
	}
	log_warn("dbfile: self-check: expected libclamav to read the 1-signature probe database "
		 "through streams it opens with fopen64 or fdopen and closes before cl_load "
		 "returns; saw %d stream%s opened while loading (%d of the probe file, %d "
		 "unlocked, %d still open afterwards) and %u signature%s loaded: signature files "
		 "are read with stdio's stream locks", seen, seen == 1 ? "" : "s", ours, unlocked,
		 still_open, sigs, sigs == 1 ? "" : "s");
	dbfile_on = 0;
	return 0;
}
