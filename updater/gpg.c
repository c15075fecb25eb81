/*
 * gpg.c - detached signature checks with GPGME (see gpg.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "updater/gpg.h"
#include "updater/reason.h"

static __thread char gpg_why[REASON_MAX];

/* gpg_init - GPGME's one-time setup; 0 or -1. */
static int gpg_init(const char **error_r)
{
	static int done;
	gpgme_error_t e;

	if (done)
		return 0;
	gpgme_check_version(NULL);
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
	e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (e != GPG_ERR_NO_ERROR)
		return reason_set(gpg_why, error_r, "GPGME: no usable gpg engine: %s",
				  gpgme_strerror(e));
	done = 1;
	return 0;
}

/* gpg_check - the verdict on RESULT's first signature. */
static int gpg_check(gpgme_verify_result_t result, const char *file,
		     char fpr[GPG_FPR_MAX + 1], const char **error_r)
{
	gpgme_signature_t s = result != NULL ? result->signatures : NULL;

	if (s == NULL)
		return reason_set(gpg_why, error_r, "%s: the signature file holds no signature",
				  file);
	snprintf(fpr, GPG_FPR_MAX + 1, "%s", s->fpr != NULL ? s->fpr : "?");
	if (gpgme_err_code(s->status) == GPG_ERR_NO_PUBKEY)
		return reason_set(gpg_why, error_r,
				  "%s: signed by key %s, which is not in the keyring", file, fpr);
	if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR)
		return reason_set(gpg_why, error_r, "%s: bad signature (%s, key %s)", file,
				  gpgme_strerror(s->status), fpr);
	if (s->summary & (GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
			  GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_RED))
		return reason_set(gpg_why, error_r,
				  "%s: signature by key %s is revoked or expired", file, fpr);
	return 0;
}

int gpg_verify(const char *home, const char *file, const char *sig, char fpr[GPG_FPR_MAX + 1],
	       const char **error_r)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t dsig = NULL, dfile = NULL;
	gpgme_error_t e;
	int fd_sig = -1, fd_file = -1, ret = -1;

	if (gpg_init(error_r) < 0)
		return -1;
	fd_sig = open(sig, O_RDONLY | O_CLOEXEC);
	fd_file = open(file, O_RDONLY | O_CLOEXEC);
	if (fd_sig < 0 || fd_file < 0) {
		reason_set(gpg_why, error_r, "%s: %s", fd_sig < 0 ? sig : file, strerror(errno));
		goto out;
	}
	e = gpgme_new(&ctx);
	if (e == GPG_ERR_NO_ERROR)
		e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home);
	if (e == GPG_ERR_NO_ERROR)
		e = gpgme_data_new_from_fd(&dsig, fd_sig);
	if (e == GPG_ERR_NO_ERROR)
		e = gpgme_data_new_from_fd(&dfile, fd_file);
	if (e != GPG_ERR_NO_ERROR) {
		reason_set(gpg_why, error_r, "GPGME: %s", gpgme_strerror(e));
		goto out;
	}
	gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	e = gpgme_op_verify(ctx, dsig, dfile, NULL);
	if (e != GPG_ERR_NO_ERROR) {
		reason_set(gpg_why, error_r, "%s: signature not checked: %s", file,
			   gpgme_strerror(e));
		goto out;
	}
	ret = gpg_check(gpgme_op_verify_result(ctx), file, fpr, error_r);
out:
	gpgme_data_release(dsig);
	gpgme_data_release(dfile);
	gpgme_release(ctx);
	if (fd_sig >= 0)
		close(fd_sig);
	if (fd_file >= 0)
		close(fd_file);
	return ret;
}
