/*
 * fuzz_split.c - libFuzzer target for the boundary-discovering splitter
 * (scanner/split.c): segments in order, inside the message, headers
 * before the body, and every boundary a slice of the message.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/split.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = malloc(size ? size : 1);
	struct split s;
	struct split_segment seg;
	size_t last = 0;
	int i, n = 0;

	if (msg == NULL)
		abort();
	memcpy(msg, data, size);
	split_init(&s, msg, size);
	for (i = 0; i < s.n; i++)
		if (s.bnd[i] < msg || s.bnd[i] + s.blen[i] > msg + size || s.blen[i] == 0)
			abort();
	while (split_next(&s, &seg)) {
		if (seg.start < last || seg.start > seg.headers_end || seg.headers_end > seg.body ||
		    seg.body > seg.end || seg.end > size || ++n > (int)size + 1)
			abort();
		last = seg.end;
	}
	free(msg);
	return 0;
}
