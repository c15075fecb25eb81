/*
 * fuzz_mime.c - libFuzzer target for the whole MIMESCAN path
 * (scanner/mime.c): the storm pre-pass, GMime's walk, every reading of
 * each part, the lenient reading (lenient.c, split.c and the decoders)
 * and the raw reading, under small scand_mime_max_* limits.
 *
 * The engine and the verdict cache are stubbed (libclamav is fuzzed
 * upstream): a scan finds "EICAR" anywhere in the bytes it is given.  The
 * target checks that the reply is framed and well formed: every part
 * line parses with common/mimescan.h, the final line agrees with the
 * verdict, and a FOUND verdict names a part line that says FOUND.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/engine.h"
#include "common/mimescan.h"
#include "scanner/bodies.h"
#include "scanner/cache.h"
#include "scanner/mime.h"

static int fuzz_stop(void *arg)
{
	(void)arg;
	return 0;
}

/* fuzz_scan - the stub engine: EICAR anywhere is a virus. */
static enum engine_result fuzz_scan(const void *buf, size_t len, const char **virname_r)
{
	*virname_r = NULL;
	if (len >= 5 && memmem(buf, len, "EICAR", 5) != NULL) {
		*virname_r = "Fuzz.EICAR";
		return ENGINE_VIRUS;
	}
	return ENGINE_CLEAN;
}

enum engine_result engine_scan_mem(const struct engine_db *db, const void *buf, size_t len,
				   int allmatch, struct engine_scan_ctx *ctx,
				   const char **virname_r, const char **error_r)
{
	(void)db;
	(void)allmatch;
	(void)ctx;
	(void)error_r;
	return fuzz_scan(buf, len, virname_r);
}

enum engine_result engine_scan_mem_flat(const struct engine_db *db, const void *buf, size_t len,
					struct engine_scan_ctx *ctx, const char **virname_r,
					const char **error_r)
{
	return engine_scan_mem(db, buf, len, 0, ctx, virname_r, error_r);
}

/* engine_hash_mem - FNV-1a spread over 32 bytes (stands in for SHA-256). */
int engine_hash_mem(const void *buf, size_t len, unsigned char out[32])
{
	const unsigned char *p = buf;
	uint64_t h[4] = {0xcbf29ce484222325ULL, 1, 2, 3};
	size_t i;
	int k;

	for (i = 0; i < len; i++)
		for (k = 0; k < 4; k++)
			h[k] = (h[k] ^ p[i]) * 0x100000001b3ULL + (uint64_t)k;
	memcpy(out, h, 32);
	return 0;
}

int engine_hash_tagged(const char *tag, const void *buf, size_t len, unsigned char out[32])
{
	(void)tag;
	engine_hash_mem(buf, len, out);
	out[0] ^= 0x5a;
	return 0;
}

int cache_enabled(void)
{
	return 1;
}

int cache_lookup(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen, char *sig,
		 size_t size)
{
	(void)key;
	(void)gen;
	(void)sig;
	(void)size;
	return 0;
}

void cache_insert(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen, const char *sig)
{
	(void)key;
	(void)gen;
	(void)sig;
}

void cache_count_hit(void)
{
}

int cache_lookup_facts(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen,
		       char *sig, size_t size, struct buffer *facts)
{
	(void)key;
	(void)gen;
	(void)sig;
	(void)size;
	(void)facts;
	return 0;
}

void cache_insert_facts(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen,
			const char *sig, const char *facts, size_t len)
{
	(void)key;
	(void)gen;
	(void)sig;
	(void)facts;
	(void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static struct generation gen = {.id = 1};
	struct engine_scan_ctx ctx = {.stop = fuzz_stop};
	struct mime_result r;
	struct mimescan_final f;
	struct mimescan_part p;
	const char *err;
	char *msg = malloc(size ? size : 1);
	size_t pos = 0;
	int n, found_line = 0;

	if (!ready) {
		char *o[] = {"scand_mime_max_parts=40", "scand_mime_max_decoded=2m",
			     "scand_mime_max_depth=6", "scand_mime_max_carved=20",
			     "scand_mime_ambiguous_action=flag",
			     /* the flat pass's cut of base64 bodies, on small inputs too */
			     "scand_mime_flat_base64_head=8"};

		if (config_load("/dev/null", o, 6, &err) < 0)
			abort();
		mime_init();
		bodies_init(1 << 20);
		ready = 1;
	}
	if (msg == NULL)
		abort();
	memcpy(msg, data, size);
	mime_scan(msg, size, &gen, &ctx, 0, '\0', 0, &r);
	if (r.len == 0 || r.reply[r.len - 1] != '\0' ||
	    mimescan_parse_reply(r.reply, r.len, '\0', 0, &f, &err) < 0 || f.verdict != r.verdict)
		abort();
	while ((n = mimescan_next_part(r.reply, r.len, '\0', 0, &pos, &p, &err)) > 0)
		found_line |= p.verdict == PROTO_VERDICT_INFECTED;
	if (n < 0 || (r.verdict == PROTO_VERDICT_INFECTED && !found_line))
		abort();
	free(r.reply);
	free(msg);
	return 0;
}
