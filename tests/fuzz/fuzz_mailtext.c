/*
 * fuzz_mailtext.c - libFuzzer target for libclamav's text layout
 * (common/mailtext.c): the output fits MAILTEXT_MAX, holds no CR, ends
 * every line with LF, and as sent holds no NUL and no line over
 * MAILTEXT_LINE_MAX bytes.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mailtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t flags, cap, n, i, line = 0;
	unsigned char *in, *out;

	if (size == 0)
		return 0;
	flags = data[0] & (MAILTEXT_SENT | MAILTEXT_COLLAPSE);
	data++;
	size--;
	cap = MAILTEXT_MAX(size);
	in = malloc(size ? size : 1);
	out = malloc(cap);
	if (in == NULL || out == NULL)
		abort();
	memcpy(in, data, size);
	n = mailtext_lf(in, size, (int)flags, out);
	if (n > cap || (n > 0 && out[n - 1] != '\n') || (size > 0 && n == 0))
		abort();
	for (i = 0; i < n; i++) {
		if (out[i] == '\r' || ((flags & MAILTEXT_SENT) && out[i] == '\0'))
			abort();
		line = out[i] == '\n' ? 0 : line + 1;
		if ((flags & MAILTEXT_SENT) && line > MAILTEXT_LINE_MAX)
			abort();
	}
	free(in);
	free(out);
	return 0;
}
