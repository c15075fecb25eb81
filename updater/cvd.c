/*
 * cvd.c - CVD headers and verification (see cvd.h).
 */
#include "auto-config.h"

#include <clamav.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "updater/cvd.h"
#include "updater/reason.h"

/* What a CVD header starts with. */
#define CVD_MAGIC "ClamAV-VDB:"
/* The longest database name in a .sign file name (as source.c allows). */
#define CVD_DB_NAME_MAX 99

static __thread char cvd_why[REASON_MAX];

/* cvd_fill - copy libclamav's header struct. */
static void cvd_fill(const struct cl_cvd *cvd, struct cvd_info *info)
{
	info->version = cvd->version;
	info->sigs = cvd->sigs;
}

int cvd_header_parse(const char *buf, size_t len, struct cvd_info *info, const char **error_r)
{
	char head[CVD_HEADER_SIZE + 1];
	struct cl_cvd *cvd;

	if (len < CVD_HEADER_SIZE || strncmp(buf, CVD_MAGIC, strlen(CVD_MAGIC)) != 0) {
		*error_r = "not a CVD header";
		return -1;
	}
	memcpy(head, buf, CVD_HEADER_SIZE);
	head[CVD_HEADER_SIZE] = '\0';
	if (memchr(head, '\0', CVD_HEADER_SIZE) != NULL) {
		*error_r = "not a CVD header (NUL byte)";
		return -1;
	}
	cvd = cl_cvdparse(head);
	if (cvd == NULL) {
		*error_r = "malformed CVD header";
		return -1;
	}
	cvd_fill(cvd, info);
	cl_cvdfree(cvd);
	return 0;
}

int cvd_file_header(const char *path, struct cvd_info *info, const char **error_r)
{
	struct cl_cvd *cvd = cl_cvdhead(path);

	if (cvd == NULL)
		return reason_set(cvd_why, error_r, "%s: no valid CVD header", path);
	cvd_fill(cvd, info);
	cl_cvdfree(cvd);
	return 0;
}

int cvd_sign_name(const char *db, unsigned version, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s-%u.cvd.sign", db, version);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

#ifdef HAVE_CL_CVDVERIFY_EX
/* cvd_verify_signed - libclamav 1.5's check of PATH (version VERSION)
 * with its detached signature against the certificates in CERTS_DIR. */
static int cvd_verify_signed(const char *path, const char *certs_dir, unsigned version,
			     const char **error_r)
{
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	char db[CVD_DB_NAME_MAX + 1], name[CVD_DB_NAME_MAX + 32], sign[PATH_MAX];
	size_t n = strcspn(base, "-.");
	struct stat st;
	cl_error_t r;
	int len;

	/* libclamav's rule: the database name ends at the first - or . */
	if (n == 0 || n > CVD_DB_NAME_MAX)
		return reason_set(cvd_why, error_r, "%s: no database name in the file name", path);
	memcpy(db, base, n);
	db[n] = '\0';
	if (cvd_sign_name(db, version, name, sizeof(name)) < 0)
		return reason_set(cvd_why, error_r, "%s: name too long", path);
	len = snprintf(sign, sizeof(sign), "%.*s%s", (int)(base - path), path, name);
	if (len < 0 || (size_t)len >= sizeof(sign))
		return reason_set(cvd_why, error_r, "%s: path too long", path);
	if (stat(sign, &st) < 0)
		return reason_set(cvd_why, error_r, "%s: no detached signature: %s: %s", path, sign,
				  strerror(errno));
	if (!S_ISREG(st.st_mode))
		return reason_set(cvd_why, error_r, "%s: %s is not a regular file", path, sign);
	r = cl_cvdverify_ex(path, certs_dir, CL_DB_FIPS_LIMITS);
	if (r != CL_SUCCESS)
		return reason_set(cvd_why, error_r,
				  "%s: verification with %s against the certificates in %s "
				  "failed: %s", path, name, certs_dir, cl_strerror(r));
	return 0;
}
#endif

/* cvd_check_version - PATH (header INFO) is WANT_VERSION or newer. */
static int cvd_check_version(const char *path, const struct cvd_info *info,
			     unsigned want_version, const char **error_r)
{
	if (info->version < want_version)
		return reason_set(cvd_why, error_r,
				  "%s: version %u, older than the %u its mirror announced", path,
				  info->version, want_version);
	return 0;
}

int cvd_verify(const char *path, const char *certs_dir, unsigned want_version,
	       struct cvd_info *info, const char **error_r)
{
	cl_error_t r;

	if (cvd_file_header(path, info, error_r) < 0)
		return -1;
#ifdef HAVE_CL_CVDVERIFY_EX
	if (certs_dir != NULL)
		return cvd_verify_signed(path, certs_dir, info->version, error_r) < 0
			       ? -1
			       : cvd_check_version(path, info, want_version, error_r);
#else
	(void)certs_dir;
#endif
	r = cl_cvdverify(path);
	if (r != CL_SUCCESS)
		return reason_set(cvd_why, error_r, "%s: verification failed: %s", path,
				  cl_strerror(r));
	return cvd_check_version(path, info, want_version, error_r);
}
