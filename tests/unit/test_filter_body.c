/*
 * test_filter_body - unit tests of mxscan-filter's DATA reception
 * (wrappers/filter/body.h): the message is stored unstuffed, whatever the
 * client pipelined after the end marker stays in the stream for the next
 * command, a message over the limit is read to its end and not kept, and
 * a client lost in the middle is reported.  (The unstuffing and stuffing
 * machines themselves are tested in test_smtp.)
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

#include "common/stream.h"
#include "wrappers/filter/body.h"

/* S - a string literal and its length without the final NUL. */
#define S(lit) (lit), (sizeof(lit) - 1)

/* receive - body_receive of IN (then the peer closes) with limit MAX. */
static int receive(const char *in, size_t len, size_t max, struct body *b, struct stream *st,
		   int sv[2], enum body_status *status, const char **err)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(write(sv[1], in, len), (ssize_t)len);
	close(sv[1]);
	stream_init(st, sv[0], 1000);
	body_init(b);
	return body_receive(b, st, max, 1 << 20, status, err);
}

static void test_receive_pipelined(void **state)
{
	enum body_status bs;
	const char *err = NULL;
	struct stream st;
	struct body b;
	char head[64], *line;
	size_t len;
	int sv[2];

	(void)state;
	assert_int_equal(receive(S("a\r\n..b\r\n.\r\nQUIT\r\n"), 1000, &b, &st, sv, &bs, &err), 0);
	assert_int_equal(bs, BODY_OK);
	assert_int_equal(b.len, 7);
	assert_int_equal(body_head(&b, head, sizeof(head)), 7);
	assert_string_equal(head, "a\r\n.b\r\n");
	assert_int_equal(stream_read_line(&st, 100, STREAM_EOL_LF, &line, &len, &err), STREAM_OK);
	assert_string_equal(line, "QUIT");
	body_reset(&b);
	stream_free(&st);
	close(sv[0]);
}

static void test_receive_too_big(void **state)
{
	enum body_status bs;
	const char *err = NULL;
	struct stream st;
	struct body b;
	char *line;
	size_t len;
	int sv[2];

	(void)state;
	assert_int_equal(receive(S("0123456789\r\n.\r\nRSET\r\n"), 5, &b, &st, sv, &bs, &err), 0);
	assert_int_equal(bs, BODY_TOO_BIG);
	assert_int_equal(b.len, 0);
	assert_int_equal(stream_read_line(&st, 100, STREAM_EOL_LF, &line, &len, &err), STREAM_OK);
	assert_string_equal(line, "RSET");
	body_reset(&b);
	stream_free(&st);
	close(sv[0]);
}

static void test_receive_lost(void **state)
{
	enum body_status bs;
	const char *err = NULL;
	struct stream st;
	struct body b;
	int sv[2];

	(void)state;
	assert_int_equal(receive(S("a\r\nno end marker\r\n"), 1000, &b, &st, sv, &bs, &err), -1);
	assert_int_equal(bs, BODY_CLIENT);
	assert_string_equal(err, "connection closed");
	body_reset(&b);
	stream_free(&st);
	close(sv[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_receive_pipelined),
		cmocka_unit_test(test_receive_too_big),
		cmocka_unit_test(test_receive_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
