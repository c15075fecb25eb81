/*
 * fuzz_qp.c - libFuzzer target for the lenient quoted-printable decoder
 * (common/qp.c): the output never exceeds the input.
 */
#include "auto-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/qp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *in = malloc(size ? size : 1), *out = malloc(size ? size : 1);

	if (in == NULL || out == NULL)
		abort();
	memcpy(in, data, size);
	if (qp_decode(in, size, out) > size)
		abort();
	(void)qp_looks_encoded(in, size, 4);
	free(in);
	free(out);
	return 0;
}
