/*
 * fuzz_yenc.c - libFuzzer target for yEnc files in text (common/yenc.c):
 * ranges inside the input, the output never longer than the data.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/yenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1);
	unsigned char *out = malloc(size ? size : 1);
	size_t pos = 0, before;
	struct yenc_file f;

	if (in == NULL || out == NULL)
		abort();
	memcpy(in, data, size);
	for (before = 0; yenc_next(in, size, &pos, &f); before = pos) {
		if (f.data > f.end || f.end > size || pos <= before)
			abort();
		if (yenc_decode((const unsigned char *)in + f.data, f.end - f.data, out) > f.end - f.data)
			abort();
	}
	free(in);
	free(out);
	return 0;
}
