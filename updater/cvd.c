/*
 * cvd.c - CVD headers and verification (see cvd.h).
 */
#include "auto-config.h"

#include <clamav.h>
#include <stdio.h>
#include <string.h>

#include "updater/cvd.h"

static char cvd_why[512];

/* cvd_fill - copy libclamav's header struct. */
static void cvd_fill(const struct cl_cvd *cvd, struct cvd_info *info)
{
	info->version = cvd->version;
	info->sigs = cvd->sigs;
	info->flevel = cvd->fl;
	info->stime = (long long)cvd->stime;
}

int cvd_header_parse(const char *buf, size_t len, struct cvd_info *info, const char **error_r)
{
	char head[CVD_HEADER_SIZE + 1];
	struct cl_cvd *cvd;

	if (len < CVD_HEADER_SIZE || strncmp(buf, "ClamAV-VDB:", 11) != 0) {
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

int cvd_file_info(const char *path, struct cvd_info *info, const char **error_r)
{
	struct cl_cvd *cvd = cl_cvdhead(path);

	if (cvd == NULL) {
		snprintf(cvd_why, sizeof(cvd_why), "%s: no valid CVD header", path);
		*error_r = cvd_why;
		return -1;
	}
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
	if (r != CL_SUCCESS) {
		snprintf(cvd_why, sizeof(cvd_why), "%s: verification failed: %s", path,
			 cl_strerror(r));
		*error_r = cvd_why;
		return -1;
	}
	if (info->version < want_version) {
		snprintf(cvd_why, sizeof(cvd_why),
			 "%s: version %u, older than the %u its mirror announced", path,
			 info->version, want_version);
		*error_r = cvd_why;
		return -1;
	}
	return 0;
}
