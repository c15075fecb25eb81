/*
 * test_update_parse - unit tests of the updater's pure pieces: the
 * MANIFEST.sha256 parser and checks (updater/manifest.h), bundle entry
 * names (unpack_name_ok), retry backoff with jitter (fetch_backoff_ms),
 * URL origins (fetch_origin) and HEALTH reply parsing.
 */
#include "auto-config.h"

#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "updater/fetch.h"
#include "updater/manifest.h"
#include "updater/notify.h"
#include "updater/unpack.h"

#define H1 "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define H2 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"

static void hash_of(const char *hex, unsigned char out[32])
{
	unsigned i, v;

	for (i = 0; i < 32; i++) {
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

static void test_manifest_good(void **state)
{
	const char text[] = "# site bundle\n" H1 "  a.ndb\r\n\n" H2 " *b.hdb\n";
	struct manifest m = {0};
	unsigned char h1[32], h2[32];
	const char *err = NULL;

	(void)state;
	assert_int_equal(manifest_parse(&m, text, strlen(text), &err), 0);
	assert_int_equal(m.count, 2);
	assert_string_equal(m.entries[0].name, "a.ndb");
	assert_string_equal(m.entries[1].name, "b.hdb");
	hash_of(H1, h1);
	hash_of(H2, h2);
	assert_int_equal(manifest_complete(&m, &err), -1);
	assert_int_equal(manifest_check(&m, "a.ndb", h2, &err), -1);	/* wrong hash */
	assert_int_equal(manifest_check(&m, "a.ndb", h1, &err), 0);
	assert_int_equal(manifest_check(&m, "a.ndb", h1, &err), -1);	/* twice */
	assert_int_equal(manifest_check(&m, "c.ndb", h1, &err), -1);	/* unlisted */
	assert_int_equal(manifest_complete(&m, &err), -1);
	assert_int_equal(manifest_check(&m, "b.hdb", h2, &err), 0);
	assert_int_equal(manifest_complete(&m, &err), 0);
	manifest_free(&m);
	assert_int_equal(m.count, 0);
}

static void test_manifest_bad(void **state)
{
	static const char *const bad[] = {
		"xyz  a.ndb\n",
		H1 " a.ndb\n",				/* one space */
		H1 "\ta.ndb\n",
		H1 "  a.ndb\n" H1 "  a.ndb\n",		/* listed twice */
		"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be0g  a.ndb\n",
	};
	struct manifest m = {0};
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		if (manifest_parse(&m, bad[i], strlen(bad[i]), &err) != -1)
			fail_msg("accepted bad manifest %zu", i);
		assert_non_null(err);
		manifest_free(&m);
	}
	/* an empty manifest parses (and then lists nothing) */
	assert_int_equal(manifest_parse(&m, "", 0, &err), 0);
	assert_int_equal(manifest_complete(&m, &err), 0);
	manifest_free(&m);
}

static void test_names(void **state)
{
	static const char *const good[] = {"site.ndb", "a-b_c+d.HDB", "x.yara", "x.ign2",
					   "MANIFEST.sha256", "local.pwdb"};
	static const char *const bad[] = {"", ".hidden.ndb", "../x.ndb", "/etc/x.ndb", "d/x.ndb",
					  "x.cvd", "x.cld", "x.sh", "x", "sp ace.ndb",
					  "x.ndb\n", "ndb", "x.ndb.gz", "x.info"};
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (unpack_name_ok(good[i], &err) != 0)
			fail_msg("refused %s: %s", good[i], err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (unpack_name_ok(bad[i], &err) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void test_backoff(void **state)
{
	unsigned r;
	int a;

	(void)state;
	assert_int_equal(fetch_backoff_ms(0, 3, 12345), 0);
	for (a = 0; a < 12; a++) {
		long long d = 1000LL << a, lo, hi;

		if (d > 15 * 60 * 1000)
			d = 15 * 60 * 1000;
		lo = d / 2;
		hi = d;
		for (r = 0; r < 2000; r += 7) {
			long long w = fetch_backoff_ms(1000, a, r * 2654435761u);

			if (w < lo || w > hi)
				fail_msg("attempt %d: %lld outside [%lld, %lld]", a, w, lo, hi);
		}
	}
	/* the extremes of the jitter */
	assert_int_equal(fetch_backoff_ms(1000, 0, 0), 500);
	assert_int_equal(fetch_backoff_ms(1000, 0, 500), 1000);
	assert_int_equal(fetch_backoff_ms(1000, 100, 0), 15 * 60 * 1000 / 2);
}

static void test_origin(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(fetch_origin("https://db.example.org:8443/clamav/x.cvd", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "https://db.example.org:8443");
	assert_int_equal(fetch_origin("http://h", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://h");
	assert_int_equal(fetch_origin("file:///srv/mirror", buf, sizeof(buf)), 0);
	assert_int_equal(fetch_origin("ftp://h/x", buf, sizeof(buf)), -1);
	assert_int_equal(fetch_origin("https:///x", buf, sizeof(buf)), -1);
	assert_int_equal(fetch_origin("/srv/mirror", buf, sizeof(buf)), -1);
}

static void test_health(void **state)
{
	const char reply[] = "3: status: ready\nengine_generation: 2\n"
			     "database_path: /var/lib/mxscan/versions/20261123T030000Z\n"
			     "reload_state: failed\nreload_last_error: /x: boom: bad\nEND";
	char buf[256];

	(void)state;
	notify_health_value(reply, "database_path", buf, sizeof(buf));
	assert_string_equal(buf, "/var/lib/mxscan/versions/20261123T030000Z");
	notify_health_value(reply, "reload_state", buf, sizeof(buf));
	assert_string_equal(buf, "failed");
	notify_health_value(reply, "reload_last_error", buf, sizeof(buf));
	assert_string_equal(buf, "/x: boom: bad");
	notify_health_value(reply, "missing", buf, sizeof(buf));
	assert_string_equal(buf, "");
	notify_health_value(reply, "reload", buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_good), cmocka_unit_test(test_manifest_bad),
		cmocka_unit_test(test_names),	      cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_origin),	      cmocka_unit_test(test_health),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
