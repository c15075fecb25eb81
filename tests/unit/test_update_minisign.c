/*
 * test_update_minisign - unit tests of updater/minisign.h with fixed
 * vectors made by the minisign 0.11 tool: a prehashed ("ED", the default)
 * and a legacy ("Ed", -l) signature of one message by one key; a second
 * key that must not verify them; tampered message, signature and trusted
 * comment; malformed key and signature texts.
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "updater/minisign.h"

static const char msg[] = "mxscan minisign test vector\n";

static const char key_pub[] =
	"untrusted comment: minisign public key 6BDD2CD1EC934192\n"
	"RWSSQZPs0SzdawccXaZwvbCZomIOJcBOuyjRimLv0C2C6fvOSbRup+MS\n";
static const char key2_pub[] =
	"untrusted comment: minisign public key 8508F8DC13954567\n"
	"RWRnRZUT3PgIhSsxxvKKfN9q/9n8lfSBZk87PagC/QmxggQtjU7eg3dF\n";
static const char sig_ed_prehashed[] =
	"untrusted comment: signature from minisign secret key\n"
	"RUSSQZPs0SzdazHWKNa4Jrpgn69nHpnrdsAX6bGd0ShjfIUJIO110fKwlhTdVWecgZUnTaDSrnhJ1M0e3pq9j4fc7y"
	"T0TcF4CQ4=\n"
	"trusted comment: prehashed vector\n"
	"GA4a01h3gTdyLxwn2G86hpEvbE66QmS3KTpaFIZ5Eg7Z3IOxEmNPah1Aie1jQh6BTx+DjekIJrlr1dgX1Ef/DQ==\n";
static const char sig_ed_legacy[] =
	"untrusted comment: signature from minisign secret key\n"
	"RWSSQZPs0Szda5s4F/R70UA9LAZdJ8wyZky6EMTp6JmztU9x225eCDDbPDOFkGf7j7j5/HbeLo3HEG+GTWjFfuhWjH"
	"rkpSP/uAU=\n"
	"trusted comment: legacy vector\n"
	"8cUU+SYZgT6prWaYHeCv7JbUGnvA6z+WMHbjhNvvAMnVKrUgwpP7KNGgHlLhi8jx5EARrDBIvrL5i8/8PTCMCQ==\n";

static void load_key(const char *text, struct minisign_key *k)
{
	const char *err = NULL;

	if (minisign_key_parse(text, k, &err) != 0)
		fail_msg("key: %s", err);
}

static int verify(const struct minisign_key *keys, size_t n, const char *sigtext,
		  const char *data, size_t len)
{
	struct minisign_sig sig;
	const char *err = NULL;

	if (minisign_sig_parse(sigtext, &sig, &err) != 0)
		fail_msg("signature: %s", err);
	return minisign_verify(keys, n, &sig, (const unsigned char *)data, len, &err);
}

static void test_key_id(void **state)
{
	struct minisign_key k;
	char hex[17];

	(void)state;
	load_key(key_pub, &k);
	minisign_key_id_hex(k.id, hex);
	assert_string_equal(hex, "6BDD2CD1EC934192");
	/* the base64 line alone is a key too */
	load_key(strchr(key_pub, '\n') + 1, &k);
}

static void test_prehashed_and_legacy(void **state)
{
	struct minisign_key k;
	struct minisign_sig sig;
	const char *err;

	(void)state;
	load_key(key_pub, &k);
	assert_int_equal(minisign_sig_parse(sig_ed_prehashed, &sig, &err), 0);
	assert_int_equal(sig.prehashed, 1);
	assert_string_equal(sig.trusted, "prehashed vector");
	assert_int_equal(verify(&k, 1, sig_ed_prehashed, msg, strlen(msg)), 0);
	assert_int_equal(minisign_sig_parse(sig_ed_legacy, &sig, &err), 0);
	assert_int_equal(sig.prehashed, 0);
	assert_int_equal(verify(&k, 1, sig_ed_legacy, msg, strlen(msg)), 0);
}

static void test_key_selection(void **state)
{
	struct minisign_key keys[2];

	(void)state;
	load_key(key2_pub, &keys[0]);
	assert_int_equal(verify(keys, 1, sig_ed_prehashed, msg, strlen(msg)), -1);
	load_key(key_pub, &keys[1]);
	assert_int_equal(verify(keys, 2, sig_ed_prehashed, msg, strlen(msg)), 0);
	assert_int_equal(verify(keys, 2, sig_ed_legacy, msg, strlen(msg)), 0);
}

static void test_tampering(void **state)
{
	struct minisign_key k;
	char buf[sizeof(sig_ed_legacy) + 8], data[sizeof(msg)];
	char *p;

	(void)state;
	load_key(key_pub, &k);
	memcpy(data, msg, sizeof(msg));
	data[3] ^= 1;
	assert_int_equal(verify(&k, 1, sig_ed_prehashed, data, strlen(data)), -1);
	assert_int_equal(verify(&k, 1, sig_ed_legacy, data, strlen(data)), -1);
	assert_int_equal(verify(&k, 1, sig_ed_legacy, msg, strlen(msg) - 1), -1);
	/* a changed trusted comment breaks the global signature */
	snprintf(buf, sizeof(buf), "%s", sig_ed_legacy);
	p = strstr(buf, "legacy vector");
	p[0] = 'L';
	assert_int_equal(verify(&k, 1, buf, msg, strlen(msg)), -1);
}

/* verify_file - minisign_verify_fd() of MSG written to a temporary file. */
static int verify_file(const struct minisign_key *k, const char *sigtext, size_t max)
{
	char path[] = "/tmp/test_update_minisign.XXXXXX";
	struct minisign_sig sig;
	const char *err = NULL;
	int fd = mkstemp(path), ret;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, msg, strlen(msg)), (int)strlen(msg));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(minisign_sig_parse(sigtext, &sig, &err), 0);
	ret = minisign_verify_fd(k, 1, &sig, fd, max, &err);
	close(fd);
	return ret;
}

static void test_verify_fd(void **state)
{
	struct minisign_key k, k2;

	(void)state;
	load_key(key_pub, &k);
	load_key(key2_pub, &k2);
	assert_int_equal(verify_file(&k, sig_ed_prehashed, 1), 0);	/* streamed: no cap */
	assert_int_equal(verify_file(&k, sig_ed_legacy, 4096), 0);
	assert_int_equal(verify_file(&k, sig_ed_legacy, 8), -1);	/* legacy over the cap */
	assert_int_equal(verify_file(&k2, sig_ed_prehashed, 4096), -1);
}

static void test_malformed(void **state)
{
	struct minisign_key k;
	struct minisign_sig sig;
	const char *err;
	char buf[sizeof(sig_ed_legacy) + 8];

	(void)state;
	assert_int_equal(minisign_key_parse("untrusted comment: x\nnot base64!\n", &k, &err), -1);
	assert_int_equal(minisign_key_parse("", &k, &err), -1);
	/* a signature where a key belongs: wrong length */
	assert_int_equal(minisign_key_parse(sig_ed_legacy, &k, &err), -1);
	assert_int_equal(minisign_sig_parse("", &sig, &err), -1);
	assert_int_equal(minisign_sig_parse(key_pub, &sig, &err), -1);
	/* no trusted comment */
	snprintf(buf, sizeof(buf), "%s", sig_ed_legacy);
	*strstr(buf, "trusted comment: legacy") = 'X';
	assert_int_equal(minisign_sig_parse(buf, &sig, &err), -1);
	/* unknown algorithm */
	snprintf(buf, sizeof(buf), "%s", sig_ed_legacy);
	strstr(buf, "\nRW")[2] = 'Z';
	assert_int_equal(minisign_sig_parse(buf, &sig, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_prehashed_and_legacy),
		cmocka_unit_test(test_key_selection),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_verify_fd),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
