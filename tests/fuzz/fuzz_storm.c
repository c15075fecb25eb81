/*
 * fuzz_storm.c - libFuzzer target for MIMESCAN's storm pre-pass
 * (scanner/storm.c), which reads untrusted messages before GMime does.
 *
 * The cache and the hash are stubbed: the target checks that every range
 * the pre-pass reports lies inside the message, header block before body,
 * parts in order, and that it never reads outside the input (ASan).  The
 * store of bodies known infected (scanner/bodies.c) is real: a body the
 * pre-pass found is kept, and the loop thread's storm_quick() must then
 * find it (or an earlier part) in the same message.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/engine.h"
#include "scanner/bodies.h"
#include "scanner/storm.h"

int engine_hash_tagged(const char *tag, const void *buf, size_t len, unsigned char out[32])
{
	const unsigned char *p = buf;
	size_t i;

	(void)tag;
	memset(out, 0, 32);
	for (i = 0; i < len; i++)
		out[i % 32] ^= p[i];
	return 0;
}

int cache_lookup(const unsigned char key[CACHE_KEY_SIZE], unsigned long long gen, char *sig,
		 size_t size)
{
	(void)gen;
	if (key[0] != 0x42 || size < 2)
		return 0;
	sig[0] = 'X';
	sig[1] = '\0';
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly SIZE bytes, so ASan sees any read past the end. */
	char *msg = malloc(size ? size : 1);
	struct storm st;
	char sig[64];
	size_t last = 0;
	int i, hit;

	if (msg == NULL)
		return 0;
	if (!bodies_active())
		bodies_init(1 << 20);
	memcpy(msg, data, size);
	hit = storm_check(msg, size, 1, &st, sig, sizeof(sig));
	if (hit >= st.n || st.n > STORM_PARTS_MAX)
		abort();
	for (i = 0; i < st.n; i++) {
		const struct storm_part *p = &st.part[i];

		if (p->hoff < last || p->hoff + p->hlen != p->off || p->off + p->len > size ||
		    p->index < 1 || storm_key(&st, p->off, p->len) == NULL)
			abort();
		last = p->off + p->len;
	}
	if (hit >= 0) {	/* kept by storm_check: the quick look finds it */
		struct storm quick;
		int q = storm_quick(msg, size, 1, &quick, sig, sizeof(sig));

		if (q < 0 || q > hit || quick.part[q].off != st.part[q].off ||
		    quick.part[q].len != st.part[q].len)
			abort();
	}
	free(msg);
	return 0;
}
