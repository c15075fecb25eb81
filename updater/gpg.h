/*
 * gpg.h - detached OpenPGP signatures through GPGME (feeds with
 * verify=gpg, such as Sanesecurity's FILE.sig), checked against the keys
 * in a GnuPG home directory the administrator set up.
 */
#ifndef MX_UPDATE_GPG_H
#define MX_UPDATE_GPG_H

/* The longest fingerprint text kept (a v5 key has 64 hex digits). */
#define GPG_FPR_MAX 64

/*
 * gpg_verify - whether SIG (a detached signature file, binary or armored)
 * is a good signature over FILE by a key in the keyring of HOME (a GnuPG
 * home directory; only read).  Good means: GPGME's status of the first
 * signature is "no error" (the key is in HOME, the signature matches
 * FILE), and neither the key nor the signature is revoked or expired.
 * Owner trust is not required (the keyring is the trust).  Returns 0 with
 * the signer's fingerprint in FPR, or -1 with *error_r (see reason.h).
 */
int gpg_verify(const char *home, const char *file, const char *sig, char fpr[GPG_FPR_MAX + 1],
	       const char **error_r);

#endif
