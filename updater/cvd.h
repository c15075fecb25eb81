/*
 * cvd.h - ClamAV CVD files through libclamav's public API: the 512-byte
 * header (version, signature count) and full verification.  libclamav
 * 1.4 exports no way to apply a CDIFF, so updates are whole CVDs.
 */
#ifndef MX_UPDATE_CVD_H
#define MX_UPDATE_CVD_H

#include <stddef.h>

#define CVD_HEADER_SIZE 512

struct cvd_info {
	unsigned version;
	unsigned sigs;
};

/* cvd_header_parse - the header in the first LEN (>= CVD_HEADER_SIZE)
 * bytes of BUF.  Returns 0, or -1 with *error_r (see reason.h). */
int cvd_header_parse(const char *buf, size_t len, struct cvd_info *info, const char **error_r);

/*
 * cvd_verify - full verification of the CVD file PATH with libclamav
 * (cl_cvdverify: MD5 and RSA signature against ClamAV's key, and a test
 * load); its version must be WANT_VERSION or newer.  Needs cl_init().
 */
int cvd_verify(const char *path, unsigned want_version, struct cvd_info *info,
	       const char **error_r);

#endif
