/*
 * test_filter_body - unit tests of mxscan-filter's DATA handling
 * (wrappers/filter/body.h): the unstuffing machine fed whole, one byte
 * at a time and split at every position gives the same message and
 * stops exactly after the end marker; stuffing doubles a dot at every
 * line start (after any LF) and is undone by unstuffing; body_send adds
 * the header prefix, a missing final CR LF and the marker.
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wrappers/filter/body.h"
#include "wrappers/filter/stream.h"

/* S - a string literal and its length without the final NUL. */
#define S(lit) (lit), (sizeof(lit) - 1)

struct unstuff_case {
	const char *in;
	size_t in_len;
	const char *want;	/* the message */
	size_t want_len;
	size_t used;		/* input bytes up to the end of the marker */
};

static const struct unstuff_case unstuff_cases[] = {
	{S(".\r\n"), S(""), 3},
	{S("a\r\n.\r\n"), S("a\r\n"), 6},
	{S("a\r\n.\r\nMAIL FROM:<>\r\n"), S("a\r\n"), 6},
	{S("..\r\n.\r\n"), S(".\r\n"), 7},
	{S(".x\r\n.\r\n"), S("x\r\n"), 7},
	{S("a\r\n..b\r\n.\r\n"), S("a\r\n.b\r\n"), 11},
	{S("a.\r\n.\r\n"), S("a.\r\n"), 7},
	{S("a\n.\r\n.\r\n"), S("a\n.\r\n"), 8},	/* bare LF ends no line */
	{S("a\r\n.\n.\r\n.\r\n"), S("a\r\n\n.\r\n"), 11},	/* nor ".\n" the data */
	{S("a\r\n.\rb\r\n.\r\n"), S("a\r\n\rb\r\n"), 11},
	{S("a\r\n.\r\r\n.\r\n"), S("a\r\n\r\r\n"), 10},
	{S("a\r\r\n.\r\n"), S("a\r\r\n"), 7},
	{S("\0\r\n.\r\n"), S("\0\r\n"), 6},
	{S("x\r\n.\r\n.\r\n"), S("x\r\n"), 6},
};

/* run - feed IN split into pieces of STEP bytes (0: whole); check the result. */
static void run(const struct unstuff_case *c, size_t first, size_t step)
{
	char *out = malloc(c->in_len + 2), *msg = malloc(c->in_len + 2);
	struct body_unstuffer u;
	size_t off = 0, mlen = 0;
	int done = 0;

	body_unstuffer_init(&u);
	while (!done && off < c->in_len) {
		size_t n = off == 0 && first ? first : step ? step : c->in_len;
		size_t o, used;

		if (n > c->in_len - off)
			n = c->in_len - off;
		used = body_unstuff(&u, c->in + off, n, out, &o, &done);
		assert_true(used == n || done);
		memcpy(msg + mlen, out, o);
		mlen += o;
		off += used;
	}
	if (!done || off != c->used || mlen != c->want_len || memcmp(msg, c->want, mlen) != 0)
		fail_msg("case \"%.*s\" split %zu/%zu: done %d used %zu (want %zu) message \"%.*s\"",
			 (int)c->in_len, c->in, first, step, done, off, c->used, (int)mlen, msg);
	free(out);
	free(msg);
}

static void test_unstuff_splits(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(unstuff_cases) / sizeof(unstuff_cases[0]); i++) {
		const struct unstuff_case *c = &unstuff_cases[i];

		run(c, 0, 0);
		run(c, 0, 1);
		for (k = 1; k < c->in_len; k++)
			run(c, k, c->in_len);
	}
}

static void test_unstuff_incomplete(void **state)
{
	struct body_unstuffer u;
	char out[16];
	size_t o;
	int done;

	(void)state;
	body_unstuffer_init(&u);
	assert_int_equal(body_unstuff(&u, S("a\r\n.\r"), out, &o, &done), 5);
	assert_false(done);
	assert_int_equal(o, 3);
	assert_int_equal(body_unstuff(&u, S("x"), out, &o, &done), 1);	/* not the marker */
	assert_false(done);
	assert_int_equal(o, 2);
	assert_memory_equal(out, "\rx", 2);
}

static void test_stuff(void **state)
{
	char out[64];
	size_t n;
	int bol = 1;

	(void)state;
	n = body_stuff(S(".a\r\n.\r\nb.\n.c"), out, &bol);
	assert_int_equal(n, 15);
	assert_memory_equal(out, "..a\r\n..\r\nb.\n..c", 15);
	bol = 1;
	n = body_stuff(S("x\r\n"), out, &bol);
	assert_true(bol);
	n = body_stuff(S("."), out, &bol);	/* across calls */
	assert_int_equal(n, 2);
	assert_false(bol);
}

/* A random CR LF message survives stuffing plus unstuffing, split anywhere. */
static void test_roundtrip(void **state)
{
	static const char alphabet[] = ".\r\n.x";
	unsigned seed = 1;
	int round;

	(void)state;
	for (round = 0; round < 300; round++) {
		char msg[256], stuffed[600], out[600], back[600];
		size_t len = 0, slen, o, used, off = 0, blen = 0;
		struct body_unstuffer u;
		int bol = 1, done = 0;

		while (len < 200) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 7 == 0) {
				msg[len++] = '\r';
				msg[len++] = '\n';
			} else {
				char c = alphabet[(seed >> 16) % 5];

				if (c == '\n' || (c == '\r' && len > 0 && msg[len - 1] == '\r'))
					c = 'y';	/* CR LF only ends lines */
				msg[len++] = c;
			}
		}
		if (msg[len - 1] == '\r')
			msg[len - 1] = 'z';
		memcpy(msg + len, "\r\n", 2);
		len += 2;
		slen = body_stuff(msg, len, stuffed, &bol);
		memcpy(stuffed + slen, ".\r\n", 3);
		slen += 3;
		body_unstuffer_init(&u);
		while (!done) {
			size_t step = 1 + (size_t)(round % 13);

			if (step > slen - off)
				step = slen - off;
			used = body_unstuff(&u, stuffed + off, step, out, &o, &done);
			memcpy(back + blen, out, o);
			blen += o;
			off += used;
			assert_true(off <= slen);
		}
		assert_int_equal(off, slen);
		assert_int_equal(blen, len);
		assert_memory_equal(back, msg, len);
	}
}

/* send_bytes - what body_send writes for BODY with PREFIX. */
static size_t send_bytes(const char *body, size_t len, const char *prefix, char *dst, size_t size)
{
	struct stream st;
	struct body b;
	const char *err = NULL;
	int sv[2];
	ssize_t n;
	size_t got = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	body_init(&b);
	assert_int_equal(body_set(&b, body, len, &err), 0);
	stream_init(&st, sv[0], 1000);
	assert_int_equal(body_send(&b, prefix, &st, &err), 0);
	close(sv[0]);
	while ((n = read(sv[1], dst + got, size - got)) > 0)
		got += (size_t)n;
	close(sv[1]);
	body_reset(&b);
	return got;
}

static void test_send(void **state)
{
	char out[256];
	size_t n;

	(void)state;
	n = send_bytes(S(".a\r\nb\r\n"), NULL, out, sizeof(out));
	assert_int_equal(n, 11);
	assert_memory_equal(out, "..a\r\nb\r\n.\r\n", 11);
	n = send_bytes(S("no final line end"), "X-A: 1\r\n", out, sizeof(out));
	assert_int_equal(n, 8 + 17 + 2 + 3);
	assert_memory_equal(out, "X-A: 1\r\nno final line end\r\n.\r\n", n);
	n = send_bytes("", 0, NULL, out, sizeof(out));
	assert_int_equal(n, 3);
	assert_memory_equal(out, ".\r\n", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unstuff_splits),
		cmocka_unit_test(test_unstuff_incomplete),
		cmocka_unit_test(test_stuff),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_send),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
