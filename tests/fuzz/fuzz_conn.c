/*
 * fuzz_conn - libFuzzer target for mxscand's connection state machine
 * (scanner/conn.c with the real command table and loop, jobs stubbed by
 * tests/unit/conn_harness.c).  The input is a client's conversation: the
 * first byte picks whether jobs are held back (a full queue) and the
 * piece size; then the bytes are sent in pieces, some with a passed
 * descriptor, and the client half-closes.  Beyond the sanitizers' checks
 * it asserts that every reply is terminated and that the server closes
 * once the client has gone and every job is done.
 */
#include "auto-config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buffer.h"
#include "common/config.h"
#include "common/log.h"
#include "tests/unit/conn_harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *opts[] = {"scand_stream_max_length=64k", "scand_max_pending_reply=4k"};
	const char *err = NULL;

	(void)argc;
	(void)argv;
	log_init("fuzz_conn", 0);
	if (config_load("/dev/null", opts, 2, &err) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer out = BUFFER_INIT;
	struct harness h;
	size_t piece, off = 1;
	int devnull;

	if (size < 1)
		return 0;
	harness_start(&h);
	h.settle_ms = 0;
	h.hold = data[0] & 1;
	piece = (size_t)(data[0] >> 1) * 7 + 1;
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;
		/* a piece starting with 0xfd carries a descriptor */
		int fd = data[off] == 0xfd ? devnull : -1;

		harness_send(&h, data + off, n, fd);
		harness_settle(&h);
		off += n;
	}
	harness_shut(&h);
	harness_settle(&h);
	harness_read(&h, &out);
	harness_release(&h);
	harness_read(&h, &out);
	/* every reply is whole: the last byte is a terminator */
	if (buffer_len(&out) > 0) {
		char last = buffer_data(&out)[buffer_len(&out) - 1];

		if (last != '\0' && last != '\n')
			abort();
	}
	close(h.client);
	h.client = -1;
	harness_settle(&h);
	if (!h.closed)
		abort();
	buffer_free(&out);
	close(devnull);
	harness_stop(&h);
	return 0;
}
