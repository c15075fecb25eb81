/*
 * fuzz_binhex.c - libFuzzer target for BinHex 4.0 (common/binhex.c):
 * encoded ranges inside the input, run-length expansion within its cap,
 * both forks inside the decoded bytes.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/binhex.h"

#define CAP 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1);
	unsigned char *out = malloc(CAP);
	size_t pos = 0, a, b, n;
	struct binhex_forks f;

	if (in == NULL || out == NULL)
		abort();
	memcpy(in, data, size);
	while (binhex_next(in, size, &pos, size > 0 && data[0] & 1, &a, &b)) {
		if (a > b || b > size || pos > size)
			abort();
		n = binhex_decode((const unsigned char *)in + a, b - a, out, CAP, &f);
		if (n > CAP || (n > 0 && (f.data + f.data_len > n || f.rsrc + f.rsrc_len > n)) ||
		    f.name[sizeof(f.name) - 1] != '\0')
			abort();
	}
	free(in);
	free(out);
	return 0;
}
