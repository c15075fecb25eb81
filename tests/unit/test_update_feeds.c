/*
 * test_update_feeds - unit tests of the parsers behind mxscan-update's
 * DNS check and signature feeds: ClamAV's current.cvd TXT record and the
 * per-database record (updater/dns.h), and update_feeds (updater/feed.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "updater/dns.h"
#include "updater/feed.h"

static void test_cvd_record(void **state)
{
	struct dns_cvd_record rec;
	const char *err = NULL;

	(void)state;
	/* As ClamAV publishes it: release, main, daily, time, flag, FLEVEL,
	 * safebrowsing, bytecode. */
	assert_int_equal(dns_cvd_parse("1.4.3:62:27480:1733472000:1:90:49192:335", &rec, &err), 0);
	assert_int_equal(rec.main, 62);
	assert_int_equal(rec.daily, 27480);
	assert_int_equal(rec.time, 1733472000LL);
	assert_int_equal(rec.bytecode, 335);
	assert_int_equal(dns_cvd_version(&rec, "main"), 62);
	assert_int_equal(dns_cvd_version(&rec, "daily"), 27480);
	assert_int_equal(dns_cvd_version(&rec, "bytecode"), 335);
	assert_int_equal(dns_cvd_version(&rec, "safebrowsing"), 0);
	assert_int_equal(dns_cvd_version(&rec, "test"), 0);
	/* Old records end before the bytecode field: it stays unknown. */
	assert_int_equal(dns_cvd_parse("0.98.7:55:17000:1400000000:1:63", &rec, &err), 0);
	assert_int_equal(rec.daily, 17000);
	assert_int_equal(rec.bytecode, 0);
}

static void test_cvd_record_bad(void **state)
{
	static const char *const bad[] = {
		"",				/* empty */
		"1.4.3:62:27480",		/* no time */
		"1.4.3::27480:1733472000",	/* empty main */
		"1.4.3:62:x27480:1733472000",	/* not a number */
		"1.4.3:62:-1:1733472000",	/* negative */
		"1.4.3:62:27480:17334720001733472000173347", /* time overflows */
		"1.4.3:4294967296:1:1",		/* main beyond 32 bits */
		"1.4.3:62:27480:1733472000:1:90:49192:3x5", /* bad bytecode */
		"1.4.3: 62:27480:1733472000",	/* blank */
	};
	struct dns_cvd_record rec;
	char longer[DNS_TXT_MAX + 10];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *err = NULL;

		assert_int_equal(dns_cvd_parse(bad[i], &rec, &err), -1);
		assert_non_null(err);
	}
	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	{
		const char *err = NULL;

		assert_int_equal(dns_cvd_parse(longer, &rec, &err), -1);
	}
}

static void test_db_record(void **state)
{
	unsigned v = 0;
	long long t = 0;
	const char *err = NULL;
	char name[64];

	(void)state;
	assert_int_equal(dns_db_parse("6:1733472000", &v, &t, &err), 0);
	assert_int_equal(v, 6);
	assert_int_equal(t, 1733472000LL);
	assert_int_equal(dns_db_parse("7:1733472000:extra", &v, &t, &err), 0);
	assert_int_equal(v, 7);
	assert_int_equal(dns_db_parse("7", &v, &t, &err), -1);
	assert_int_equal(dns_db_parse("a:1", &v, &t, &err), -1);
	assert_int_equal(dns_db_name("current.cvd.clamav.net", "test", name, sizeof(name)), 0);
	assert_string_equal(name, "test.cvd.clamav.net");
	assert_int_equal(dns_db_name("localhost", "test", name, sizeof(name)), -1);
	assert_int_equal(dns_db_name("current.", "test", name, sizeof(name)), -1);
	assert_int_equal(dns_db_name("current.cvd.clamav.net", "test", name, 10), -1);
}

static void test_feeds(void **state)
{
	const char text[] =
		"sanesecurity verify=gpg gpg_home=/etc/mxscan/gnupg interval=24h\n"
		"    url=https://a.example/sanesecurity/,https://b.example/ss\n"
		"    files=junk.ndb,jurlbl.ndb files=phish.ndb\n"
		"    companions=sanesecurity.ftm,sigwhitelist.ign2\n"
		"urlhaus verify=none interval=1h url=https://urlhaus.example/downloads "
		"files=urlhaus.ndb\n"
		"site verify=minisign minisign_key=/etc/mxscan/site.pub url=file:///srv/sigs "
		"files=site.ndb\n"
		"hashed verify=sha256 url=http://h.example files=h.hdb\n"
		"private verify=cvd url=https://m.example files=extra.cvd interval=0\n";
	struct feed *f = NULL;
	size_t n = 0;
	const char *err = NULL;

	(void)state;
	assert_int_equal(feed_parse(text, &f, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_string_equal(f[0].name, "sanesecurity");
	assert_int_equal(f[0].verify, FEED_VERIFY_GPG);
	assert_string_equal(f[0].gpg_home, "/etc/mxscan/gnupg");
	assert_int_equal(f[0].interval_ms, 24LL * 3600 * 1000);
	assert_int_equal(f[0].nurls, 2);
	assert_string_equal(f[0].urls[0], "https://a.example/sanesecurity");	/* '/' dropped */
	assert_string_equal(f[0].urls[1], "https://b.example/ss");
	assert_int_equal(f[0].nfiles, 5);
	assert_string_equal(f[0].files[2].name, "phish.ndb");
	assert_false(f[0].files[2].companion);
	assert_string_equal(f[0].files[3].name, "sanesecurity.ftm");
	assert_true(f[0].files[3].companion);
	assert_int_equal(f[1].verify, FEED_VERIFY_NONE);
	assert_int_equal(f[1].interval_ms, 3600LL * 1000);
	assert_int_equal(f[2].verify, FEED_VERIFY_MINISIGN);
	assert_string_equal(f[2].minisign_key, "/etc/mxscan/site.pub");
	assert_int_equal(f[2].interval_ms, FEED_INTERVAL_DEFAULT_MS);
	assert_int_equal(f[3].verify, FEED_VERIFY_SHA256);
	assert_int_equal(f[4].verify, FEED_VERIFY_CVD);
	assert_int_equal(f[4].interval_ms, 0);
	assert_string_equal(feed_sidecar(FEED_VERIFY_GPG), ".sig");
	assert_string_equal(feed_sidecar(FEED_VERIFY_SHA256), ".sha256");
	assert_null(feed_sidecar(FEED_VERIFY_NONE));
	feed_free_all(f, n);

	assert_int_equal(feed_parse("  \n ", &f, &n, &err), 0);
	assert_int_equal(n, 0);
	feed_free_all(f, n);
}

static void test_feeds_bad(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"verify=gpg", "before the first feed name"},
		{"a url=https://x/ files=a.ndb", "verify= is required"},
		{"a verify=none files=a.ndb", "url= is required"},
		{"a verify=none url=https://x/", "files= is required"},
		{"a verify=none url=https://x/ companions=c.ign2", "files= is required"},
		{"a verify=gpg url=https://x/ files=a.ndb", "needs gpg_home="},
		{"a verify=sha256 gpg_home=/g url=https://x/ files=a.ndb", "without verify=gpg"},
		{"a verify=gpg gpg_home=rel url=https://x/ files=a.ndb", "absolute path"},
		{"a verify=pgp url=https://x/ files=a.ndb", "expected gpg"},
		{"a verify=none url=http://x/ files=a.ndb", "plain http"},
		{"a verify=none url=ftp://x/ files=a.ndb", "not an https"},
		{"a verify=none url=https://x/?t=1 files=a.ndb", "not an https"},
		{"a verify=none url=https://x/ files=../a.ndb", "bad file name"},
		{"a verify=none url=https://x/ files=.hidden", "bad file name"},
		{"a verify=none url=https://x/ files=a.ndb,a.ndb", "also in feed a"},
		{"a verify=none url=https://x/ files=a.ndb b verify=none url=https://y/ files=a.ndb",
		 "also in feed a"},
		{"a verify=none url=https://x/ files=a.ndb a verify=none url=https://y/ files=b.ndb",
		 "named twice"},
		{"a verify=none url=https://x/ files=a.ndb interval=soon", "interval=soon"},
		{"a verify=none url=https://x/ files=a.ndb colour=blue", "unknown key"},
		{"a/b verify=none url=https://x/ files=a.ndb", "bad feed name"},
		{"a verify=none url= files=a.ndb", "empty list"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct feed *f = NULL;
		size_t n = 0;
		const char *err = NULL;

		if (feed_parse(bad[i].text, &f, &n, &err) != -1 || err == NULL ||
		    strstr(err, bad[i].why) == NULL)
			fail_msg("\"%s\": got %s, want an error with \"%s\"", bad[i].text,
				 err ? err : "(success)", bad[i].why);
	}
}

/* test_man_example - the worked example of mxscan-update(8) parses
 * (srcdir is set by make check; run alone, the test is skipped). */
static void test_man_example(void **state)
{
	const char *srcdir = getenv("srcdir"), *err = NULL;
	char path[4096], *text, *start, *end, *p, *q;
	struct feed *f = NULL;
	size_t n = 0;
	long len;
	FILE *fp;

	(void)state;
	if (srcdir == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/doc/mxscan-update.8", srcdir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	start = strstr(text, "update_feeds =\n");
	assert_non_null(start);
	start += strlen("update_feeds =");
	end = strstr(start, "\n.fi");
	assert_non_null(end);
	*end = '\0';
	/* Undo the roff escapes used there: \- and \fI...\fP. */
	for (p = q = start; *p; p++) {
		if (p[0] == '\\' && p[1] == '-') {
			*q++ = '-';
			p++;
		} else if (p[0] == '\\' && p[1] == 'f' && p[2]) {
			p += 2;
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
	if (feed_parse(start, &f, &n, &err) < 0)
		fail_msg("the example of mxscan-update(8) does not parse: %s", err);
	assert_int_equal(n, 3);
	assert_string_equal(f[0].name, "sanesecurity");
	assert_int_equal(f[0].verify, FEED_VERIFY_GPG);
	assert_int_equal(f[0].nfiles, 7);
	assert_string_equal(f[1].name, "urlhaus");
	assert_int_equal(f[1].interval_ms, 3600LL * 1000);
	assert_string_equal(f[2].name, "securiteinfo");
	assert_int_equal(f[2].nfiles, 6);
	feed_free_all(f, n);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cvd_record), cmocka_unit_test(test_cvd_record_bad),
		cmocka_unit_test(test_db_record), cmocka_unit_test(test_feeds),
		cmocka_unit_test(test_feeds_bad), cmocka_unit_test(test_man_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
