/*
 * cvd.h - ClamAV CVD files through libclamav's public API: the 512-byte
 * header (version, signature count) and full verification.  libclamav
 * 1.4 exports no way to apply a CDIFF, so updates are whole CVDs.  Built
 * against libclamav 1.5+ (HAVE_CL_CVDVERIFY_EX), verification also needs
 * the CVD's detached signature (.cvd.sign, see cvd_sign_name).
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

/* cvd_file_header - the header of the CVD file PATH.  Returns 0, or -1
 * with *error_r. */
int cvd_file_header(const char *path, struct cvd_info *info, const char **error_r);

/*
 * cvd_sign_name - "<DB>-<VERSION>.cvd.sign" into BUF (SIZE bytes): the
 * name of a CVD's detached signature (ClamAV 1.5+) on the mirrors, and
 * beside the CVD, where libclamav looks for it.  Returns 0, or -1 when it
 * does not fit.
 */
int cvd_sign_name(const char *db, unsigned version, char *buf, size_t size);

/*
 * cvd_verify - full verification of the CVD file PATH with libclamav
 * (cl_cvdverify: MD5 and RSA signature against ClamAV's key, and a test
 * load); its version must be WANT_VERSION or newer.  Needs cl_init().
 * CERTS_DIR: NULL checks that header signature only.  Otherwise, in a
 * build against libclamav 1.5+ (HAVE_CL_CVDVERIFY_EX), the detached
 * signature cvd_sign_name(<db>, <version in PATH's header>) must lie
 * beside PATH and verify against the certificates in CERTS_DIR
 * (cl_cvdverify_ex with CL_DB_FIPS_LIMITS, so libclamav does not fall
 * back to the header signature); a 1.4 build ignores CERTS_DIR.
 */
int cvd_verify(const char *path, const char *certs_dir, unsigned want_version,
	       struct cvd_info *info, const char **error_r);

#endif
