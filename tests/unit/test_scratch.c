/*
 * test_scratch - unit tests of scanner/scratch.c: mkdir and rmdir of a
 * directory directly in the scratch root recycle one empty spare by
 * rename (same inode), keep rmdir's and mkdir's failures (ENOTEMPTY,
 * EEXIST, ENOENT), leave other paths and modes alone, never keep a
 * directory whose mode changed, keep at most the configured number of
 * spares, and scratch_close removes them.  scratch_selfcheck passes with
 * libclamav as it is, and turns recycling off when libclamav's per-scan
 * directories are made elsewhere or the test hook says it failed.
 */
#include "auto-config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/engine.h"
#include "scanner/scratch.h"

static char root[PATH_MAX];

/* P - ROOT/NAME in a static buffer (one of four in turn). */
static const char *P(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int k;

	k = (k + 1) % 4;
	snprintf(bufs[k], sizeof(bufs[k]), "%s/%s", root, name);
	return bufs[k];
}

static ino_t inode(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_ino : 0;
}

/* spares - entries named ".spare-*" in the root; *ino_r gets one's inode. */
static int spares(ino_t *ino_r)
{
	DIR *d = opendir(root);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ".spare-", 7) == 0) {
			n++;
			if (ino_r != NULL)
				*ino_r = inode(P(e->d_name));
		}
	}
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s/test_scratch.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(root));
	scratch_init(root, 2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	scratch_close();
	assert_int_equal(spares(NULL), 0);
	assert_int_equal(rmdir(root), 0);
	return 0;
}

static void test_recycled(void **state)
{
	ino_t spare = 0, first;
	struct stat st;
	int i;

	(void)state;
	assert_int_equal(mkdir(P("scan-1"), 0700), 0);	/* no spare yet: a new one */
	first = inode(P("scan-1"));
	assert_int_equal(rmdir(P("scan-1")), 0);
	assert_int_equal(access(P("scan-1"), F_OK), -1);
	assert_int_equal(spares(&spare), 1);
	assert_true(spare == first);
	for (i = 0; i < 20; i++) {
		assert_int_equal(mkdir(P("scan-2"), 0700), 0);
		assert_true(inode(P("scan-2")) == first);	/* the same directory */
		assert_int_equal(spares(NULL), 0);
		assert_int_equal(stat(P("scan-2"), &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0700);
		assert_int_equal(rmdir(P("scan-2")), 0);
		assert_int_equal(spares(NULL), 1);
	}
}

static void test_failures_kept(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(mkdir(P("busy"), 0700), 0);
	fd = open(P("busy/member"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* Not empty: fails as rmdir does and stays where it was, whole. */
	errno = 0;
	assert_int_equal(rmdir(P("busy")), -1);
	assert_int_equal(errno, ENOTEMPTY);
	assert_int_equal(access(P("busy/member"), F_OK), 0);
	/* An existing name is never replaced by a spare. */
	errno = 0;
	assert_int_equal(mkdir(P("busy"), 0700), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(access(P("busy/member"), F_OK), 0);
	assert_int_equal(unlink(P("busy/member")), 0);
	assert_int_equal(rmdir(P("busy")), 0);
	errno = 0;
	assert_int_equal(rmdir(P("never-made")), -1);
	assert_int_equal(errno, ENOENT);
	assert_true(spares(NULL) >= 1);
}

static void test_others_untouched(void **state)
{
	ino_t spare = 0;

	(void)state;
	assert_int_equal(mkdir(P("a"), 0700), 0);
	assert_int_equal(rmdir(P("a")), 0);
	assert_true(spares(&spare) >= 1);
	/* Another mode, a nested directory, a dot name: plain mkdir/rmdir. */
	assert_int_equal(mkdir(P("wide"), 0755), 0);
	assert_true(inode(P("wide")) != spare);
	assert_int_equal(mkdir(P("wide/inner"), 0700), 0);
	assert_true(inode(P("wide/inner")) != spare);
	assert_int_equal(rmdir(P("wide/inner")), 0);
	assert_int_equal(mkdir(P(".dot"), 0700), 0);
	assert_true(inode(P(".dot")) != spare);
	assert_int_equal(rmdir(P(".dot")), 0);
	assert_int_equal(access(P(".dot"), F_OK), -1);
	assert_int_equal(rmdir(P("wide")), 0);
	assert_int_equal(access(P("wide"), F_OK), -1);
	/* Made 0700 but changed since: removed, never kept as a spare. */
	assert_int_equal(spares(NULL), 1);
	assert_int_equal(mkdir(P("odd"), 0700), 0);
	assert_true(inode(P("odd")) == spare);
	assert_int_equal(chmod(P("odd"), 0750), 0);
	assert_int_equal(rmdir(P("odd")), 0);
	assert_int_equal(access(P("odd"), F_OK), -1);
	assert_int_equal(spares(NULL), 0);
}

static void test_bounded(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "many-%d", i);
		assert_int_equal(mkdir(P(name), 0700), 0);
	}
	for (i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "many-%d", i);
		assert_int_equal(rmdir(P(name)), 0);
		assert_int_equal(access(P(name), F_OK), -1);
	}
	assert_int_equal(spares(NULL), 2);	/* scratch_init(root, 2) */
}

/* probe_settings - engine settings whose temporary directory is TMPDIR. */
static struct engine_settings probe_settings(const char *tmpdir)
{
	return (struct engine_settings){
		.max_scansize = 1 << 20,
		.max_filesize = 1 << 20,
		.max_recursion = 4,
		.max_files = 10,
		.max_scantime_ms = 10000,
		.engine_cache = 1,
		.tmpdir = tmpdir,
	};
}

/* recycles - whether a mkdir/rmdir pair in the root now leaves a spare. */
static int recycles(void)
{
	int before = spares(NULL);

	assert_int_equal(mkdir(P("after-check"), 0700), 0);
	assert_int_equal(rmdir(P("after-check")), 0);
	assert_int_equal(access(P("after-check"), F_OK), -1);
	return spares(NULL) > 0 && spares(NULL) >= before;
}

static void test_selfcheck_passes(void **state)
{
	struct engine_settings s = probe_settings(root);
	ino_t spare = 0;

	(void)state;
	assert_int_equal(scratch_selfcheck(&s), 1);
	/* the probe's two scans left their one directory as a spare */
	assert_int_equal(spares(&spare), 1);
	assert_int_equal(mkdir(P("next"), 0700), 0);
	assert_true(inode(P("next")) == spare);
	assert_int_equal(rmdir(P("next")), 0);
	assert_true(recycles());
}

static void test_selfcheck_elsewhere(void **state)
{
	struct engine_settings s = probe_settings(P(".elsewhere"));

	(void)state;
	/* libclamav making its directories in a subdirectory of the root
	 * (not as expected): the check fails and recycling stops. */
	assert_int_equal(mkdir(P(".elsewhere"), 0700), 0);
	assert_int_equal(scratch_selfcheck(&s), 0);
	assert_int_equal(rmdir(P(".elsewhere")), 0);	/* empty: the scans cleaned up */
	assert_int_equal(spares(NULL), 0);
	assert_false(recycles());
	assert_int_equal(spares(NULL), 0);
}

static void test_selfcheck_hook(void **state)
{
	struct engine_settings s = probe_settings(root);

	(void)state;
	assert_int_equal(setenv("MXSCAND_TEST_SELFCHECK_FAIL", "dbfile,scratch", 1), 0);
	assert_int_equal(scratch_selfcheck(&s), 0);
	assert_int_equal(unsetenv("MXSCAND_TEST_SELFCHECK_FAIL"), 0);
	assert_int_equal(spares(NULL), 0);	/* the probe's spare went with it */
	assert_false(recycles());
	/* off stays off: a second check has nothing to check */
	assert_int_equal(scratch_selfcheck(&s), 0);
}

int main(void)
{
	const char *err = NULL;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recycled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_others_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selfcheck_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selfcheck_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_selfcheck_hook, setup, teardown),
	};

	umask(022);
	if (engine_init(&err) < 0) {
		fprintf(stderr, "engine_init: %s\n", err);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
