/*
 * fuzz_base64.c - libFuzzer target for the lenient base64 decoder and
 * the run finder (common/base64.c): both readings stay within
 * BASE64_DECODED_MAX, runs lie inside the input and move forward.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *in = malloc(size ? size : 1), *out = malloc(BASE64_DECODED_MAX(size));
	size_t pos = 0, a, b, last = 0;

	if (in == NULL || out == NULL)
		abort();
	memcpy(in, data, size);	/* exactly SIZE bytes: ASan sees overreads */
	if (base64_decode(in, size, out, BASE64_PAD_RESTART) > BASE64_DECODED_MAX(size) ||
	    base64_decode(in, size, out, BASE64_PAD_SKIP) > BASE64_DECODED_MAX(size))
		abort();
	(void)base64_inner_pad(in, size);
	while (base64_next_run(in, size, &pos, 8, &a, &b)) {
		if (a < last || a >= b || b > size || pos < b)
			abort();
		last = b;
	}
	free(in);
	free(out);
	return 0;
}
