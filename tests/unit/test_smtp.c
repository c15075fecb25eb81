/*
 * test_smtp - unit tests of common/smtp_data.h and common/smtp_client.h:
 * the DATA unstuffing machine fed whole, one byte at a time and split at
 * every position gives the same message and stops exactly after the end
 * marker; stuffing doubles a dot at every line start (after any LF) and
 * is undone by unstuffing; smtp_data_send adds the header prefix (whose
 * fields replace the message's own), a missing final CR LF and the
 * marker; replies are read whole or refused; EHLO extensions are found;
 * a 421 is relayed as 451; and a client runs whole transactions against
 * a scripted server.
 */
#include "auto-config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/smtp_client.h"
#include "common/smtp_data.h"
#include "common/sock.h"
#include "common/stream.h"

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
	struct smtp_unstuffer u;
	size_t off = 0, mlen = 0;
	int done = 0;

	smtp_data_unstuffer_init(&u);
	while (!done && off < c->in_len) {
		size_t n = off == 0 && first ? first : step ? step : c->in_len;
		size_t o, used;

		if (n > c->in_len - off)
			n = c->in_len - off;
		used = smtp_data_unstuff(&u, c->in + off, n, out, &o, &done);
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
	struct smtp_unstuffer u;
	char out[16];
	size_t o;
	int done;

	(void)state;
	smtp_data_unstuffer_init(&u);
	assert_int_equal(smtp_data_unstuff(&u, S("a\r\n.\r"), out, &o, &done), 5);
	assert_false(done);
	assert_int_equal(o, 3);
	assert_int_equal(smtp_data_unstuff(&u, S("x"), out, &o, &done), 1);	/* not the marker */
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
	n = smtp_data_stuff(S(".a\r\n.\r\nb.\n.c"), out, &bol);
	assert_int_equal(n, 15);
	assert_memory_equal(out, "..a\r\n..\r\nb.\n..c", 15);
	bol = 1;
	n = smtp_data_stuff(S("x\r\n"), out, &bol);
	assert_true(bol);
	n = smtp_data_stuff(S("."), out, &bol);	/* across calls */
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
		struct smtp_unstuffer u;
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
		slen = smtp_data_stuff(msg, len, stuffed, &bol);
		memcpy(stuffed + slen, ".\r\n", 3);
		slen += 3;
		smtp_data_unstuffer_init(&u);
		while (!done) {
			size_t step = 1 + (size_t)(round % 13);

			if (step > slen - off)
				step = slen - off;
			used = smtp_data_unstuff(&u, stuffed + off, step, out, &o, &done);
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

/* memfile - a memory file holding LEN bytes of DATA. */
static int memfile(const char *data, size_t len)
{
	int fd = memfd_create("test-smtp", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* send_bytes - what smtp_data_send writes for BODY with PREFIX. */
static size_t send_bytes(const char *body, size_t len, const char *prefix, char *dst, size_t size)
{
	struct stream st;
	const char *err = NULL;
	int sv[2], fd = memfile(body, len);
	ssize_t n;
	size_t got = 0;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	stream_init(&st, sv[0], 1000);
	assert_int_equal(smtp_data_send(&st, fd, len, prefix, &err), 0);
	assert_int_equal(stream_output_len(&st), 0);	/* flushed */
	stream_free(&st);
	close(sv[0]);
	while ((n = read(sv[1], dst + got, size - got)) > 0)
		got += (size_t)n;
	close(sv[1]);
	close(fd);
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

/* The prefix's fields replace the message's own, continuation lines too. */
static void test_send_replaces(void **state)
{
	static const char msg[] = "x-virus-status: Clean\r\n\tfolded\r\nSubject: s\r\n"
				  "X-Virus-Status: again\r\n\r\nX-Virus-Status: in the body\r\n";
	static const char want[] = "X-Virus-Status: Infected\r\nSubject: s\r\n"
				   "\r\nX-Virus-Status: in the body\r\n.\r\n";
	char out[512];
	size_t n;

	(void)state;
	n = send_bytes(msg, sizeof(msg) - 1, "X-Virus-Status: Infected\r\n", out, sizeof(out));
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(out, want, n);
}

/* A message of many chunks, sent to a reader in another process. */
static void test_send_large(void **state)
{
	size_t len = 300000, i, want, got = 0;
	char *big = malloc(len), *out = malloc(2 * len + 16), *exp = malloc(2 * len + 16);
	int sv[2], fd, bol = 1, status;
	pid_t pid;

	(void)state;
	for (i = 0; i < len; i++)
		big[i] = i % 61 == 60 ? '\n' : i % 61 == 0 ? '.' : (char)('a' + i % 26);
	big[len - 2] = '\r';
	big[len - 1] = '\n';
	want = smtp_data_stuff(big, len, exp, &bol);
	memcpy(exp + want, ".\r\n", 3);
	want += 3;
	fd = memfile(big, len);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct stream st;
		const char *err = NULL;

		close(sv[1]);
		stream_init(&st, sv[0], 5000);
		_exit(smtp_data_send(&st, fd, len, NULL, &err) == 0 ? 0 : 1);
	}
	close(sv[0]);
	for (;;) {
		ssize_t n = read(sv[1], out + got, 2 * len + 16 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(got, want);
	assert_memory_equal(out, exp, want);
	close(sv[1]);
	close(fd);
	free(big);
	free(out);
	free(exp);
}

struct reply_case {
	const char *in;
	int ret;		/* 0 or -1 */
	int code;
	const char *text;	/* the text, or the error */
};

static const struct reply_case reply_cases[] = {
	{"250 ok\r\n", 0, 250, "250 ok"},
	{"250\r\n", 0, 250, "250"},
	{"220-one\r\n220-two\n220 three\r\n", 0, 220, "220-one\r\n220-two\r\n220 three"},
	{"250-a\r\n251 b\r\n", -1, 0, "inconsistent multi-line reply"},
	{"25 short\r\n", -1, 0, "malformed reply"},
	{"2x0 bad\r\n", -1, 0, "malformed reply"},
	{"250_bad\r\n", -1, 0, "malformed reply"},
	{"199 low\r\n", -1, 0, "reply code out of range"},
	{"600 high\r\n", -1, 0, "reply code out of range"},
	{"250-cut", -1, 0, "connection closed"},
	{"", -1, 0, "connection closed"},
};

static void test_reply_read(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];
		struct smtp_reply rep;
		const char *err = NULL;
		struct stream st;
		int sv[2], ret;

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(write(sv[1], c->in, strlen(c->in)), (ssize_t)strlen(c->in));
		close(sv[1]);
		stream_init(&st, sv[0], 1000);
		ret = smtp_reply_read(&st, &rep, &err);
		if (ret != c->ret || rep.code != c->code ||
		    strcmp(ret == 0 ? rep.text : err, c->text) != 0)
			fail_msg("case %zu \"%s\": %d, code %d, \"%s\"", i, c->in, ret, rep.code,
				 ret == 0 ? rep.text : err);
		stream_free(&st);
		close(sv[0]);
	}
}

/* Long replies: a line over the limit, too many lines, text kept to its size. */
static void test_reply_limits(void **state)
{
	struct smtp_reply rep;
	const char *err = NULL;
	struct stream st;
	char line[SMTP_REPLY_LINE_MAX + 8];
	int sv[2], i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	stream_init(&st, sv[0], 1000);
	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	memcpy(line + SMTP_REPLY_LINE_MAX - 2, "\r\n", 2);	/* exactly the maximum */
	assert_int_equal(write(sv[1], line, SMTP_REPLY_LINE_MAX), SMTP_REPLY_LINE_MAX);
	assert_int_equal(smtp_reply_read(&st, &rep, &err), 0);
	assert_int_equal(strlen(rep.text), SMTP_REPLY_LINE_MAX - 2);
	memcpy(line + SMTP_REPLY_LINE_MAX - 2, "x\r\n", 3);	/* one more */
	assert_int_equal(write(sv[1], line, SMTP_REPLY_LINE_MAX + 1), SMTP_REPLY_LINE_MAX + 1);
	assert_int_equal(smtp_reply_read(&st, &rep, &err), -1);
	assert_string_equal(err, "line too long");
	for (i = 0; i < SMTP_REPLY_LINES_MAX + 1; i++)
		assert_int_equal(write(sv[1], "250-more\r\n", 10), 10);
	assert_int_equal(smtp_reply_read(&st, &rep, &err), -1);
	assert_string_equal(err, "reply has too many lines");
	stream_free(&st);
	close(sv[0]);
	close(sv[1]);
}

static void test_reply_ehlo(void **state)
{
	char attrs[64];
	int ext;

	(void)state;
	ext = smtp_reply_ehlo("250-PIPELINING here\r\n250-pipelining\r\n250-SIZE 1000\r\n"
			      "250-XFORWARD NAME ADDR,PROTO\r\n250-8bitmime\r\n250-DSN\r\n"
			      "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES", attrs, sizeof(attrs));
	/* The first line is the greeting, never an extension. */
	assert_int_equal(ext, SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_XFORWARD |
			      SMTP_EXT_8BITMIME | SMTP_EXT_DSN | SMTP_EXT_SMTPUTF8 |
			      SMTP_EXT_ENHANCED);
	assert_string_equal(attrs, "NAME ADDR PROTO");
	ext = smtp_reply_ehlo("250-host\r\n250-SIZEX\r\n250 XFORWARD", attrs, sizeof(attrs));
	assert_int_equal(ext, 0);
	assert_string_equal(attrs, "");
	assert_int_equal(smtp_reply_ehlo("250 host", attrs, sizeof(attrs)), 0);
}

static void test_reply_relayed(void **state)
{
	struct smtp_reply rep;
	char out[128];

	(void)state;
	rep.code = 250;
	snprintf(rep.text, sizeof(rep.text), "250 2.0.0 Ok: queued");
	smtp_reply_relayed(&rep, out, sizeof(out));
	assert_string_equal(out, "250 2.0.0 Ok: queued");
	rep.code = 421;
	snprintf(rep.text, sizeof(rep.text), "421-4.3.0 going\r\n421 4.3.0 away");
	smtp_reply_relayed(&rep, out, sizeof(out));
	assert_string_equal(out, "451-4.3.0 going\r\n451 4.3.0 away");
	rep.code = 0;
	snprintf(rep.text, sizeof(rep.text), "reply: time-out");
	smtp_reply_relayed(&rep, out, sizeof(out));
	assert_string_equal(out, "451 4.4.2 Error: forward server unavailable, try again later");
}

/*
 * A scripted SMTP server: it sends the greeting, then answers each
 * command line (or, after a 354, the whole message up to its end marker)
 * with the next reply of the script; a NULL reply hangs up.  Everything
 * it receives is kept in SEEN, lines ended by LF.
 */
struct fake {
	char dir[64], endpoint[96];
	int lfd;
	const char *const *script;
	char seen[8192];
	size_t nseen;
	pthread_t thread;
};

static void fake_seen(struct fake *f, const char *data, size_t len)
{
	if (f->nseen + len < sizeof(f->seen)) {
		memcpy(f->seen + f->nseen, data, len);
		f->nseen += len;
		f->seen[f->nseen] = '\0';
	}
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	const char *const *reply = f->script, *err = NULL;
	int fd = accept(f->lfd, NULL, NULL), in_data = 0;
	struct stream st;

	if (fd < 0)
		return NULL;
	stream_init(&st, fd, 5000);
	for (; *reply != NULL; reply++) {
		char *line;
		size_t len;

		if (reply != f->script) {	/* not the greeting: read first */
			do {
				if (stream_read_line(&st, 4096, STREAM_EOL_CRLF, &line, &len, &err) !=
				    STREAM_OK)
					goto out;
				fake_seen(f, line, len);
				fake_seen(f, in_data ? "\r\n" : "\n", in_data ? 2 : 1);
			} while (in_data && strcmp(line, ".") != 0);
		}
		in_data = strncmp(*reply, "354", 3) == 0;
		stream_write(&st, *reply, strlen(*reply), &err);
		stream_flush(&st, &err);
	}
out:
	stream_free(&st);
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f, const char *const *script)
{
	const char *err = NULL;
	char path[128];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_smtp.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/smtp", f->dir);
	snprintf(f->endpoint, sizeof(f->endpoint), "unix:%s", path);
	f->lfd = sock_listen_unix(path, 0600, NULL, 4, &err);
	assert_true(f->lfd >= 0);
	f->script = script;
	assert_int_equal(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

static void fake_stop(struct fake *f)
{
	char path[128];

	pthread_join(f->thread, NULL);
	close(f->lfd);
	snprintf(path, sizeof(path), "%s/smtp", f->dir);
	unlink(path);
	rmdir(f->dir);
}

static void test_client_transaction(void **state)
{
	static const char *const script[] = {
		"220 fake ESMTP\r\n",
		"250-fake\r\n250-PIPELINING\r\n250-XFORWARD NAME ADDR\r\n250 8BITMIME\r\n",
		"250 2.1.0 Ok\r\n",
		"550 5.1.1 <x@y>: unknown\r\n",
		"250 2.1.5 Ok\r\n",
		"354 go ahead\r\n",
		"250 2.0.0 Ok: queued as ABC\r\n",
		"250 2.0.0 Ok\r\n",
		"221 2.0.0 Bye\r\n",
		NULL,
	};
	static const char msg[] = "Subject: t\r\n\r\n.leading dot\r\n";
	struct smtp_client c;
	struct smtp_reply rep;
	struct fake f;
	int fd = memfile(msg, sizeof(msg) - 1);

	(void)state;
	fake_start(&f, script);
	smtp_client_init(&c);
	assert_int_equal(smtp_client_open(&c, f.endpoint, "me.example", 2000, 0, &rep), 0);
	assert_true(smtp_client_connected(&c));
	assert_int_equal(c.ext, SMTP_EXT_PIPELINING | SMTP_EXT_XFORWARD | SMTP_EXT_8BITMIME);
	assert_string_equal(c.xforward_attrs, "NAME ADDR");
	assert_int_equal(smtp_client_command(&c, "MAIL FROM:<a@b>", &rep), 0);
	assert_int_equal(rep.code, 250);
	assert_int_equal(smtp_client_command(&c, "RCPT TO:<x@y>", &rep), 0);
	assert_int_equal(rep.code, 550);
	assert_string_equal(rep.text, "550 5.1.1 <x@y>: unknown");
	assert_int_equal(smtp_client_command(&c, "RCPT TO:<c@d>", &rep), 0);
	assert_int_equal(smtp_client_data(&c, fd, sizeof(msg) - 1, "X-A: 1\r\n", &rep), 0);
	assert_int_equal(rep.code, 250);
	assert_string_equal(rep.text, "250 2.0.0 Ok: queued as ABC");
	smtp_client_abandon(&c);	/* RSET, 250: stays open */
	assert_true(smtp_client_connected(&c));
	smtp_client_quit(&c);
	assert_false(smtp_client_connected(&c));
	fake_stop(&f);
	assert_string_equal(f.seen, "EHLO me.example\nMAIL FROM:<a@b>\nRCPT TO:<x@y>\n"
				    "RCPT TO:<c@d>\nDATA\nX-A: 1\r\nSubject: t\r\n\r\n"
				    "..leading dot\r\n.\r\nRSET\nQUIT\n");
	close(fd);
}

static void test_client_helo_fallback(void **state)
{
	static const char *const script[] = {
		"220 old\r\n", "502 5.5.1 no EHLO\r\n", "250 old\r\n", NULL,
	};
	struct smtp_client c;
	struct smtp_reply rep;
	struct fake f;

	(void)state;
	fake_start(&f, script);
	smtp_client_init(&c);
	assert_int_equal(smtp_client_open(&c, f.endpoint, "me", 2000, 0, &rep), 0);
	assert_int_equal(c.ext, 0);
	smtp_client_close(&c);
	fake_stop(&f);
	assert_string_equal(f.seen, "EHLO me\nHELO me\n");
}

static void test_client_failures(void **state)
{
	static const char *const refused[] = {"554 5.3.2 go away\r\n", NULL};
	static const char *const goes_away[] = {
		"220 x\r\n", "250 x\r\n", "421-4.3.2 shutting\r\n421 4.3.2 down\r\n", NULL,
	};
	static const char *const hangs_up[] = {"220 x\r\n", "250 x\r\n", NULL};
	static const char *const garbage[] = {"220 x\r\n", "250 x\r\n", "hello?\r\n", NULL};
	struct smtp_client c;
	struct smtp_reply rep;
	char out[128];
	struct fake f;

	(void)state;
	smtp_client_init(&c);
	/* A refusing greeting: its reply, no connection. */
	fake_start(&f, refused);
	assert_int_equal(smtp_client_open(&c, f.endpoint, "me", 2000, 0, &rep), -1);
	assert_int_equal(rep.code, 554);
	assert_false(smtp_client_connected(&c));
	fake_stop(&f);
	/* A 421 closes; relayed it is a 451. */
	fake_start(&f, goes_away);
	assert_int_equal(smtp_client_open(&c, f.endpoint, "me", 2000, 0, &rep), 0);
	assert_int_equal(smtp_client_command(&c, "MAIL FROM:<>", &rep), 0);
	assert_int_equal(rep.code, 421);
	assert_false(smtp_client_connected(&c));
	smtp_reply_relayed(&rep, out, sizeof(out));
	assert_string_equal(out, "451-4.3.2 shutting\r\n451 4.3.2 down");
	assert_int_equal(smtp_client_command(&c, "RSET", &rep), -1);
	assert_string_equal(rep.text, "command: not connected");
	fake_stop(&f);
	/* No reply at all: code 0 and why. */
	fake_start(&f, hangs_up);
	assert_int_equal(smtp_client_open(&c, f.endpoint, "me", 2000, 0, &rep), 0);
	assert_int_equal(smtp_client_command(&c, "MAIL FROM:<>", &rep), -1);
	assert_int_equal(rep.code, 0);
	/* (the write or the read finds out, depending on the timing) */
	assert_true(strcmp(rep.text, "reply: connection closed") == 0 ||
		    strcmp(rep.text, "write: connection closed") == 0);
	assert_false(smtp_client_connected(&c));
	fake_stop(&f);
	fake_start(&f, garbage);
	assert_int_equal(smtp_client_open(&c, f.endpoint, "me", 2000, 0, &rep), 0);
	assert_int_equal(smtp_client_command(&c, "MAIL FROM:<>", &rep), -1);
	assert_string_equal(rep.text, "reply: malformed reply");
	fake_stop(&f);
	/* Nobody listening. */
	assert_int_equal(smtp_client_open(&c, "unix:/nonexistent/smtp", "me", 500, 0, &rep), -1);
	assert_int_equal(rep.code, 0);
	assert_memory_equal(rep.text, "connect: ", 9);
}

/* A server that never answers: the deadline ends the wait. */
static void test_client_deadline(void **state)
{
	const char *err = NULL;
	struct smtp_client c;
	struct smtp_reply rep;
	char dir[64] = "/tmp/test_smtp.XXXXXX", path[128], ep[160];
	long long t0;
	int lfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/smtp", dir);
	snprintf(ep, sizeof(ep), "unix:%s", path);
	lfd = sock_listen_unix(path, 0600, NULL, 4, &err);
	assert_true(lfd >= 0);
	smtp_client_init(&c);
	t0 = sock_now_ms();
	assert_int_equal(smtp_client_open(&c, ep, "me", 5000, sock_now_ms() + 150, &rep), -1);
	assert_string_equal(rep.text, "greeting: time-out");
	assert_true(sock_now_ms() - t0 < 2000);
	close(lfd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unstuff_splits),
		cmocka_unit_test(test_unstuff_incomplete),
		cmocka_unit_test(test_stuff),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_send_replaces),
		cmocka_unit_test(test_send_large),
		cmocka_unit_test(test_reply_read),
		cmocka_unit_test(test_reply_limits),
		cmocka_unit_test(test_reply_ehlo),
		cmocka_unit_test(test_reply_relayed),
		cmocka_unit_test(test_client_transaction),
		cmocka_unit_test(test_client_helo_fallback),
		cmocka_unit_test(test_client_failures),
		cmocka_unit_test(test_client_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
