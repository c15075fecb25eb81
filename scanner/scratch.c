/*
 * scratch.c - libclamav's per-scan scratch directories, recycled.
 *
 * libclamav (1.x) makes a directory in the engine's temporary directory
 * at the start of every scan (scan_common: mkdir of
 * "<tmpdir>/<time>-scantemp.<hex>") and removes it at the end, even for
 * a 6-byte file it extracts nothing from.  On a disk file system that is
 * an inode and a directory block allocated and then freed for every
 * request: 0.07 ms on a journaled ext4, about 0.25 ms on an ext4 mounted
 * with online discard (where freeing the block waits for the device), a
 * large part of a small file's round trip.  Renaming a directory within
 * one parent allocates nothing.
 *
 * So mkdir and rmdir are defined here, in the executable, and take
 * precedence over the C library's (as dbfile.c does for fopen64).  Only
 * a directory directly in the scratch root, made with mode 0700 as
 * libclamav makes it, is affected: mkdir renames an empty spare
 * (".spare-N" in the same root) to the new name, never replacing an
 * existing entry (RENAME_NOREPLACE, so EEXIST stays EEXIST); rmdir
 * renames the directory to a new spare name, checks that it is empty,
 * ours and of mode 0700 and keeps it (removes it when it is empty but
 * not so), or renames it back and fails with ENOTEMPTY as rmdir would.
 * A spare is always empty and has the mode a fresh mkdir gives;
 * the root is the daemon's private 0700 spool.  Every other path, and
 * everything once the pool is full or closed, goes to mkdirat/unlinkat
 * unchanged.
 *
 * All of that rests on how libclamav calls mkdir and rmdir, which no
 * interface promises, so scratch_selfcheck() watches two scans of a fresh
 * engine at start-up and turns recycling off, with a warning, when they
 * do not go as described (see scratch.h).
 */
#include "auto-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/engine.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "scanner/dbfile.h"
#include "scanner/scratch.h"

static char scratch_root[PATH_MAX];
static size_t scratch_root_len;
static int scratch_on;			/* atomic: recycling enabled */
static pthread_mutex_t scratch_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long *scratch_pool;	/* ids of the spares kept */
static unsigned scratch_free;		/* spares in the pool */
static unsigned scratch_reserved;	/* rmdirs under way that may add one */
static unsigned scratch_cap;		/* spares kept at most */
static unsigned scratch_alloc;		/* slots in scratch_pool */
static unsigned long long scratch_next_id;

/* What mkdir and rmdir did while scratch_selfcheck watched (it runs
 * before any other thread, and nothing is counted outside it). */
static struct scratch_seen {
	unsigned mkdirs;	/* directly in the root */
	unsigned mkdirs_0700;	/* of those, made with mode 0700 */
	unsigned reused;	/* of those, a spare renamed into place */
	unsigned rmdirs;	/* directly in the root */
	unsigned kept;		/* of those, kept as a spare */
} scratch_seen;
static int scratch_watching;

/* The self-check's probe: one signature and the bytes it matches. */
#define SCRATCH_PROBE_NAME "Mxscan.Scratch.Probe"
#define SCRATCH_PROBE_DATA "mxscan scratch self-check probe"

void scratch_init(const char *root, unsigned spares)
{
	if (spares == 0 || strlen(root) + 32 >= sizeof(scratch_root))
		return;
	snprintf(scratch_root, sizeof(scratch_root), "%s", root);
	scratch_root_len = strlen(scratch_root);
	if (spares > scratch_alloc) {	/* kept for the process's life */
		free(scratch_pool);
		scratch_pool = xcalloc(spares, sizeof(*scratch_pool));
		scratch_alloc = spares;
	}
	scratch_cap = spares;
	__atomic_store_n(&scratch_on, 1, __ATOMIC_RELEASE);
}

/* scratch_child - PATH names an entry directly in the root (not a spare). */
static int scratch_child(const char *path)
{
	const char *name;

	if (!__atomic_load_n(&scratch_on, __ATOMIC_ACQUIRE) ||
	    strncmp(path, scratch_root, scratch_root_len) != 0 || path[scratch_root_len] != '/')
		return 0;
	name = path + scratch_root_len + 1;
	return *name != '\0' && *name != '.' && strchr(name, '/') == NULL &&
	       strlen(path) < PATH_MAX;
}

static void scratch_spare_name(char *buf, unsigned long long id)
{
	snprintf(buf, PATH_MAX, "%s/.spare-%llu", scratch_root, id);
}

/* scratch_refused - the file system cannot rename without replacing:
 * stop recycling (the spares go at scratch_close). */
static void scratch_refused(void)
{
	pthread_mutex_lock(&scratch_lock);
	scratch_cap = 0;
	pthread_mutex_unlock(&scratch_lock);
}

/*
 * scratch_reusable - the directory at PATH is ours, of mode 0700, and
 * holds nothing but "." and "..": what mkdir(path, 0700) would make.
 */
static int scratch_reusable(const char *path)
{
	struct dirent *d;
	struct stat st;
	DIR *dir = opendir(path);
	int empty = 1;

	if (dir == NULL)
		return 0;
	if (fstat(dirfd(dir), &st) < 0 || (st.st_mode & 07777) != 0700 || st.st_uid != geteuid())
		empty = 0;
	while (empty && (d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	}
	closedir(dir);
	return empty;
}

/*
 * The two entry points may run before main(), even before a sanitizer's
 * runtime has set itself up (ASan's log_path makes its directory with
 * mkdir from its initialiser): they are not instrumented, and until
 * scratch_init they only pass the call on.  The work is in the
 * instrumented scratch_mkdir and scratch_rmdir.
 */
#if defined(__has_attribute)
#if __has_attribute(no_sanitize)
#define SCRATCH_ENTRY __attribute__((no_sanitize("address", "undefined")))
#endif
#endif
#ifndef SCRATCH_ENTRY
#define SCRATCH_ENTRY
#endif

static int scratch_mkdir(const char *path, mode_t mode) __attribute__((noinline));
static int scratch_rmdir(const char *path) __attribute__((noinline));

SCRATCH_ENTRY int mkdir(const char *path, mode_t mode)
{
	if (!__atomic_load_n(&scratch_on, __ATOMIC_ACQUIRE))
		return mkdirat(AT_FDCWD, path, mode);
	return scratch_mkdir(path, mode);
}

SCRATCH_ENTRY int rmdir(const char *path)
{
	if (!__atomic_load_n(&scratch_on, __ATOMIC_ACQUIRE))
		return unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
	return scratch_rmdir(path);
}

static int scratch_mkdir(const char *path, mode_t mode)
{
	char spare[PATH_MAX];
	unsigned long long id = 0;
	int have = 0;

	if (scratch_watching && scratch_child(path)) {
		scratch_seen.mkdirs++;
		if (mode == 0700)
			scratch_seen.mkdirs_0700++;
	}
	if (mode == 0700 && scratch_child(path)) {
		pthread_mutex_lock(&scratch_lock);
		if (scratch_free > 0) {
			id = scratch_pool[--scratch_free];
			have = 1;
		}
		pthread_mutex_unlock(&scratch_lock);
	}
	if (have) {
		scratch_spare_name(spare, id);
		if (renameat2(AT_FDCWD, spare, AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
			if (scratch_watching)
				scratch_seen.reused++;
			return 0;
		}
		if (errno == EEXIST) {
			pthread_mutex_lock(&scratch_lock);
			scratch_pool[scratch_free++] = id;	/* the spare is still there */
			pthread_mutex_unlock(&scratch_lock);
			errno = EEXIST;
			return -1;
		}
		if (errno == EINVAL || errno == ENOSYS)
			scratch_refused();
		/* Make a new directory; the spare, if it is still there, goes. */
		(void)unlinkat(AT_FDCWD, spare, AT_REMOVEDIR);
	}
	return mkdirat(AT_FDCWD, path, mode);
}

static int scratch_rmdir(const char *path)
{
	char spare[PATH_MAX];
	unsigned long long id = 0;
	int room = 0;

	if (scratch_child(path)) {
		if (scratch_watching)
			scratch_seen.rmdirs++;
		pthread_mutex_lock(&scratch_lock);
		if (scratch_free + scratch_reserved < scratch_cap) {
			scratch_reserved++;
			id = scratch_next_id++;
			room = 1;
		}
		pthread_mutex_unlock(&scratch_lock);
	}
	if (room) {
		int kept = 0, removed = 0, e = 0;

		scratch_spare_name(spare, id);
		if (renameat2(AT_FDCWD, path, AT_FDCWD, spare, RENAME_NOREPLACE) == 0) {
			if (scratch_reusable(spare)) {
				kept = 1;
			} else if (unlinkat(AT_FDCWD, spare, AT_REMOVEDIR) == 0) {
				removed = 1;	/* empty, but not as mkdir makes it */
			} else {
				/* Not empty: as rmdir, fail and leave it where it was. */
				e = errno;
				(void)renameat2(AT_FDCWD, spare, AT_FDCWD, path, RENAME_NOREPLACE);
			}
		} else {
			e = errno;
		}
		pthread_mutex_lock(&scratch_lock);
		scratch_reserved--;
		if (kept && __atomic_load_n(&scratch_on, __ATOMIC_ACQUIRE) &&
		    scratch_free < scratch_cap) {
			scratch_pool[scratch_free++] = id;
			if (scratch_watching)
				scratch_seen.kept++;
		} else if (kept)	/* closed meanwhile: no spare is kept */
			(void)unlinkat(AT_FDCWD, spare, AT_REMOVEDIR);
		pthread_mutex_unlock(&scratch_lock);
		if (kept || removed)
			return 0;
		if (e == EINVAL || e == ENOSYS)
			scratch_refused();	/* an old kernel or file system */
		else if (e != EEXIST) {	/* EEXIST: a stray ".spare-N" */
			errno = e;
			return -1;
		}
	}
	return unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

void scratch_close(void)
{
	char spare[PATH_MAX];

	if (!__atomic_exchange_n(&scratch_on, 0, __ATOMIC_ACQ_REL))
		return;
	pthread_mutex_lock(&scratch_lock);
	while (scratch_free > 0) {
		scratch_spare_name(spare, scratch_pool[--scratch_free]);
		(void)unlinkat(AT_FDCWD, spare, AT_REMOVEDIR);
	}
	pthread_mutex_unlock(&scratch_lock);
}

/* scratch_probe_scans - scan the probe twice with DB; how many found it. */
static int scratch_probe_scans(const struct engine_db *db)
{
	const char *virname = NULL, *err = NULL;
	int i, found = 0;

	for (i = 0; i < 2; i++)
		found += engine_scan_mem(db, SCRATCH_PROBE_DATA, strlen(SCRATCH_PROBE_DATA), 0, NULL,
					 &virname, &err) == ENGINE_VIRUS &&
			 strncmp(virname, SCRATCH_PROBE_NAME, strlen(SCRATCH_PROBE_NAME)) == 0;
	return found;
}

int scratch_selfcheck(const struct engine_settings *settings)
{
	const char *err = NULL, *hook = getenv("MXSCAND_TEST_SELFCHECK_FAIL");
	struct scratch_seen seen;
	struct engine_db *db;
	int found;

	if (!__atomic_load_n(&scratch_on, __ATOMIC_ACQUIRE))
		return 0;
	db = dbfile_probe_load(settings, SCRATCH_PROBE_NAME, SCRATCH_PROBE_DATA, &err);
	if (db == NULL) {
		log_warn("scratch: cannot load the self-check's probe database (%s): libclamav's "
			 "per-scan directories are not recycled", err);
		scratch_close();
		return 0;
	}
	memset(&scratch_seen, 0, sizeof(scratch_seen));
	scratch_watching = 1;
	found = scratch_probe_scans(db);
	scratch_watching = 0;
	engine_free(db);
	seen = scratch_seen;
	/* Test hook, read here at start-up only: "scratch" in
	 * MXSCAND_TEST_SELFCHECK_FAIL makes the check see no call, as if
	 * libclamav made its directories some other way (t_overrides.py). */
	if (hook != NULL && strstr(hook, "scratch") != NULL)
		memset(&seen, 0, sizeof(seen));
	if (found == 2 && seen.mkdirs == 2 && seen.mkdirs_0700 == 2 && seen.reused >= 1 &&
	    seen.rmdirs == 2 && seen.kept == 2) {
		log_info("scratch: libclamav's per-scan directories are recycled in %s "
			 "(self-check passed)", scratch_root);
		return 1;
	}
	log_warn("scratch: self-check: expected each of two scans of the probe to mkdir one "
		 "directory of mode 0700 directly in %s and rmdir it, kept as a spare that the "
		 "second scan reuses, and to find the probe; saw %u mkdir (%u of mode 0700, %u "
		 "reused), %u rmdir (%u kept) and %d of 2 found: libclamav's per-scan directories "
		 "are not recycled", scratch_root, seen.mkdirs, seen.mkdirs_0700, seen.reused,
		 seen.rmdirs, seen.kept, found);
	scratch_close();
	return 0;
}
