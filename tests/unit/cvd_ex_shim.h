/*
 * cvd_ex_shim.h - lets updater/cvd.c be compiled with
 * -DHAVE_CL_CVDVERIFY_EX against libclamav 1.4's header, for
 * test_update_cvdsign: declares what clamav.h of 1.5+ adds and cvd.c uses
 * (cl_cvdverify_ex, CL_DB_FIPS_LIMITS).  The test defines cl_cvdverify_ex
 * itself.  With a 1.5 header (CL_DB_FIPS_LIMITS defined) it adds nothing.
 */
#ifndef MX_TEST_CVD_EX_SHIM_H
#define MX_TEST_CVD_EX_SHIM_H

#include "auto-config.h"

#include <clamav.h>
#include <stdint.h>

#ifndef CL_DB_FIPS_LIMITS
/* A bit 1.4 leaves unused; only its passing through is tested. */
#define CL_DB_FIPS_LIMITS 0x400000
cl_error_t cl_cvdverify_ex(const char *file, const char *certs_directory, uint32_t dboptions);
#endif

#endif
