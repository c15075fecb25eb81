/*
 * test_update_errors - unit tests of the updater's failure convention
 * (updater/reason.h): the status and the *error_r reason of
 * reason_set(), of fetch_retry() refusing a URL before any transfer, of
 * manifest_check(), and of unpack_bundle() for each unpack_status, on
 * bundles written here with libarchive.
 */
#include "auto-config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "updater/fetch.h"
#include "updater/install.h"
#include "updater/manifest.h"
#include "updater/reason.h"
#include "updater/state.h"
#include "updater/unpack.h"

/* One file of a test bundle. */
struct entry {
	const char *name;
	const char *data;
	size_t len;		/* 0: strlen(data) */
};

static char tmpdir[] = "/tmp/test_update_errors.XXXXXX";
static const struct unpack_limits limits = {100, 1 << 20};

/* manifest_line - "<sha256 hex>  NAME\n" of DATA (LEN bytes) into BUF. */
static void manifest_line(char *buf, size_t size, const char *name, const char *data, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(h) + 1];

	crypto_hash_sha256(h, (const unsigned char *)data, len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(buf, size, "%s  %s\n", hex, name);
}

/* write_bundle - a .tar.gz of the N entries at PATH. */
static void write_bundle(const char *path, const struct entry *e, size_t n)
{
	struct archive *a = archive_write_new();
	size_t i;

	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *ent = archive_entry_new();
		size_t len = e[i].len ? e[i].len : strlen(e[i].data);

		archive_entry_set_pathname(ent, e[i].name);
		archive_entry_set_size(ent, (la_int64_t)len);
		archive_entry_set_filetype(ent, AE_IFREG);
		archive_entry_set_perm(ent, 0644);
		assert_int_equal(archive_write_header(a, ent), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, e[i].data, len), (la_ssize_t)len);
		archive_entry_free(ent);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* fresh_dir - an empty directory NAME under tmpdir, its path into BUF. */
static void fresh_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
	assert_int_equal(mkdir(buf, 0755), 0);
}

/* unpack_case - bundle the N entries E as NAME.tar.gz and unpack it into
 * a fresh directory NAME: unpack_bundle() must say WANT, and WANT_ERR
 * unless WANT is UNPACK_OK. */
static void unpack_case(const char *name, const struct entry *e, size_t n,
			enum unpack_status want, const char *want_err)
{
	char archive[PATH_MAX], dir[PATH_MAX];
	struct unpack_files files = {0};
	const char *err = NULL;

	snprintf(archive, sizeof(archive), "%s/%s.tar.gz", tmpdir, name);
	write_bundle(archive, e, n);
	fresh_dir(dir, sizeof(dir), name);
	assert_int_equal(unpack_bundle(archive, dir, &limits, &files, &err), want);
	if (want != UNPACK_OK)
		assert_string_equal(err, want_err);
	unpack_files_free(&files);
}

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0 || mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[sizeof(tmpdir) + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_reason_set(void **state)
{
	static __thread char why[REASON_MAX];
	char long_path[REASON_MAX + 100];
	const char *err = NULL;

	(void)state;
	assert_int_equal(reason_set(why, &err, "%s: %d", "x", 42), -1);
	assert_ptr_equal(err, why);
	assert_string_equal(err, "x: 42");
	/* Cut to the buffer, never past it. */
	memset(long_path, 'p', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	reason_set(why, &err, "open %s", long_path);
	assert_int_equal(strlen(err), REASON_MAX - 1);
	assert_memory_equal(err, "open ppp", 8);
}

static void test_fetch_refused(void **state)
{
	struct fetch_request rq = {.url = "ftp://mirror.example.org/x.cvd", .range_end = -1};
	const char *err = NULL;
	time_t until = time(NULL) + 3600;
	char want[256];

	(void)state;
	/* Permanent: no transfer is tried for a URL of another scheme. */
	assert_int_equal(fetch_retry(&rq, &err), FETCH_PERMFAIL);
	assert_string_equal(err, "ftp://mirror.example.org/x.cvd: not an https, http or file URL");
	/* An origin on cool-down is left alone, with the time in the reason. */
	state_set_cooldown("https://mirror.example.org", until);
	rq.url = "https://mirror.example.org/db/x.cvd";
	err = NULL;
	assert_int_equal(fetch_retry(&rq, &err), FETCH_COOLDOWN);
	snprintf(want, sizeof(want),
		 "https://mirror.example.org: on cool-down until %lld (after a 429 or 403)",
		 (long long)until);
	assert_string_equal(err, want);
	state_free();
}

static void test_manifest_reasons(void **state)
{
	const char text[] = "# comment\nnot a hash  a.ndb\n";
	struct manifest m = {0};
	unsigned char h[MANIFEST_SHA256_SIZE] = {0};
	const char *err = NULL;

	(void)state;
	assert_int_equal(manifest_parse(&m, text, strlen(text), &err), -1);
	assert_string_equal(err, "MANIFEST.sha256 line 2: too short for a SHA-256 line");
	assert_int_equal(manifest_parse(&m, "", 0, &err), 0);
	assert_int_equal(manifest_check(&m, "a.ndb", h, &err), -1);
	assert_string_equal(err, "a.ndb is not listed in MANIFEST.sha256");
	manifest_free(&m);
}

static void test_unpack_ok(void **state)
{
	static const char sigs[] = "Test.Sig:0:*:4d5a\n";
	char man[256], archive[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 16];
	struct entry e[2] = {{"site.ndb", sigs, 0}, {MANIFEST_NAME, man, 0}};
	struct unpack_files files = {0};
	const char *err = NULL;
	struct stat st;

	(void)state;
	manifest_line(man, sizeof(man), "site.ndb", sigs, strlen(sigs));
	snprintf(archive, sizeof(archive), "%s/ok.tar.gz", tmpdir);
	write_bundle(archive, e, 2);
	fresh_dir(dir, sizeof(dir), "ok");
	assert_int_equal(unpack_bundle(archive, dir, &limits, &files, &err), UNPACK_OK);
	assert_int_equal(files.count, 1);
	assert_string_equal(files.names[0], "site.ndb");
	snprintf(path, sizeof(path), "%s/site.ndb", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, (off_t)strlen(sigs));
	unpack_files_free(&files);
	/* Again into the same directory: the name clashes, the archive is refused. */
	assert_int_equal(unpack_bundle(archive, dir, &limits, &files, &err), UNPACK_REFUSED);
	assert_non_null(strstr(err, "bundle entry \"site.ndb\": name clash"));
	unpack_files_free(&files);
}

static void test_unpack_refused(void **state)
{
	struct entry e[1] = {{"run.sh", "#!/bin/sh\n", 0}};
	struct unpack_files files = {0};
	char dir[PATH_MAX], want[PATH_MAX + 64];
	const char *err = NULL;

	(void)state;
	unpack_case("refused", e, 1, UNPACK_REFUSED,
		    "bundle entry \"run.sh\": not a known signature file extension");
	/* No directory to unpack into. */
	snprintf(dir, sizeof(dir), "%s/missing", tmpdir);
	assert_int_equal(unpack_bundle("/dev/null", dir, &limits, &files, &err), UNPACK_REFUSED);
	snprintf(want, sizeof(want), "%s: %s", dir, strerror(ENOENT));
	assert_string_equal(err, want);
}

static void test_unpack_mismatch(void **state)
{
	char man[256];
	struct entry e[2] = {{"site.ndb", "Test.Sig:0:*:4d5a\n", 0}, {MANIFEST_NAME, man, 0}};

	(void)state;
	unpack_case("bare", e, 1, UNPACK_MISMATCH, "bundle: no " MANIFEST_NAME);
	/* A manifest with another file's hash. */
	manifest_line(man, sizeof(man), "site.ndb", "other", 5);
	unpack_case("wrong", e, 2, UNPACK_MISMATCH,
		    "bundle: site.ndb: SHA-256 differs from " MANIFEST_NAME);
}

static void test_unpack_write_failed(void **state)
{
	static char big[8192];
	struct entry e[1] = {{"big.ndb", big, sizeof(big)}};
	char archive[PATH_MAX], dir[PATH_MAX], want[64];
	struct unpack_files files = {0};
	struct rlimit old, small;
	const char *err = NULL;
	enum unpack_status st;

	(void)state;
	memset(big, 'x', sizeof(big));
	snprintf(archive, sizeof(archive), "%s/big.tar.gz", tmpdir);
	write_bundle(archive, e, 1);
	fresh_dir(dir, sizeof(dir), "big");
	/* A file-size limit below the entry: write(2) fails with EFBIG. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = (struct rlimit){sizeof(big) / 2, old.rlim_max};	/* soft only: it comes back */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	st = unpack_bundle(archive, dir, &limits, &files, &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(st, UNPACK_WRITE_FAILED);
	snprintf(want, sizeof(want), "bundle entry \"big.ndb\": %s", strerror(EFBIG));
	assert_string_equal(err, want);
	unpack_files_free(&files);
}

/*
 * test_install_order - versions made within one second sort by their
 * number ("-10" after "-9"), and a new id sorts after every version of
 * its second, even when the first ones were pruned.
 */
static void test_install_order(void **state)
{
	static const char *const made[] = {
		"20200101T000000Z-10", "20200101T000000Z", "20200101T000000Z-9", "20200101T000000Z-2",
	};
	char root[PATH_MAX], path[PATH_MAX], prev[INSTALL_ID_MAX], id[INSTALL_ID_MAX];
	char base[32], base2[32], want[64];
	char **ids;
	size_t i, n;
	time_t now;
	struct tm tm;

	(void)state;
	fresh_dir(root, sizeof(root), "install");
	snprintf(path, sizeof(path), "%s/versions", root);
	assert_int_equal(mkdir(path, 0755), 0);
	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(path, sizeof(path), "%s/versions/%s", root, made[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	ids = install_list(root, &n);
	assert_int_equal(n, 4);
	assert_string_equal(ids[0], "20200101T000000Z");
	assert_string_equal(ids[1], "20200101T000000Z-2");
	assert_string_equal(ids[2], "20200101T000000Z-9");
	assert_string_equal(ids[3], "20200101T000000Z-10");
	install_list_free(ids);
	assert_int_equal(install_previous(root, "20200101T000000Z-10", prev), 0);
	assert_string_equal(prev, "20200101T000000Z-9");

	/* Only "<now>-3" is left of this second: the next is "<now>-4". */
	do {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(base, sizeof(base), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(path, sizeof(path), "%s/versions/%s-3", root, base);
		assert_int_equal(mkdir(path, 0755), 0);
		install_new_id(root, id);
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(base2, sizeof(base2), "%Y%m%dT%H%M%SZ", &tm);
	} while (strcmp(base, base2) != 0);	/* the second turned: again */
	snprintf(want, sizeof(want), "%s-4", base);
	assert_string_equal(id, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_set),
		cmocka_unit_test(test_install_order),
		cmocka_unit_test(test_fetch_refused),
		cmocka_unit_test(test_manifest_reasons),
		cmocka_unit_test(test_unpack_ok),
		cmocka_unit_test(test_unpack_refused),
		cmocka_unit_test(test_unpack_mismatch),
		cmocka_unit_test(test_unpack_write_failed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
