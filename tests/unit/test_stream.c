/*
 * test_stream - unit tests of common/stream.h on socketpairs: lines with
 * each kind of ending, lines over the maximum (dropped whole, the next
 * line intact, fed in any split), end of file in the middle of a line,
 * the idle time-out and the deadline, blocks, queued output that leaves
 * at a flush or before a read waits, writing everything to a slow reader,
 * a latched write failure that leaves reading possible, and a blocking
 * socket that still keeps its time-out.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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

#include "common/sock.h"
#include "common/stream.h"

/* S - a string literal and its length without the final NUL. */
#define S(lit) (lit), (sizeof(lit) - 1)

/* pair - a connected socketpair; sv[0] is the stream's end. */
static void pair(int sv[2], int nonblock)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0, sv), 0);
}

/* put - write all of BUF to the peer end (blocking until it fits). */
static void put(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			poll(NULL, 0, 1);
			continue;
		}
		assert_true(n > 0);
		buf += n;
		len -= (size_t)n;
	}
}

/* A writer thread: PIECES of DATA every GAP_MS milliseconds, then maybe a close. */
struct drip {
	int fd;
	const char *data;
	size_t len, piece;
	int gap_ms;
	int close_after;
};

static void *drip_run(void *arg)
{
	struct drip *d = arg;
	size_t off = 0;

	while (off < d->len) {
		size_t n = d->len - off < d->piece ? d->len - off : d->piece;

		put(d->fd, d->data + off, n);
		off += n;
		if (d->gap_ms > 0)
			poll(NULL, 0, d->gap_ms);
	}
	if (d->close_after)
		shutdown(d->fd, SHUT_WR);
	return NULL;
}

/* expect_line - the next line is WANT. */
static void expect_line(struct stream *s, size_t max, enum stream_eol eol, const char *want,
			size_t want_len)
{
	const char *err = NULL;
	char *line;
	size_t len;

	assert_int_equal(stream_read_line(s, max, eol, &line, &len, &err), STREAM_OK);
	assert_int_equal(len, want_len);
	assert_memory_equal(line, want, len);
	assert_int_equal(line[len], '\0');
}

/* expect_result - the next line read gives WANT. */
static void expect_result(struct stream *s, size_t max, enum stream_eol eol,
			  enum stream_result want)
{
	const char *err = NULL;
	char *line;
	size_t len;

	assert_int_equal(stream_read_line(s, max, eol, &line, &len, &err), want);
	assert_non_null(err);
}

static void test_lines_lf(void **state)
{
	struct stream s;
	int sv[2];

	(void)state;
	pair(sv, 1);
	stream_init(&s, sv[0], 1000);
	put(sv[1], S("one\r\ntwo\nthree\r\r\n\nNUL\0in\r\nlast"));
	expect_line(&s, 100, STREAM_EOL_LF, S("one"));
	expect_line(&s, 100, STREAM_EOL_LF, S("two"));
	expect_line(&s, 100, STREAM_EOL_LF, S("three"));	/* every CR before the LF goes */
	expect_line(&s, 100, STREAM_EOL_LF, S(""));
	expect_line(&s, 100, STREAM_EOL_LF, S("NUL\0in"));
	assert_int_equal(stream_input_len(&s), 4);
	close(sv[1]);
	expect_result(&s, 100, STREAM_EOL_LF, STREAM_EOF);
	assert_int_equal(stream_input_len(&s), 4);	/* the unfinished line stays */
	stream_free(&s);
	close(sv[0]);
}

static void test_lines_crlf_nul(void **state)
{
	struct stream s;
	int sv[2];

	(void)state;
	pair(sv, 1);
	stream_init(&s, sv[0], 1000);
	put(sv[1], S("bare\nlf\r\n\r\nx\r\r\n"));
	expect_line(&s, 100, STREAM_EOL_CRLF, S("bare\nlf"));
	expect_line(&s, 100, STREAM_EOL_CRLF, S(""));
	expect_line(&s, 100, STREAM_EOL_CRLF, S("x\r"));
	put(sv[1], S("reply one\0\0two\n"));
	expect_line(&s, 100, STREAM_EOL_NUL, S("reply one"));
	expect_line(&s, 100, STREAM_EOL_NUL, S(""));
	close(sv[1]);
	expect_result(&s, 100, STREAM_EOL_NUL, STREAM_EOF);
	assert_int_equal(stream_input_len(&s), 4);
	stream_free(&s);
	close(sv[0]);
}

static void test_eof_at_once(void **state)
{
	struct stream s;
	int sv[2];

	(void)state;
	pair(sv, 1);
	stream_init(&s, sv[0], 1000);
	close(sv[1]);
	expect_result(&s, 100, STREAM_EOL_LF, STREAM_EOF);
	assert_int_equal(stream_input_len(&s), 0);
	stream_free(&s);
	close(sv[0]);
}

static void test_too_long(void **state)
{
	struct stream s;
	char big[5000];
	int sv[2];

	(void)state;
	pair(sv, 1);
	stream_init(&s, sv[0], 1000);
	/* MAX counts the terminator: 9 bytes with the LF pass, 10 do not. */
	put(sv[1], S("12345678\n123456789\nnext\n"));
	expect_line(&s, 9, STREAM_EOL_LF, S("12345678"));
	expect_result(&s, 9, STREAM_EOL_LF, STREAM_TOO_LONG);
	expect_line(&s, 9, STREAM_EOL_LF, S("next"));
	/* Far over, and in many reads: dropped whole, the buffer stays small. */
	memset(big, 'x', sizeof(big));
	put(sv[1], big, sizeof(big));
	put(sv[1], big, sizeof(big));
	put(sv[1], S("\r\nafter\r\n"));
	expect_result(&s, 64, STREAM_EOL_LF, STREAM_TOO_LONG);
	assert_true(s.in.cap <= 64 + 2 * STREAM_READ_SIZE);
	expect_line(&s, 64, STREAM_EOL_LF, S("after"));
	/* CRLF: a CR at the edge of what was dropped still ends the line. */
	{
		struct drip d = {sv[1], "abcdefgh\r\nok\r\n", 14, 9, 100, 0};
		pthread_t t;

		assert_int_equal(pthread_create(&t, NULL, drip_run, &d), 0);
		expect_result(&s, 4, STREAM_EOL_CRLF, STREAM_TOO_LONG);
		expect_line(&s, 4, STREAM_EOL_CRLF, S("ok"));
		pthread_join(t, NULL);
	}
	stream_free(&s);
	close(sv[0]);
	close(sv[1]);
}

/* Any split of the input gives the same lines. */
static void test_splits(void **state)
{
	static const char input[] = "short\r\nthis one is too long\r\n\r\nend\r\n";
	size_t piece;

	(void)state;
	for (piece = 1; piece <= sizeof(input); piece++) {
		struct drip d = {0};
		struct stream s;
		pthread_t t;
		int sv[2];

		pair(sv, 1);
		d.fd = sv[1];
		d.data = input;
		d.len = sizeof(input) - 1;
		d.piece = piece;
		stream_init(&s, sv[0], 2000);
		assert_int_equal(pthread_create(&t, NULL, drip_run, &d), 0);
		expect_line(&s, 10, STREAM_EOL_CRLF, S("short"));
		expect_result(&s, 10, STREAM_EOL_CRLF, STREAM_TOO_LONG);
		expect_line(&s, 10, STREAM_EOL_CRLF, S(""));
		expect_line(&s, 10, STREAM_EOL_CRLF, S("end"));
		pthread_join(t, NULL);
		stream_free(&s);
		close(sv[0]);
		close(sv[1]);
	}
}

static void test_timeouts(void **state)
{
	struct drip d = {0};
	struct stream s;
	long long t0;
	pthread_t t;
	int sv[2];

	(void)state;
	pair(sv, 1);
	/* Idle time-out: nothing comes. */
	stream_init(&s, sv[0], 60);
	t0 = sock_now_ms();
	put(sv[1], S("partial"));
	expect_result(&s, 100, STREAM_EOL_LF, STREAM_TIMEOUT);
	assert_true(sock_now_ms() - t0 >= 55);
	assert_true(sock_now_ms() - t0 < 1000);
	assert_int_equal(stream_input_len(&s), 7);
	/* The idle time-out counts one wait: a line dripping in slower than
	 * that in total, but never idle that long, arrives. */
	stream_set_timeout(&s, 300);
	d.fd = sv[1];
	d.data = "abcdefgh\n";
	d.len = 9;
	d.piece = 1;
	d.gap_ms = 50;
	t0 = sock_now_ms();
	assert_int_equal(pthread_create(&t, NULL, drip_run, &d), 0);
	expect_line(&s, 100, STREAM_EOL_LF, S("partialabcdefgh"));
	pthread_join(t, NULL);
	assert_true(sock_now_ms() - t0 >= 350);
	/* The deadline caps the whole, progress or not. */
	stream_set_deadline(&s, sock_now_ms() + 150);
	t0 = sock_now_ms();
	assert_int_equal(pthread_create(&t, NULL, drip_run, &d), 0);
	expect_result(&s, 100, STREAM_EOL_LF, STREAM_TIMEOUT);
	assert_true(sock_now_ms() - t0 < 2000);	/* (the line alone would come) */
	pthread_join(t, NULL);
	stream_set_deadline(&s, 0);
	expect_line(&s, 100, STREAM_EOL_LF, S("abcdefgh"));
	/* A deadline alone (no idle time-out). */
	stream_set_timeout(&s, 0);
	stream_set_deadline(&s, sock_now_ms() + 50);
	expect_result(&s, 100, STREAM_EOL_LF, STREAM_TIMEOUT);
	stream_free(&s);
	close(sv[0]);
	close(sv[1]);
}

static void test_blocks(void **state)
{
	struct drip d = {0};
	const char *data, *err = NULL;
	char big[100000];
	struct stream s;
	pthread_t t;
	size_t len, i;
	int sv[2];

	(void)state;
	pair(sv, 1);
	stream_init(&s, sv[0], 2000);
	put(sv[1], S("helloworld!"));
	assert_int_equal(stream_read_block(&s, 5, &data, &err), STREAM_OK);
	assert_memory_equal(data, "hello", 5);
	assert_int_equal(stream_read_block(&s, 5, &data, &err), STREAM_OK);
	assert_memory_equal(data, "world", 5);
	/* read_some gives what is buffered and consumes only what it is told. */
	assert_int_equal(stream_read_some(&s, &data, &len, &err), STREAM_OK);
	assert_int_equal(len, 1);
	assert_int_equal(data[0], '!');
	stream_consume(&s, 0);
	assert_int_equal(stream_input_len(&s), 1);
	stream_consume(&s, 1);
	/* A block larger than one read, arriving in pieces. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	d.fd = sv[1];
	d.data = big;
	d.len = sizeof(big);
	d.piece = 3000;
	assert_int_equal(pthread_create(&t, NULL, drip_run, &d), 0);
	assert_int_equal(stream_read_block(&s, sizeof(big), &data, &err), STREAM_OK);
	assert_memory_equal(data, big, sizeof(big));
	pthread_join(t, NULL);
	/* A short block at the end of file stays buffered. */
	put(sv[1], S("abc"));
	shutdown(sv[1], SHUT_WR);
	assert_int_equal(stream_read_block(&s, 4, &data, &err), STREAM_EOF);
	assert_string_equal(err, "connection closed");
	assert_int_equal(stream_input_len(&s), 3);
	assert_int_equal(stream_read_block(&s, 3, &data, &err), STREAM_OK);
	assert_memory_equal(data, "abc", 3);
	assert_int_equal(stream_read_some(&s, &data, &len, &err), STREAM_EOF);
	/* Time-out of a block. */
	stream_free(&s);
	close(sv[0]);
	close(sv[1]);
	pair(sv, 1);
	stream_init(&s, sv[0], 50);
	put(sv[1], S("ab"));
	assert_int_equal(stream_read_block(&s, 3, &data, &err), STREAM_TIMEOUT);
	assert_string_equal(err, "time-out");
	stream_free(&s);
	close(sv[0]);
	close(sv[1]);
}

/* Queued output leaves at a flush, when the queue is full, or before a read waits. */
static void test_write_queue(void **state)
{
	const char *err = NULL;
	char buf[64], *line;
	struct stream s;
	size_t len;
	int sv[2];

	(void)state;
	pair(sv, 1);
	stream_init(&s, sv[0], 1000);
	assert_int_equal(stream_write(&s, S("250-a\r\n"), &err), STREAM_OK);
	assert_int_equal(stream_write(&s, S("250 b\r\n"), &err), STREAM_OK);
	assert_int_equal(stream_output_len(&s), 14);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1);	/* nothing sent yet */
	assert_int_equal(stream_flush(&s, &err), STREAM_OK);
	assert_int_equal(stream_output_len(&s), 0);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), 0), 14);
	assert_memory_equal(buf, "250-a\r\n250 b\r\n", 14);
	assert_int_equal(stream_flush(&s, &err), STREAM_OK);	/* nothing to do */
	/* A read with input at hand does not flush; one that must wait does. */
	put(sv[1], S("pipelined\n"));
	assert_int_equal(stream_write(&s, S("reply\n"), &err), STREAM_OK);
	assert_int_equal(stream_read_line(&s, 100, STREAM_EOL_LF, &line, &len, &err), STREAM_OK);
	assert_int_equal(stream_output_len(&s), 6);
	stream_set_timeout(&s, 50);
	assert_int_equal(stream_read_line(&s, 100, STREAM_EOL_LF, &line, &len, &err),
			 STREAM_TIMEOUT);
	assert_int_equal(stream_output_len(&s), 0);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), 0), 6);
	/* Past STREAM_OUT_MAX the queue and the new bytes go at once. */
	stream_set_timeout(&s, 1000);
	{
		char *big = calloc(1, STREAM_OUT_MAX);

		assert_int_equal(stream_write(&s, S("head"), &err), STREAM_OK);
		assert_int_equal(stream_write(&s, big, STREAM_OUT_MAX, &err), STREAM_OK);
		assert_int_equal(stream_output_len(&s), 0);
		free(big);
	}
	stream_free(&s);
	close(sv[0]);
	close(sv[1]);
}

/* A reader thread that takes SIZE bytes slowly and sums them. */
struct slow_reader {
	int fd;
	size_t size, got;
	unsigned long sum;
};

static void *slow_read(void *arg)
{
	struct slow_reader *r = arg;
	char buf[7000];

	while (r->got < r->size) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			r->sum = r->sum * 31 + (unsigned char)buf[i];
		r->got += (size_t)n;
		poll(NULL, 0, 1);
	}
	return NULL;
}

static void test_write_slow_reader(void **state)
{
	struct slow_reader r = {0};
	size_t total = 3u << 20, off = 0, i;
	char *data = malloc(total);
	unsigned long sum = 0;
	const char *err = NULL;
	struct stream s;
	pthread_t t;
	int sv[2], sndbuf = 4096;

	(void)state;
	for (i = 0; i < total; i++) {
		data[i] = (char)(i * 13 + (i >> 10));
		sum = sum * 31 + (unsigned char)data[i];
	}
	pair(sv, 1);
	sock_nonblock(sv[1], 0);	/* the reader blocks in recv */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	r.fd = sv[1];
	r.size = total;
	assert_int_equal(pthread_create(&t, NULL, slow_read, &r), 0);
	stream_init(&s, sv[0], 5000);
	/* Writes of every size: queued ones and ones past the queue. */
	while (off < total) {
		size_t n = (off / 977) % 3 == 0 ? 100 : (off / 977) % 3 == 1 ? 20000 : 70000;

		if (n > total - off)
			n = total - off;
		assert_int_equal(stream_write(&s, data + off, n, &err), STREAM_OK);
		off += n;
	}
	assert_int_equal(stream_flush(&s, &err), STREAM_OK);
	pthread_join(t, NULL);
	assert_int_equal(r.got, total);
	assert_true(r.sum == sum);
	stream_free(&s);
	close(sv[0]);
	close(sv[1]);
	free(data);
}

/* A write that cannot finish times out, is latched, and reading goes on. */
static void test_write_failures(void **state)
{
	size_t big = 8u << 20;
	char *data = calloc(1, big), *line;
	const char *err = NULL;
	struct stream s;
	long long t0;
	size_t len;
	int sv[2];

	(void)state;
	pair(sv, 1);
	stream_init(&s, sv[0], 0);
	stream_set_deadline(&s, sock_now_ms() + 100);
	t0 = sock_now_ms();
	assert_int_equal(stream_write(&s, data, big, &err), STREAM_TIMEOUT);
	assert_true(sock_now_ms() - t0 < 1000);
	assert_int_equal(stream_write(&s, S("x"), &err), STREAM_TIMEOUT);
	assert_int_equal(stream_flush(&s, &err), STREAM_TIMEOUT);
	assert_string_equal(err, "time-out");
	stream_set_deadline(&s, 0);
	stream_set_timeout(&s, 1000);
	put(sv[1], S("still readable\n"));
	assert_int_equal(stream_read_line(&s, 100, STREAM_EOL_LF, &line, &len, &err), STREAM_OK);
	assert_string_equal(line, "still readable");
	stream_free(&s);
	close(sv[0]);
	close(sv[1]);
	/* A peer gone: EOF, and no SIGPIPE kills the test. */
	pair(sv, 1);
	stream_init(&s, sv[0], 1000);
	close(sv[1]);
	assert_int_equal(stream_write(&s, S("hello"), &err), STREAM_OK);
	assert_int_equal(stream_flush(&s, &err), STREAM_EOF);
	assert_string_equal(err, "connection closed");
	stream_free(&s);
	close(sv[0]);
	free(data);
}

/* A blocking socket keeps its time-outs (every call is MSG_DONTWAIT). */
static void test_blocking_socket(void **state)
{
	const char *err = NULL;
	struct stream s;
	long long t0;
	char *line;
	size_t len;
	int sv[2];

	(void)state;
	pair(sv, 0);
	assert_int_equal(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	stream_init(&s, sv[0], 80);
	put(sv[1], S("a line\n"));
	assert_int_equal(stream_read_line(&s, 100, STREAM_EOL_LF, &line, &len, &err), STREAM_OK);
	assert_string_equal(line, "a line");
	t0 = sock_now_ms();
	assert_int_equal(stream_read_line(&s, 100, STREAM_EOL_LF, &line, &len, &err),
			 STREAM_TIMEOUT);
	assert_true(sock_now_ms() - t0 < 1000);
	stream_free(&s);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_lf),
		cmocka_unit_test(test_lines_crlf_nul),
		cmocka_unit_test(test_eof_at_once),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_splits),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_write_queue),
		cmocka_unit_test(test_write_slow_reader),
		cmocka_unit_test(test_write_failures),
		cmocka_unit_test(test_blocking_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
