/*
 * fuzz_uu.c - libFuzzer target for uuencoded files in text (common/uu.c):
 * every file found lies inside the input, the decoder respects its cap.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/uu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size ? size : 1);
	unsigned char *out = malloc(size / 2 + 1);
	size_t pos = 0, before;
	struct uu_file f;

	if (in == NULL || out == NULL)
		abort();
	memcpy(in, data, size);
	while (uu_next(in, size, &pos, &f)) {
		if (f.data > size || strlen(f.name) >= sizeof(f.name))
			abort();
		before = pos;
		if (uu_decode(in, size, &pos, out, size / 2) > size / 2 || pos < before || pos > size)
			abort();
	}
	free(in);
	free(out);
	return 0;
}
