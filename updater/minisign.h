/*
 * minisign.h - minisign public keys and signatures, verified with
 * libsodium, so sites sign bundles with the standard minisign tool.
 *
 * Key: an "untrusted comment:" line, then base64 of "Ed" | key id (8) |
 * Ed25519 public key (32).  Signature: an "untrusted comment:" line,
 * base64 of "Ed" or "ED" | key id (8) | signature (64), a "trusted
 * comment: " line, base64 of the global signature (64) over signature ||
 * trusted comment.  "ED" signs the BLAKE2b-512 of the data (minisign's
 * default since 0.11), "Ed" the data itself.
 */
#ifndef MX_UPDATE_MINISIGN_H
#define MX_UPDATE_MINISIGN_H

#include <stddef.h>

#define MINISIGN_ALG_LEN 2		/* "Ed" or "ED" */
#define MINISIGN_KEYID_LEN 8
#define MINISIGN_PK_LEN 32		/* an Ed25519 public key */
#define MINISIGN_SIG_LEN 64		/* an Ed25519 signature */
#define MINISIGN_TRUSTED_MAX 1024	/* room for a trusted comment */
/* A key id as minisign prints it: 16 hex digits. */
#define MINISIGN_KEYID_HEX_SIZE (2 * MINISIGN_KEYID_LEN + 1)

struct minisign_key {
	unsigned char id[MINISIGN_KEYID_LEN];
	unsigned char pk[MINISIGN_PK_LEN];
};

struct minisign_sig {
	int prehashed;			/* "ED" */
	unsigned char id[MINISIGN_KEYID_LEN];
	unsigned char sig[MINISIGN_SIG_LEN];
	char trusted[MINISIGN_TRUSTED_MAX]; /* the trusted comment, after "trusted comment: " */
	unsigned char global[MINISIGN_SIG_LEN];
};

/* minisign_key_parse - a key from TEXT (the .pub file's contents, or just
 * its base64 line).  Returns 0 or -1 with *error_r (see reason.h). */
int minisign_key_parse(const char *text, struct minisign_key *key, const char **error_r);

/* minisign_sig_parse - a signature from TEXT (the .minisig contents). */
int minisign_sig_parse(const char *text, struct minisign_sig *sig, const char **error_r);

/*
 * minisign_verify - 0 when SIG is a valid signature of MSG (LEN bytes)
 * by the key among KEYS (N of them) whose id it names, global signature
 * included; -1 with *error_r otherwise.
 */
int minisign_verify(const struct minisign_key *keys, size_t n, const struct minisign_sig *sig,
		    const unsigned char *msg, size_t len, const char **error_r);

/*
 * minisign_verify_fd - minisign_verify() of the whole file FD, streamed
 * for prehashed ("ED") signatures; a legacy ("Ed") one needs the data in
 * memory and is refused beyond MAX bytes.
 */
int minisign_verify_fd(const struct minisign_key *keys, size_t n, const struct minisign_sig *sig,
		       int fd, size_t max, const char **error_r);

/* minisign_key_id_hex - the id as minisign prints it (upper-case hex
 * digits, byte order reversed) into BUF. */
void minisign_key_id_hex(const unsigned char id[MINISIGN_KEYID_LEN],
			 char buf[MINISIGN_KEYID_HEX_SIZE]);

#endif
