/*
 * test_conn - unit tests of scanner/conn.c, table-driven: bytes a client
 * sends (in the pieces given, with descriptors where given) must give
 * exactly the reply bytes, the jobs (kind, scan, id, data) and the close
 * or keep-open that clamd's protocol prescribes.  Runs the real
 * connection, loop and command table over a socketpair (conn_harness.c).
 */
#include "auto-config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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

#include "common/buffer.h"
#include "common/config.h"
#include "common/sock.h"
#include "scanner/conn.h"
#include "tests/unit/conn_harness.h"

#define PIECES_MAX 8
#define JOBS_MAX 4

struct piece {
	const char *data;
	size_t len;
	int with_fd;		/* pass a descriptor (of /dev/null) with it */
};

struct want_job {
	enum job_kind kind;
	enum job_scan scan;
	unsigned id;
	const char *data;
	size_t len;
};

struct row {
	const char *name;
	struct piece in[PIECES_MAX];
	int shut;		/* half-close after the pieces */
	const char *reply;
	size_t reply_len;
	int closed;		/* the server closes its end */
	struct want_job jobs[JOBS_MAX];
	int njobs;
};

#define P(lit) {(lit), sizeof(lit) - 1, 0}
#define PFD(lit) {(lit), sizeof(lit) - 1, 1}
#define R(lit) (lit), (sizeof(lit) - 1)
#define J(kind, scan, id, lit) {(kind), (scan), (id), (lit), sizeof(lit) - 1}
#define Z "\0"
/* INSTREAM chunk headers */
#define C5 "\0\0\0\5"
#define C6 "\0\0\0\6"
#define C0 "\0\0\0\0"

static const struct row rows[] = {
	{"z PING: answer, then close", {P("zPING" Z)}, 0, R("PONG" Z), 1, {{0}}, 0},
	{"n PING", {P("nPING\n")}, 0, R("PONG\n"), 1, {{0}}, 0},
	{"old style PING at the start", {P("PING\n")}, 0, R("PONG\n"), 1, {{0}}, 0},
	{"INSTREAM: chunks, then a zero length; one job", {P("zINSTREAM" Z C5 "hello" C6 " world" C0)},
	 0, R("stream: OK" Z), 1, {J(JOB_STREAM_MEM, JOB_INSTREAM, 0, "hello world")}, 1},
	{"INSTREAM in pieces, the lengths split", {P("zINSTREAM" Z "\0\0"), P("\0\5he"), P("llo\0"),
	 P("\0\0"), P("\0")}, 0, R("stream: OK" Z), 1,
	 {J(JOB_STREAM_MEM, JOB_INSTREAM, 0, "hello")}, 1},
	{"MIMESCAN is a stream of kind MIME", {P("nMIMESCAN\n" C5 "EICAR" C0)}, 0,
	 R("stream: Eicar-Test-Signature FOUND\n"), 1, {J(JOB_STREAM_MEM, JOB_MIME, 0, "EICAR")}, 1},
	{"MIMESCAN answered at once (a storm's copy): no job reaches the pool",
	 {P("nMIMESCAN\n" C5 "KNOWN" C0)}, 0, R("stream: Known.Worm FOUND\n"), 1, {{0}}, 0},
	{"a session: one request answered at once, the next scanned, ids in order",
	 {P("zIDSESSION" Z "zMIMESCAN" Z C5 "KNOWN" C0 "zINSTREAM" Z C5 "hello" C0), P("zEND" Z)}, 0,
	 R("1: stream: Known.Worm FOUND" Z "2: stream: OK" Z), 1,
	 {J(JOB_STREAM_MEM, JOB_INSTREAM, 2, "hello")}, 1},
	{"a session: ids in order, END closes", {P("zIDSESSION" Z "zPING" Z "zINSTREAM" Z C5 "hello"
	 C0 "zVERSION" Z), P("zEND" Z)}, 0,
	 R("1: PONG" Z "2: stream: OK" Z "3: ClamAV 1.0.test" Z), 1,
	 {J(JOB_STREAM_MEM, JOB_INSTREAM, 2, "hello")}, 1},
	{"a session stays open between requests", {P("zIDSESSION" Z "zPING" Z)}, 0, R("1: PONG" Z),
	 0, {{0}}, 0},
	{"a session ends at end of input, replies out first", {P("zIDSESSION" Z "zINSTREAM" Z C5
	 "EICAR" C0)}, 1, R("1: stream: Eicar-Test-Signature FOUND" Z), 1,
	 {J(JOB_STREAM_MEM, JOB_INSTREAM, 1, "EICAR")}, 1},
	{"an unknown command: error, drain, close at end of input", {P("zFROB" Z)}, 1,
	 R("UNKNOWN COMMAND" Z), 1, {{0}}, 0},
	{"an unknown command: the connection drains while the client writes", {P("zFROB" Z)}, 0,
	 R("UNKNOWN COMMAND" Z), 0, {{0}}, 0},
	{"a chunk over the stream limit", {P("zINSTREAM" Z "\0\1\0\1")}, 1,
	 R("INSTREAM size limit exceeded. ERROR" Z), 1, {{0}}, 0},
	{"end of input inside a stream: no job, closed", {P("zINSTREAM" Z C5 "hel")}, 1, R(""), 1,
	 {{0}}, 0},
	{"FILDES takes the descriptor sent with its dummy byte", {P("zFILDES" Z), PFD(Z)}, 0,
	 R("fd[N]: OK" Z), 1, {J(JOB_FILDES, JOB_INSTREAM, 0, "")}, 1},
	{"FILDES without a descriptor", {P("zFILDES" Z "x")}, 0,
	 R("No file descriptor received. ERROR" Z), 0, {{0}}, 0},
	{"a descriptor sent with another command", {PFD("zPING" Z)}, 1,
	 R("PROTOCOL ERROR: ancillary data sent without FILDES. ERROR\n"), 1, {{0}}, 0},
	{"garbage after the last command is ignored", {P("zPING" Z "junk")}, 0, R("PONG" Z), 1,
	 {{0}}, 0},
	{"old style inside a session ends it", {P("zIDSESSION" Z "PING\n")}, 1,
	 R("Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR\n"), 1, {{0}}, 0},
	{"nothing at all: closed at end of input", {{0}}, 1, R(""), 1, {{0}}, 0},
	{"STREAM without scand_legacy_stream is an unknown command", {P("zSTREAM" Z)}, 1,
	 R("UNKNOWN COMMAND" Z), 1, {{0}}, 0},
};

/* fd_reply - "fd[<n>]: OK" names the server's descriptor: normalise to fd[N]. */
static void normalise(struct buffer *b)
{
	char *p = buffer_data(b), *q;

	if (buffer_len(b) > 3 && memcmp(p, "fd[", 3) == 0 && (q = memchr(p, ']', buffer_len(b)))) {
		size_t digits = (size_t)(q - p) - 3;

		memmove(p + 4, q, buffer_len(b) - (size_t)(q - p));
		p[3] = 'N';
		b->len -= digits - 1;
	}
}

static void test_table(void **state)
{
	size_t i;
	int j;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *row = &rows[i];
		struct buffer out = BUFFER_INIT;
		struct harness h;

		harness_start(&h);
		for (j = 0; j < PIECES_MAX && row->in[j].data != NULL; j++) {
			int fd = row->in[j].with_fd ? open("/dev/null", O_RDONLY) : -1;

			harness_send(&h, row->in[j].data, row->in[j].len, fd);
			if (fd >= 0)
				close(fd);
			harness_settle(&h);
		}
		if (row->shut)
			harness_shut(&h);
		harness_settle(&h);
		harness_read(&h, &out);
		normalise(&out);
		if (buffer_len(&out) != row->reply_len ||
		    memcmp(buffer_data(&out), row->reply, row->reply_len) != 0)
			fail_msg("%s: reply \"%.*s\" (%zu bytes), want \"%s\" (%zu)", row->name,
				 (int)buffer_len(&out), buffer_data(&out), buffer_len(&out),
				 row->reply, row->reply_len);
		if (h.closed != row->closed)
			fail_msg("%s: closed %d, want %d", row->name, h.closed, row->closed);
		if (h.njobs != row->njobs)
			fail_msg("%s: %d jobs, want %d", row->name, h.njobs, row->njobs);
		for (j = 0; j < row->njobs; j++) {
			const struct want_job *w = &row->jobs[j];
			const struct harness_job *g = &h.jobs[j];

			if (g->kind != w->kind || g->scan != w->scan || g->id != w->id ||
			    buffer_len(&g->data) != w->len ||
			    memcmp(buffer_data(&g->data), w->data, w->len) != 0)
				fail_msg("%s: job %d is kind %d scan %d id %u \"%.*s\"", row->name, j,
					 g->kind, g->scan, g->id, (int)buffer_len(&g->data),
					 buffer_data(&g->data));
			if (w->kind == JOB_FILDES && !g->had_fd)
				fail_msg("%s: the job has no descriptor", row->name);
		}
		buffer_free(&out);
		harness_stop(&h);
	}
}

/* test_queue_full - with the queue full a complete request waits, unread
 * after it, and goes in when a job finishes; replies keep their ids. */
static void test_queue_full(void **state)
{
	static const char in[] = "zIDSESSION" Z "zINSTREAM" Z C5 "hello" C0 "zINSTREAM" Z C5
				 "EICAR" C0 "zPING" Z;
	static const char first[] = "1: stream: OK" Z;
	static const char all[] = "1: stream: OK" Z "2: stream: Eicar-Test-Signature FOUND" Z
				  "3: PONG" Z;
	struct buffer out = BUFFER_INIT;
	struct harness h;

	(void)state;
	harness_start(&h);
	h.hold = 1;
	h.pool_room = 1;
	harness_send(&h, in, sizeof(in) - 1, -1);
	harness_settle(&h);
	harness_read(&h, &out);
	/* The second request is parked: PING behind it is not read yet. */
	assert_int_equal(h.njobs, 1);
	assert_int_equal(buffer_len(&out), 0);
	h.hold = 0;
	harness_release(&h);
	harness_read(&h, &out);
	assert_int_equal(h.njobs, 2);
	assert_int_equal(buffer_len(&out), sizeof(all) - 1);
	assert_memory_equal(buffer_data(&out), first, sizeof(first) - 1);
	assert_memory_equal(buffer_data(&out), all, sizeof(all) - 1);
	assert_int_equal(h.closed, 0);
	buffer_free(&out);
	harness_stop(&h);
	assert_int_equal(h.closed, 1);
}

/* test_client_gone - a client that leaves mid-scan: the job sees it gone
 * and nothing is written; the connection is freed once the job is done. */
static void test_client_gone(void **state)
{
	static const char in[] = "zINSTREAM" Z C5 "hello" C0;
	struct harness h;

	(void)state;
	harness_start(&h);
	h.hold = 1;
	harness_send(&h, in, sizeof(in) - 1, -1);
	harness_settle(&h);
	assert_int_equal(h.njobs, 1);
	assert_int_equal(h.closed, 0);
	close(h.client);
	harness_settle(&h);
	assert_int_equal(h.closed, 1);
	h.client = -1;
	harness_release(&h);	/* under ASan: no use after free, no leak */
	harness_stop(&h);
}

static char *base_opts[] = {"scand_stream_max_length=64k", "scand_stream_memory_max=1m"};

/* load_opts - the base configuration plus EXTRA (NULL-terminated). */
static void load_opts(char **extra)
{
	char *opts[16];
	const char *err = NULL;
	int n = 0;

	opts[n++] = base_opts[0];
	opts[n++] = base_opts[1];
	while (extra != NULL && *extra != NULL && n < 16)
		opts[n++] = *extra++;
	if (config_load("/dev/null", opts, n, &err) < 0)
		fail_msg("config: %s", err);
}

/* A STREAM conversation: the steps after the command. */
enum stream_step {
	SEND_CLOSE,		/* connect from 127.0.0.1, send the data, close */
	SEND_STAY,		/* connect, send the data, keep the connection open */
	FOREIGN_THEN_SEND,	/* a connection from 127.0.0.2 first, then SEND_CLOSE */
	NOTHING,		/* never connect */
	CLIENT_LEAVES,		/* the client closes the command connection */
	HALF_CLOSED,		/* the client half-closes the command connection, then SEND_CLOSE */
};

struct stream_row {
	const char *name;
	const char *cmd;
	enum stream_step step;
	const char *data;
	int tick;		/* run the connection's tick past every deadline */
	const char *reply;	/* after "PORT n<term>" */
	const char *job;	/* the job's data, NULL for none */
	int closed;
};

static const struct stream_row stream_rows[] = {
	{"whole stream, z", "zSTREAM" Z, SEND_CLOSE, "an EICAR", 0,
	 "stream: Eicar-Test-Signature FOUND" Z, "an EICAR", 1},
	{"whole stream, n", "nSTREAM\n", SEND_CLOSE, "clean", 0, "stream: OK\n", "clean", 1},
	{"whole stream, old style", "STREAM", SEND_CLOSE, "clean", 0, "stream: OK\n", "clean", 1},
	{"empty stream", "zSTREAM" Z, SEND_CLOSE, "", 0, "stream: OK" Z, "", 1},
	{"exactly the limit is whole", "zSTREAM" Z, SEND_CLOSE, "12345678", 0, "stream: OK" Z,
	 "12345678", 1},
	{"past the limit: the first bytes, and not OK", "zSTREAM" Z, SEND_CLOSE, "123456789abc", 0,
	 "stream: Heuristics.Limits.Exceeded.StreamMaxLength FOUND" Z, "12345678", 1},
	{"past the limit, malware in the first bytes", "zSTREAM" Z, SEND_CLOSE, "EICAR6789abc", 0,
	 "stream: Eicar-Test-Signature FOUND" Z, "EICAR678", 1},
	{"from another address: reset; then the client's own", "zSTREAM" Z, FOREIGN_THEN_SEND,
	 "clean", 0, "stream: OK" Z, "clean", 1},
	{"no data connection: accept time-out", "zSTREAM" Z, NOTHING, "", 1, "Accept timeout. ERROR" Z,
	 NULL, 1},
	{"no data connection, n", "nSTREAM\n", NOTHING, "", 1, "Accept timeout. ERROR\n", NULL, 1},
	{"a data connection that stalls: read time-out", "zSTREAM" Z, SEND_STAY, "abc", 1,
	 "read timeout ERROR" Z, NULL, 1},
	{"the client leaves while the port waits", "zSTREAM" Z, CLIENT_LEAVES, "", 0, "", NULL, 1},
	{"a half-closed command connection still gets the verdict", "zSTREAM" Z, HALF_CLOSED,
	 "EICAR", 0, "stream: Eicar-Test-Signature FOUND" Z, "EICAR", 1},
};

/* data_connect - a TCP connection from SOURCE to 127.0.0.1:PORT. */
static int data_connect(const char *source, unsigned port)
{
	struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, source, &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* port_refused - nothing listens on PORT any more. */
static int port_refused(unsigned port)
{
	int fd = data_connect("127.0.0.1", port);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == ECONNREFUSED;
}

/*
 * test_legacy_stream - STREAM through the real connection and data port on
 * the real loop (the scans are the harness's): "PORT n", the data
 * connection, the verdict; the limit, the time-outs (by the tick, past
 * the deadline, not by waiting), a foreign address, a client that leaves.
 */
static void test_legacy_stream(void **state)
{
	static char *legacy[] = {"scand_legacy_stream=yes", "scand_stream_ports=20000-29999",
				 "scand_stream_max_length=8", NULL};
	size_t i;

	(void)state;
	load_opts(legacy);
	for (i = 0; i < sizeof(stream_rows) / sizeof(stream_rows[0]); i++) {
		const struct stream_row *row = &stream_rows[i];
		char term = row->cmd[0] == 'z' ? '\0' : '\n';
		struct buffer out = BUFFER_INIT;
		unsigned port = 0;
		struct harness h;
		int d = -1, f;
		char *end;

		harness_start(&h);
		harness_send(&h, row->cmd, strlen(row->cmd) + (term == '\0'), -1);
		harness_settle(&h);
		harness_read(&h, &out);
		if (buffer_len(&out) < 7 || memcmp(buffer_data(&out), "PORT ", 5) != 0)
			fail_msg("%s: no PORT reply: \"%.*s\"", row->name, (int)buffer_len(&out),
				 buffer_data(&out));
		port = (unsigned)strtoul(buffer_data(&out) + 5, &end, 10);
		if (port < 20000 || port > 29999 || end + 1 != buffer_data(&out) + buffer_len(&out) ||
		    *end != term)
			fail_msg("%s: bad PORT reply \"%.*s\"", row->name, (int)buffer_len(&out),
				 buffer_data(&out));
		buffer_reset(&out);
		if (row->step == FOREIGN_THEN_SEND) {
			char c;

			f = data_connect("127.0.0.2", port);
			if (f >= 0) {
				harness_settle(&h);
				assert_true(recv(f, &c, 1, 0) <= 0);	/* reset, nothing sent */
				close(f);
			}
		}
		if (row->step == HALF_CLOSED) {
			harness_shut(&h);
			harness_settle(&h);
			assert_int_equal(h.closed, 0);
		}
		if (row->step == SEND_CLOSE || row->step == SEND_STAY ||
		    row->step == FOREIGN_THEN_SEND || row->step == HALF_CLOSED) {
			d = data_connect("127.0.0.1", port);
			assert_true(d >= 0);
			assert_int_equal(send(d, row->data, strlen(row->data), MSG_NOSIGNAL),
					 (ssize_t)strlen(row->data));
			if (row->step != SEND_STAY) {
				close(d);
				d = -1;
			}
		}
		if (row->step == CLIENT_LEAVES) {
			close(h.client);
			h.client = -1;
		}
		harness_settle(&h);
		if (row->tick && !h.closed) {
			conn_tick(h.conn, sock_now_ms() + 3600 * 1000LL + 1);
			harness_settle(&h);
		}
		if (h.client >= 0)
			harness_read(&h, &out);
		if (buffer_len(&out) != strlen(row->reply) + (term == '\0' && *row->reply) ||
		    memcmp(buffer_data(&out), row->reply, buffer_len(&out)) != 0)
			fail_msg("%s: reply \"%.*s\", want \"%s\"", row->name, (int)buffer_len(&out),
				 buffer_data(&out), row->reply);
		if (h.closed != row->closed)
			fail_msg("%s: closed %d, want %d", row->name, h.closed, row->closed);
		if (row->job == NULL) {
			assert_int_equal(h.njobs, 0);
		} else {
			assert_int_equal(h.njobs, 1);
			assert_int_equal(h.jobs[0].kind, JOB_STREAM_MEM);
			assert_int_equal(h.jobs[0].scan, JOB_INSTREAM);
			assert_int_equal(buffer_len(&h.jobs[0].data), strlen(row->job));
			assert_memory_equal(buffer_data(&h.jobs[0].data), row->job, strlen(row->job));
		}
		if (!port_refused(port))
			fail_msg("%s: port %u still listens", row->name, port);
		if (d >= 0) {
			char c;

			assert_true(recv(d, &c, 1, 0) <= 0);	/* closed by the daemon */
			close(d);
		}
		buffer_free(&out);
		harness_stop(&h);
	}
	load_opts(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_client_gone),
		cmocka_unit_test(test_legacy_stream),
	};
	const char *err = NULL;

	if (config_load("/dev/null", base_opts, 2, &err) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
