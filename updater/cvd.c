/*
 * cvd.c - CVD headers and verification (see cvd.h).
 */
#include "auto-config.h"

#include <clamav.h>
#include <stdio.h>
#include <string.h>

#include "updater/cvd.h"
#include "updater/reason.h"

/* What a CVD header starts with. */
#define CVD_MAGIC "ClamAV-VDB:"

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

/* cvd_file_info - the header of the CVD file PATH. */
static int cvd_file_info(const char *path, struct cvd_info *info, const char **error_r)
{
	struct cl_cvd *cvd = cl_cvdhead(path);

	if (cvd == NULL)
		return reason_set(cvd_why, error_r, "%s: no valid CVD header", path);
	cvd_fill(cvd, info);
	cl_cvdfree(cvd);
	return 0;
}

int cvd_verify(const char *path, unsigned want_version, struct cvd_info *info,
	       const char **error_r)
{
	cl_error_t r;

	if (cvd_file_info(path, info, error_r) < 0)
		return -1;
	r = cl_cvdverify(path);
	if (r != CL_SUCCESS)
		return reason_set(cvd_why, error_r, "%s: verification failed: %s", path,
				  cl_strerror(r));
	if (info->version < want_version)
		return reason_set(cvd_why, error_r,
				  "%s: version %u, older than the %u its mirror announced", path,
				  info->version, want_version);
	return 0;
}
