/*
 * minisign.c - minisign keys and signatures (see minisign.h).
 */
#include "auto-config.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "updater/minisign.h"
#include "updater/reason.h"

#define MINISIGN_UNTRUSTED "untrusted comment:"
#define MINISIGN_TRUSTED "trusted comment: "
/* The decoded base64 lines: algorithm, key id, then the key or the
 * signature. */
#define MINISIGN_KEY_BLOB (MINISIGN_ALG_LEN + MINISIGN_KEYID_LEN + MINISIGN_PK_LEN)
#define MINISIGN_SIG_BLOB (MINISIGN_ALG_LEN + MINISIGN_KEYID_LEN + MINISIGN_SIG_LEN)
#define MINISIGN_B64_MAX 128		/* more than any blob decodes to */
#define MINISIGN_KEY_LINE_MAX 256
/* A signature file's lines: the trusted comment's is the longest. */
#define MINISIGN_SIG_LINE_MAX (sizeof(MINISIGN_TRUSTED) - 1 + MINISIGN_TRUSTED_MAX)
#define MINISIGN_READ_BLOCK 65536

_Static_assert(MINISIGN_PK_LEN == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key size");
_Static_assert(MINISIGN_SIG_LEN == crypto_sign_BYTES, "Ed25519 signature size");

static __thread char minisign_why[REASON_MAX];

/* minisign_line - copy line INDEX (0-based) of TEXT into BUF without its
 * end of line; -1 when there is no such line or it does not fit. */
static int minisign_line(const char *text, int index, char *buf, size_t size)
{
	const char *p = text, *end;
	size_t n;

	while (index-- > 0) {
		p = strchr(p, '\n');
		if (p == NULL)
			return -1;
		p++;
	}
	end = p + strcspn(p, "\n");
	n = (size_t)(end - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n >= size)
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

/* minisign_b64 - decode exactly WANT bytes of base64 from TEXT. */
static int minisign_b64(const char *text, unsigned char *out, size_t want)
{
	unsigned char buf[MINISIGN_B64_MAX];
	size_t len = 0;

	if (sodium_base642bin(buf, sizeof(buf), text, strlen(text), " \t", &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != want)
		return -1;
	memcpy(out, buf, want);
	return 0;
}

int minisign_key_parse(const char *text, struct minisign_key *key, const char **error_r)
{
	char line[MINISIGN_KEY_LINE_MAX];
	unsigned char raw[MINISIGN_KEY_BLOB];
	int idx = strncmp(text, MINISIGN_UNTRUSTED, strlen(MINISIGN_UNTRUSTED)) == 0 ? 1 : 0;

	if (minisign_line(text, idx, line, sizeof(line)) < 0 ||
	    minisign_b64(line, raw, sizeof(raw)) < 0) {
		*error_r = "not a minisign public key (bad base64 line)";
		return -1;
	}
	if (raw[0] != 'E' || raw[1] != 'd') {
		*error_r = "not an Ed25519 minisign public key";
		return -1;
	}
	memcpy(key->id, raw + MINISIGN_ALG_LEN, sizeof(key->id));
	memcpy(key->pk, raw + MINISIGN_ALG_LEN + sizeof(key->id), sizeof(key->pk));
	return 0;
}

int minisign_sig_parse(const char *text, struct minisign_sig *sig, const char **error_r)
{
	char line[MINISIGN_SIG_LINE_MAX];
	unsigned char raw[MINISIGN_SIG_BLOB];

	if (strncmp(text, MINISIGN_UNTRUSTED, strlen(MINISIGN_UNTRUSTED)) != 0) {
		*error_r = "not a minisign signature (no untrusted comment line)";
		return -1;
	}
	if (minisign_line(text, 1, line, sizeof(line)) < 0 ||
	    minisign_b64(line, raw, sizeof(raw)) < 0) {
		*error_r = "not a minisign signature (bad signature line)";
		return -1;
	}
	if (raw[0] == 'E' && raw[1] == 'd')
		sig->prehashed = 0;
	else if (raw[0] == 'E' && raw[1] == 'D')
		sig->prehashed = 1;
	else {
		*error_r = "unsupported minisign signature algorithm";
		return -1;
	}
	memcpy(sig->id, raw + MINISIGN_ALG_LEN, sizeof(sig->id));
	memcpy(sig->sig, raw + MINISIGN_ALG_LEN + sizeof(sig->id), sizeof(sig->sig));
	if (minisign_line(text, 2, line, sizeof(line)) < 0 ||
	    strncmp(line, MINISIGN_TRUSTED, strlen(MINISIGN_TRUSTED)) != 0 ||
	    strlen(line + strlen(MINISIGN_TRUSTED)) >= sizeof(sig->trusted)) {
		*error_r = "minisign signature without a trusted comment";
		return -1;
	}
	snprintf(sig->trusted, sizeof(sig->trusted), "%s", line + strlen(MINISIGN_TRUSTED));
	if (minisign_line(text, 3, line, sizeof(line)) < 0 ||
	    minisign_b64(line, sig->global, sizeof(sig->global)) < 0) {
		*error_r = "minisign signature without a global signature";
		return -1;
	}
	return 0;
}

void minisign_key_id_hex(const unsigned char id[MINISIGN_KEYID_LEN],
			 char buf[MINISIGN_KEYID_HEX_SIZE])
{
	int i;

	for (i = 0; i < MINISIGN_KEYID_LEN; i++)
		snprintf(buf + 2 * i, 3, "%02X", id[MINISIGN_KEYID_LEN - 1 - i]);
}

/* minisign_check - the signature over MSG (the data, or its BLAKE2b-512
 * for a prehashed signature) and the global signature. */
static int minisign_check(const struct minisign_key *keys, size_t n,
			  const struct minisign_sig *sig, const unsigned char *msg, size_t len,
			  const char **error_r)
{
	const struct minisign_key *key = NULL;
	unsigned char global_msg[sizeof(sig->sig) + sizeof(sig->trusted)];
	size_t i, tlen;
	char hex[MINISIGN_KEYID_HEX_SIZE];

	for (i = 0; i < n; i++)
		if (memcmp(keys[i].id, sig->id, sizeof(sig->id)) == 0)
			key = &keys[i];
	if (key == NULL) {
		minisign_key_id_hex(sig->id, hex);
		return reason_set(minisign_why, error_r,
				  "signed by key %s, which is not in update_trusted_keys", hex);
	}
	if (crypto_sign_verify_detached(sig->sig, msg, len, key->pk) != 0) {
		*error_r = "minisign signature does not match the data";
		return -1;
	}
	tlen = strlen(sig->trusted);
	memcpy(global_msg, sig->sig, sizeof(sig->sig));
	memcpy(global_msg + sizeof(sig->sig), sig->trusted, tlen);
	if (crypto_sign_verify_detached(sig->global, global_msg, sizeof(sig->sig) + tlen,
					key->pk) != 0) {
		*error_r = "minisign global signature (trusted comment) does not match";
		return -1;
	}
	return 0;
}

int minisign_verify(const struct minisign_key *keys, size_t n, const struct minisign_sig *sig,
		    const unsigned char *msg, size_t len, const char **error_r)
{
	unsigned char hash[crypto_generichash_BYTES_MAX];

	if (sodium_init() < 0) {
		*error_r = "libsodium failed to initialise";
		return -1;
	}
	if (sig->prehashed) {
		crypto_generichash(hash, sizeof(hash), msg, len, NULL, 0);
		return minisign_check(keys, n, sig, hash, sizeof(hash), error_r);
	}
	return minisign_check(keys, n, sig, msg, len, error_r);
}

int minisign_verify_fd(const struct minisign_key *keys, size_t n, const struct minisign_sig *sig,
		       int fd, size_t max, const char **error_r)
{
	unsigned char hash[crypto_generichash_BYTES_MAX], buf[MINISIGN_READ_BLOCK];
	unsigned char *data = NULL, *grown;
	crypto_generichash_state st;
	size_t len = 0;
	int ret;

	if (sodium_init() < 0) {
		*error_r = "libsodium failed to initialise";
		return -1;
	}
	crypto_generichash_init(&st, NULL, 0, sizeof(hash));
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			reason_set(minisign_why, error_r, "reading: %s", strerror(errno));
			free(data);
			return -1;
		}
		if (r == 0)
			break;
		if (sig->prehashed) {
			crypto_generichash_update(&st, buf, (unsigned long long)r);
			continue;
		}
		if (len + (size_t)r > max) {
			*error_r = "too large for a legacy (Ed) minisign signature";
			free(data);
			return -1;
		}
		grown = realloc(data, len + (size_t)r);
		if (grown == NULL) {
			*error_r = "out of memory";
			free(data);
			return -1;
		}
		data = grown;
		memcpy(data + len, buf, (size_t)r);
		len += (size_t)r;
	}
	if (sig->prehashed) {
		crypto_generichash_final(&st, hash, sizeof(hash));
		return minisign_check(keys, n, sig, hash, sizeof(hash), error_r);
	}
	ret = minisign_check(keys, n, sig, data != NULL ? data : buf, len, error_r);
	free(data);
	return ret;
}
