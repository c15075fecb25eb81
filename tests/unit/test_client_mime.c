/*
 * test_client_mime - unit tests of common/client_mime.h (the incremental
 * MIMESCAN) against fake scanners on UNIX sockets, each a thread that
 * accepts one connection, de-chunks what it gets and answers as told:
 * the message arrives whole as zMIMESCAN chunks and its verdict is read;
 * a scanner that dies mid-stream, hangs, or answers a temporary error
 * makes the kept copy go to the next endpoint (from memory, and from the
 * spool file past the memory limit) within one deadline; a scanner that
 * refuses the stream early (size limit) gives that verdict and nothing
 * more is sent; with no scanner at all the result is a temporary
 * failure; with none at the start but one at the end, the copy is
 * scanned; with a single endpoint no copy is kept.
 */
#include "auto-config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/buffer.h"
#include "common/client.h"
#include "common/client_mime.h"
#include "common/sock.h"

enum fake_mode {
	FAKE_ANSWER,		/* read to the terminator, then send reply */
	FAKE_DIE,		/* read die_after bytes, close without a reply */
	FAKE_HANG,		/* read die_after bytes, then neither read nor answer */
	FAKE_REFUSE,		/* read die_after bytes, answer reply, close */
};

struct fake {
	char path[108];
	char endpoint[128];
	int lfd;
	enum fake_mode mode;
	size_t die_after;
	const char *reply;	/* with its NUL */
	pthread_t thread;
	int connections;
	struct buffer got;	/* de-chunked payload */
	char command[32];
	int terminated;
	volatile int stop;
};

static char dir[64];

/* fake_read - exactly N bytes, or -1. */
static int fake_read(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->lfd, NULL, NULL);
	size_t i = 0;
	char c;

	if (fd < 0)
		return NULL;
	f->connections++;
	while (i + 1 < sizeof(f->command) && fake_read(fd, &c, 1) == 0 && c != '\0')
		f->command[i++] = c;
	for (;;) {
		unsigned char hdr[4];
		uint32_t len;
		char *dst;

		if ((f->mode != FAKE_ANSWER) && buffer_len(&f->got) >= f->die_after)
			break;
		if (fake_read(fd, hdr, 4) < 0)
			break;
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		if (len == 0) {
			f->terminated = 1;
			break;
		}
		dst = buffer_reserve(&f->got, len);
		if (fake_read(fd, dst, len) < 0)
			break;
		buffer_commit(&f->got, len);
	}
	if (f->mode == FAKE_ANSWER || f->mode == FAKE_REFUSE)
		(void)!send(fd, f->reply, strlen(f->reply) + 1, MSG_NOSIGNAL);
	if (f->mode == FAKE_HANG)
		while (!f->stop)
			usleep(10000);
	close(fd);
	return NULL;
}

/* fake_start - a fake scanner number N. */
static void fake_start(struct fake *f, int n, enum fake_mode mode, size_t die_after,
		       const char *reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s/s%d", dir, n);
	snprintf(f->endpoint, sizeof(f->endpoint), "unix:%s", f->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	unlink(f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	f->mode = mode;
	f->die_after = die_after;
	f->reply = reply;
	assert_int_equal(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

/* fake_stop - end the thread (a thread still in accept is woken by a connect). */
static void fake_stop(struct fake *f)
{
	f->stop = 1;
	if (f->connections == 0) {
		const char *err;
		int is_unix, s = sock_connect(f->endpoint, 1000, &is_unix, &err);

		if (s >= 0)
			close(s);
	}
	pthread_join(f->thread, NULL);
	close(f->lfd);
	unlink(f->path);
}

/* message - LEN bytes of a recognisable pattern. */
static char *message(size_t len)
{
	char *m = malloc(len);
	size_t i;

	for (i = 0; i < len; i++)
		m[i] = (char)('a' + (i * 7 + i / 251) % 26);
	return m;
}

/* stream - write M (LEN bytes) in pieces of PIECE. */
static void stream(struct client_mime *cm, const char *m, size_t len, size_t piece)
{
	size_t off;
	const char *err;

	for (off = 0; off < len; off += piece)
		(void)client_mime_write(cm, m + off, len - off < piece ? len - off : piece, &err);
}

static int spool_empty(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "mimescan.", 9) == 0)
			n++;
	closedir(d);
	return n == 0;
}

static struct client_options options(const char **eps, int timeout_ms)
{
	struct client_options o = {.endpoints = eps, .connect_timeout_ms = 1000,
				   .timeout_ms = timeout_ms, .mode = CLIENT_MODE_STREAM};

	return o;
}

/* test_stream_clean - the message arrives whole, in order, as zMIMESCAN. */
static void test_stream_clean(void **state)
{
	struct fake f;
	const char *eps[2];
	size_t len = 300000;
	char *m = message(len), reply[4096];
	struct client_result res;
	struct client_options o;
	struct client_mime *cm;

	fake_start(&f, 1, FAKE_ANSWER, 0, "1 text/plain - OK\nstream: OK");
	eps[0] = f.endpoint;
	eps[1] = NULL;
	o = options(eps, 10000);
	cm = client_mime_open(&o, 0, 1024, dir);
	stream(cm, m, len, 4000);
	assert_int_equal(client_mime_finish(cm, reply, sizeof(reply), &res), CLIENT_CLEAN);
	assert_int_equal(client_mime_bytes(cm), len);
	client_mime_free(&cm);
	assert_null(cm);
	fake_stop(&f);
	assert_string_equal(f.command, "zMIMESCAN");
	assert_true(f.terminated);
	assert_int_equal(buffer_len(&f.got), len);
	assert_memory_equal(buffer_data(&f.got), m, len);
	assert_true(spool_empty());	/* one endpoint: no copy kept */
	buffer_free(&f.got);
	free(m);
}

/* run_failover - the first scanner fails as MODE after DIE_AFTER bytes; the second gets it all. */
static void run_failover_as(enum fake_mode mode, const char *first_reply, size_t memory_max,
			    int facts)
{
	struct fake a, b;
	const char *eps[3];
	size_t len = 200000;
	char *m = message(len), reply[4096];
	struct client_result res;
	struct client_options o;
	struct client_mime *cm;
	long long t0;

	fake_start(&a, 1, mode, mode == FAKE_ANSWER ? 0 : 70000, first_reply);
	fake_start(&b, 2, FAKE_ANSWER, 0, "1 application/octet-stream \"x.com\" Worm.X FOUND\n"
		   "stream: Worm.X FOUND");
	eps[0] = a.endpoint;
	eps[1] = b.endpoint;
	eps[2] = NULL;
	o = options(eps, 3000);
	t0 = sock_now_ms();
	cm = client_mime_open(&o, facts, memory_max, dir);
	stream(cm, m, len, 8192);
	assert_int_equal(client_mime_finish(cm, reply, sizeof(reply), &res), CLIENT_INFECTED);
	assert_string_equal(res.detail, "Worm.X");
	assert_string_equal(res.endpoint, b.endpoint);
	/* one deadline: a hung first scanner gets half of it, the next one the rest */
	assert_true(sock_now_ms() - t0 < 3000 + 1000);
	assert_true(spool_empty());	/* the spool file was unlinked at once */
	client_mime_free(&cm);
	fake_stop(&a);
	fake_stop(&b);
	assert_int_equal(buffer_len(&b.got), len);
	assert_memory_equal(buffer_data(&b.got), m, len);
	assert_true(b.terminated);
	/* the live request and the replay ask the same command */
	assert_string_equal(a.command, facts ? "zMIMEFACTS" : "zMIMESCAN");
	assert_string_equal(b.command, facts ? "zMIMEFACTS" : "zMIMESCAN");
	buffer_free(&a.got);
	buffer_free(&b.got);
	free(m);
}

static void run_failover(enum fake_mode mode, const char *first_reply, size_t memory_max)
{
	run_failover_as(mode, first_reply, memory_max, 0);
}

/* test_failover_facts - a MIMEFACTS (a mail policy's) is replayed as MIMEFACTS. */
static void test_failover_facts(void **state)
{
	run_failover_as(FAKE_DIE, "", 1 << 20, 1);
}

static void test_failover_dies(void **state)
{
	run_failover(FAKE_DIE, "", 1 << 20);
}

static void test_failover_dies_spooled(void **state)
{
	run_failover(FAKE_DIE, "", 1000);	/* the copy is a spool file */
}

static void test_failover_hangs(void **state)
{
	run_failover(FAKE_HANG, "", 4096);
}

static void test_failover_tempfail_reply(void **state)
{
	/* an unreadable answer is a temporary failure: the next one is asked */
	run_failover(FAKE_ANSWER, "garbage without a verdict", 1 << 20);
}

/*
 * run_early - a 2 MB message to scanner A, which answers REPLY_A after
 * 100 kB and closes, with B (answering OK) behind it: the request ends
 * with WANT from A, or (REPLAYED) with the whole message replayed to B.
 */
static void run_early(const char *reply_a, enum client_status want, int replayed)
{
	struct fake a, b;
	const char *eps[3];
	size_t len = 2000000;
	char *m = message(len), reply[4096];
	struct client_result res;
	struct client_options o;
	struct client_mime *cm;

	fake_start(&a, 1, FAKE_REFUSE, 100000, reply_a);
	fake_start(&b, 2, FAKE_ANSWER, 0, "stream: OK");
	eps[0] = a.endpoint;
	eps[1] = b.endpoint;
	eps[2] = NULL;
	o = options(eps, 5000);
	cm = client_mime_open(&o, 0, 1 << 20, dir);
	stream(cm, m, len, 65536);
	assert_int_equal(client_mime_finish(cm, reply, sizeof(reply), &res), want);
	assert_string_equal(res.endpoint, replayed ? b.endpoint : a.endpoint);
	client_mime_free(&cm);
	fake_stop(&a);
	if (!replayed)	/* before fake_stop, whose wake-up connects */
		assert_int_equal(b.connections, 0);	/* never asked */
	fake_stop(&b);
	assert_true(buffer_len(&a.got) < len);	/* A never had it all */
	if (replayed) {
		assert_int_equal(b.connections, 1);
		assert_int_equal(buffer_len(&b.got), len);	/* the whole message */
		assert_true(b.terminated);
	}
	buffer_free(&a.got);
	buffer_free(&b.got);
	free(m);
}

/* test_early_refusal - a scanner that refuses mid-stream gives the verdict. */
static void test_early_refusal(void **state)
{
	(void)state;
	run_early("INSTREAM size limit exceeded. ERROR", CLIENT_LIMIT, 0);
}

/*
 * test_early_clean_untrusted - a scanner that answers OK while the message
 * is still being written cannot have seen it all: that answer is not
 * taken, the kept copy goes to the next scanner.
 */
static void test_early_clean_untrusted(void **state)
{
	(void)state;
	run_early("stream: OK", CLIENT_CLEAN, 1);
}

/*
 * test_early_clean_buffer - the same for a plain INSTREAM of a buffer: with
 * no second scanner, an OK before the whole stream was sent is a
 * temporary failure, never clean.
 */
static void test_early_clean_buffer(void **state)
{
	struct fake a;
	const char *eps[2];
	size_t len = 2000000;
	char *m = message(len);
	struct client_result res;
	struct client_options o;

	(void)state;
	fake_start(&a, 1, FAKE_REFUSE, 100000, "stream: OK");
	eps[0] = a.endpoint;
	eps[1] = NULL;
	o = options(eps, 5000);
	assert_int_equal(client_scan_buffer(&o, m, len, &res), CLIENT_TEMPFAIL);
	fake_stop(&a);
	assert_true(buffer_len(&a.got) < len);
	buffer_free(&a.got);
	free(m);
}

/* test_nothing_reachable - no scanner: a temporary failure naming the reason. */
static void test_nothing_reachable(void **state)
{
	char ep[128], reply[256];
	const char *eps[2] = {ep, NULL};
	struct client_result res;
	struct client_options o = options(eps, 1000);
	struct client_mime *cm;

	snprintf(ep, sizeof(ep), "unix:%s/nobody", dir);
	cm = client_mime_open(&o, 0, 1024, dir);
	stream(cm, "hello", 5, 5);
	assert_int_equal(client_mime_finish(cm, reply, sizeof(reply), &res), CLIENT_TEMPFAIL);
	assert_true(res.detail[0] != '\0');
	client_mime_free(&cm);
	client_mime_free(&cm);	/* NULL is a no-op */
}

/* test_late_scanner - none reachable at open, one up by the end: the copy is scanned. */
static void test_late_scanner(void **state)
{
	struct fake f;
	const char *eps[2];
	char reply[256];
	struct client_result res;
	struct client_options o;
	struct client_mime *cm;

	snprintf(f.endpoint, sizeof(f.endpoint), "unix:%s/s7", dir);
	eps[0] = f.endpoint;
	eps[1] = NULL;
	o = options(eps, 5000);
	cm = client_mime_open(&o, 0, 1 << 20, dir);
	stream(cm, "Subject: x\r\n\r\nbody\r\n", 20, 7);
	fake_start(&f, 7, FAKE_ANSWER, 0, "stream: OK");
	assert_int_equal(client_mime_finish(cm, reply, sizeof(reply), &res), CLIENT_CLEAN);
	client_mime_free(&cm);
	fake_stop(&f);
	assert_int_equal(buffer_len(&f.got), 20);
	assert_memory_equal(buffer_data(&f.got), "Subject: x\r\n\r\nbody\r\n", 20);
	buffer_free(&f.got);
}

/* test_single_dies - one endpoint that dies mid-stream: no copy, a temporary failure. */
static void test_single_dies(void **state)
{
	struct fake f;
	const char *eps[2];
	size_t len = 300000;
	char *m = message(len), reply[256];
	struct client_result res;
	struct client_options o;
	struct client_mime *cm;
	const char *err = NULL;
	int r = 0;
	size_t off;

	fake_start(&f, 1, FAKE_DIE, 50000, "");
	eps[0] = f.endpoint;
	eps[1] = NULL;
	o = options(eps, 3000);
	cm = client_mime_open(&o, 0, 1 << 20, dir);
	for (off = 0; off < len && r == 0; off += 10000)
		r = client_mime_write(cm, m + off, 10000, &err);
	assert_int_equal(r, -1);	/* the caller learns it can stop */
	assert_int_equal(client_mime_finish(cm, reply, sizeof(reply), &res), CLIENT_TEMPFAIL);
	client_mime_free(&cm);
	fake_stop(&f);
	buffer_free(&f.got);
	free(m);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_client_mime.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_clean),
		cmocka_unit_test(test_failover_dies),
		cmocka_unit_test(test_failover_dies_spooled),
		cmocka_unit_test(test_failover_hangs),
		cmocka_unit_test(test_failover_tempfail_reply),
		cmocka_unit_test(test_failover_facts),
		cmocka_unit_test(test_early_refusal),
		cmocka_unit_test(test_early_clean_untrusted),
		cmocka_unit_test(test_early_clean_buffer),
		cmocka_unit_test(test_nothing_reachable),
		cmocka_unit_test(test_late_scanner),
		cmocka_unit_test(test_single_dies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
