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

static char minisign_why[256];

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
	unsigned char buf[128];
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
	char line[256];
	unsigned char raw[42];
	int idx = strncmp(text, "untrusted comment:", 18) == 0 ? 1 : 0;

	if (minisign_line(text, idx, line, sizeof(line)) < 0 || minisign_b64(line, raw, 42) < 0) {
		*error_r = "not a minisign public key (bad base64 line)";
		return -1;
	}
	if (raw[0] != 'E' || raw[1] != 'd') {
		*error_r = "not an Ed25519 minisign public key";
		return -1;
	}
	memcpy(key->id, raw + 2, 8);
	memcpy(key->pk, raw + 10, 32);
	return 0;
}

int minisign_sig_parse(const char *text, struct minisign_sig *sig, const char **error_r)
{
	char line[1200];
	unsigned char raw[74];

	if (strncmp(text, "untrusted comment:", 18) != 0) {
		*error_r = "not a minisign signature (no untrusted comment line)";
		return -1;
	}
	if (minisign_line(text, 1, line, sizeof(line)) < 0 || minisign_b64(line, raw, 74) < 0) {
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
	memcpy(sig->id, raw + 2, 8);
	memcpy(sig->sig, raw + 10, 64);
	if (minisign_line(text, 2, line, sizeof(line)) < 0 ||
	    strncmp(line, "trusted comment: ", 17) != 0 ||
	    strlen(line + 17) >= sizeof(sig->trusted)) {
		*error_r = "minisign signature without a trusted comment";
		return -1;
	}
	snprintf(sig->trusted, sizeof(sig->trusted), "%s", line + 17);
	if (minisign_line(text, 3, line, sizeof(line)) < 0 ||
	    minisign_b64(line, sig->global, 64) < 0) {
		*error_r = "minisign signature without a global signature";
		return -1;
	}
	return 0;
}

void minisign_key_id_hex(const unsigned char id[8], char buf[17])
{
	int i;

	for (i = 0; i < 8; i++)
		snprintf(buf + 2 * i, 3, "%02X", id[7 - i]);
}

/* minisign_check - the signature over MSG (the data, or its BLAKE2b-512
 * for a prehashed signature) and the global signature. */
static int minisign_check(const struct minisign_key *keys, size_t n,
			  const struct minisign_sig *sig, const unsigned char *msg, size_t len,
			  const char **error_r)
{
	const struct minisign_key *key = NULL;
	unsigned char global_msg[64 + sizeof(sig->trusted)];
	size_t i, tlen;
	char hex[17];

	for (i = 0; i < n; i++)
		if (memcmp(keys[i].id, sig->id, 8) == 0)
			key = &keys[i];
	if (key == NULL) {
		minisign_key_id_hex(sig->id, hex);
		snprintf(minisign_why, sizeof(minisign_why),
			 "signed by key %s, which is not in update_trusted_keys", hex);
		*error_r = minisign_why;
		return -1;
	}
	if (crypto_sign_verify_detached(sig->sig, msg, len, key->pk) != 0) {
		*error_r = "minisign signature does not match the data";
		return -1;
	}
	tlen = strlen(sig->trusted);
	memcpy(global_msg, sig->sig, 64);
	memcpy(global_msg + 64, sig->trusted, tlen);
	if (crypto_sign_verify_detached(sig->global, global_msg, 64 + tlen, key->pk) != 0) {
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
	unsigned char hash[crypto_generichash_BYTES_MAX], buf[65536], *data = NULL, *grown;
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
			snprintf(minisign_why, sizeof(minisign_why), "reading: %s", strerror(errno));
			*error_r = minisign_why;
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
