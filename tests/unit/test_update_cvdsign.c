/*
 * test_update_cvdsign - cvd_verify() as built against libclamav 1.5+
 * (updater/cvd.c compiled with -DHAVE_CL_CVDVERIFY_EX, see
 * cvd_ex_shim.h), on this machine's libclamav 1.4: a stub
 * cl_cvdverify_ex() records its arguments and answers success or a
 * failure.  The CVDs have a real header (read by libclamav's cl_cvdhead)
 * and nothing else: their signatures are what the stub says.
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

#include "tests/unit/cvd_ex_shim.h"

#include "common/config.h"
#include "updater/cvd.h"

#ifndef HAVE_CL_CVDVERIFY_EX
#error "test_update_cvdsign must be built with -DHAVE_CL_CVDVERIFY_EX"
#endif

/* What the stub saw and answers. */
static struct {
	int calls;
	char file[4096];
	char certs[4096];
	uint32_t dboptions;
	cl_error_t answer;
} stub;

cl_error_t cl_cvdverify_ex(const char *file, const char *certs_directory, uint32_t dboptions)
{
	stub.calls++;
	snprintf(stub.file, sizeof(stub.file), "%s", file);
	snprintf(stub.certs, sizeof(stub.certs), "%s", certs_directory ? certs_directory : "(null)");
	stub.dboptions = dboptions;
	return stub.answer;
}

static char dir[] = "/tmp/mx-cvdsign-XXXXXX";
static char cvd[256], sign[256], certs[256], conf[256];

/* put - write TEXT to PATH. */
static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* setup - a daily.cvd of version 27500 (header only), its .sign beside
 * it, a certs directory configured through update_cvd_certs_dir. */
static int setup(void **state)
{
	char head[CVD_HEADER_SIZE + 1], opt[300];
	char *ov[] = {opt};
	const char *err;
	int n;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cvd, sizeof(cvd), "%s/daily.cvd", dir);
	snprintf(sign, sizeof(sign), "%s/daily-27500.cvd.sign", dir);
	snprintf(certs, sizeof(certs), "%s/certs", dir);
	snprintf(conf, sizeof(conf), "%s/mxscan.conf", dir);
	n = snprintf(head, sizeof(head),
		     "ClamAV-VDB:14 Feb 2025 08-00 +0000:27500:2000000:90:"
		     "0123456789abcdef0123456789abcdef:X:test:1739520000");
	memset(head + n, ' ', CVD_HEADER_SIZE - (size_t)n);
	head[CVD_HEADER_SIZE] = '\0';
	put(cvd, head);
	put(sign, "#clamsign-1.0\n");
	put(conf, "");
	snprintf(opt, sizeof(opt), "update_cvd_certs_dir=%s", certs);
	return config_load(conf, ov, 1, &err);
}

static int teardown(void **state)
{
	(void)state;
	unlink(cvd);
	unlink(sign);
	unlink(conf);
	rmdir(dir);
	config_free();
	return 0;
}

/* reset - a fresh stub answering ANSWER. */
static void reset(cl_error_t answer)
{
	memset(&stub, 0, sizeof(stub));
	stub.answer = answer;
}

static void test_sign_name(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(cvd_sign_name("daily", 27500, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "daily-27500.cvd.sign");
	assert_int_equal(cvd_sign_name("daily", 27500, buf, 20), -1);
}

/* The configured certificates and the CVD's path go to libclamav, with
 * the flag that forbids falling back to the header signature. */
static void test_good(void **state)
{
	struct cvd_info info;
	const char *err = NULL;

	(void)state;
	reset(CL_SUCCESS);
	assert_int_equal(cvd_verify(cvd, config_str(CONF_UPDATE_CVD_CERTS_DIR), 27500, &info,
				    &err), 0);
	assert_int_equal(stub.calls, 1);
	assert_string_equal(stub.file, cvd);
	assert_string_equal(stub.certs, certs);
	assert_true(stub.dboptions & CL_DB_FIPS_LIMITS);
	assert_int_equal(info.version, 27500);
	assert_int_equal(info.sigs, 2000000);
}

/* libclamav's refusal is a verification failure with its reason. */
static void test_bad(void **state)
{
	struct cvd_info info;
	const char *err = NULL;

	(void)state;
	reset(CL_EVERIFY);
	assert_int_equal(cvd_verify(cvd, certs, 27500, &info, &err), -1);
	assert_int_equal(stub.calls, 1);
	assert_non_null(err);
	assert_non_null(strstr(err, cl_strerror(CL_EVERIFY)));
	assert_non_null(strstr(err, "daily-27500.cvd.sign"));
	assert_non_null(strstr(err, certs));
	reset(CL_ECVD);
	assert_int_equal(cvd_verify(cvd, certs, 27500, &info, &err), -1);
	assert_non_null(strstr(err, cl_strerror(CL_ECVD)));
}

/* No .sign of the header's version beside the CVD: refused before
 * libclamav is asked (it would fall back to the header signature). */
static void test_missing(void **state)
{
	struct cvd_info info;
	const char *err = NULL;
	char older[300];

	(void)state;
	reset(CL_SUCCESS);
	snprintf(older, sizeof(older), "%s/daily-27499.cvd.sign", dir);
	assert_int_equal(rename(sign, older), 0);
	assert_int_equal(cvd_verify(cvd, certs, 27500, &info, &err), -1);
	assert_int_equal(rename(older, sign), 0);
	assert_int_equal(stub.calls, 0);
	assert_non_null(strstr(err, "no detached signature"));
	assert_non_null(strstr(err, "daily-27500.cvd.sign"));
}

/* A good signature does not excuse a version older than announced. */
static void test_older(void **state)
{
	struct cvd_info info;
	const char *err = NULL;

	(void)state;
	reset(CL_SUCCESS);
	assert_int_equal(cvd_verify(cvd, certs, 27501, &info, &err), -1);
	assert_non_null(strstr(err, "older than the 27501"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_name),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_older),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
