/*
 * test_proto - unit tests of common/proto.h: clamd command framing
 * (proto_frame_next), INSTREAM chunk headers, the exact reply bytes of the
 * proto_reply_*() helpers and proto_verdict_parse() of clamd reply lines.
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/proto.h"

/* S - a string literal and its length without the final NUL. */
#define S(lit) (lit), (sizeof(lit) - 1)

/* assert_cmd - FRAME holds command WANT. */
static void assert_cmd(const struct proto_frame *frame, const char *want)
{
	size_t n = strlen(want);

	assert_non_null(frame->cmd);
	if (frame->cmd_len != n || memcmp(frame->cmd, want, n) != 0)
		fail_msg("command \"%.*s\", expected \"%s\"", (int)frame->cmd_len, frame->cmd, want);
}

static void test_frame_z(void **state)
{
	static const char buf[] = "zPING\0zVERSION\0";
	struct proto_frame f;

	(void)state;
	assert_int_equal(proto_frame_next(buf, sizeof(buf) - 1, 1, 0, &f), PROTO_FRAME_OK);
	assert_int_equal(f.framing, PROTO_FRAME_Z);
	assert_cmd(&f, "PING");
	assert_int_equal(f.consumed, 6);
	assert_ptr_equal(f.cmd, buf + 1);

	/* the next command follows the consumed bytes */
	assert_int_equal(proto_frame_next(buf + f.consumed, sizeof(buf) - 1 - 6, 0, 0, &f),
			 PROTO_FRAME_OK);
	assert_int_equal(f.framing, PROTO_FRAME_Z);
	assert_cmd(&f, "VERSION");
	assert_int_equal(f.consumed, 9);

	/* newlines are part of a z command */
	assert_int_equal(proto_frame_next(S("zSCAN /a\nb\0"), 0, 0, &f), PROTO_FRAME_OK);
	assert_cmd(&f, "SCAN /a\nb");
	assert_int_equal(f.consumed, 11);

	/* an empty z command */
	assert_int_equal(proto_frame_next("z\0", 2, 0, 0, &f), PROTO_FRAME_OK);
	assert_int_equal(f.cmd_len, 0);
	assert_int_equal(f.consumed, 2);
}

static void test_frame_n(void **state)
{
	struct proto_frame f;

	(void)state;
	assert_int_equal(proto_frame_next(S("nPING\nnSTATS\n"), 0, 0, &f), PROTO_FRAME_OK);
	assert_int_equal(f.framing, PROTO_FRAME_N);
	assert_cmd(&f, "PING");
	assert_int_equal(f.consumed, 6);

	/* a CR before the LF is dropped, but counted as consumed */
	assert_int_equal(proto_frame_next(S("nVERSION\r\nrest"), 0, 0, &f), PROTO_FRAME_OK);
	assert_cmd(&f, "VERSION");
	assert_int_equal(f.consumed, 10);

	/* a NUL does not end an n command */
	assert_int_equal(proto_frame_next(S("nA\0B\n"), 0, 0, &f), PROTO_FRAME_OK);
	assert_int_equal(f.cmd_len, 3);
	assert_memory_equal(f.cmd, "A\0B", 3);

	assert_int_equal(proto_frame_next(S("n\n"), 0, 0, &f), PROTO_FRAME_OK);
	assert_int_equal(f.cmd_len, 0);
	assert_int_equal(f.consumed, 2);
}

static void test_frame_need_more(void **state)
{
	struct proto_frame f;

	(void)state;
	assert_int_equal(proto_frame_next("", 0, 1, 0, &f), PROTO_FRAME_MORE);
	assert_int_equal(proto_frame_next("", 0, 1, 1, &f), PROTO_FRAME_MORE);
	assert_int_equal(proto_frame_next(S("z"), 1, 0, &f), PROTO_FRAME_MORE);
	assert_int_equal(proto_frame_next(S("n"), 1, 0, &f), PROTO_FRAME_MORE);
	assert_int_equal(proto_frame_next(S("zPIN"), 1, 0, &f), PROTO_FRAME_MORE);
	assert_int_equal(proto_frame_next(S("zINSTREAM"), 0, 1, &f), PROTO_FRAME_MORE);
	/* a newline does not end a z command, nor a NUL an n command */
	assert_int_equal(proto_frame_next(S("zPING\n"), 1, 1, &f), PROTO_FRAME_MORE);
	assert_int_equal(proto_frame_next(S("nPING\0"), 1, 1, &f), PROTO_FRAME_MORE);
	/* a bare command without newline, more may come */
	assert_int_equal(proto_frame_next(S("PIN"), 1, 0, &f), PROTO_FRAME_MORE);
	/* the terminator of a prefixed command is only looked for after the prefix */
	assert_int_equal(proto_frame_next(S("n"), 0, 0, &f), PROTO_FRAME_MORE);
}

static void test_frame_bare(void **state)
{
	struct proto_frame f;

	(void)state;
	assert_int_equal(proto_frame_next(S("PING\n"), 1, 0, &f), PROTO_FRAME_OK);
	assert_int_equal(f.framing, PROTO_FRAME_BARE);
	assert_cmd(&f, "PING");
	assert_int_equal(f.consumed, 5);

	assert_int_equal(proto_frame_next(S("SCAN /tmp/x\r\nnext"), 1, 0, &f), PROTO_FRAME_OK);
	assert_cmd(&f, "SCAN /tmp/x");
	assert_int_equal(f.consumed, 13);

	/* clamd takes a first packet without newline whole */
	assert_int_equal(proto_frame_next(S("VERSION"), 1, 1, &f), PROTO_FRAME_OK);
	assert_int_equal(f.framing, PROTO_FRAME_BARE);
	assert_cmd(&f, "VERSION");
	assert_int_equal(f.consumed, 7);

	/* ... and as a C string: freshclam's NotifyClamd sends "RELOAD\0" */
	assert_int_equal(proto_frame_next("RELOAD", 7, 1, 1, &f), PROTO_FRAME_OK);
	assert_int_equal(f.framing, PROTO_FRAME_BARE);
	assert_cmd(&f, "RELOAD");
	assert_int_equal(f.consumed, 7);

	/* where old style is not allowed the text is still cut out whole, for
	 * the caller to reject */
	assert_int_equal(proto_frame_next(S("PING"), 0, 0, &f), PROTO_FRAME_OK);
	assert_int_equal(f.framing, PROTO_FRAME_BARE);
	assert_cmd(&f, "PING");
	assert_int_equal(f.consumed, 4);

	/* an empty line */
	assert_int_equal(proto_frame_next(S("\nPING"), 1, 0, &f), PROTO_FRAME_OK);
	assert_int_equal(f.cmd_len, 0);
	assert_int_equal(f.consumed, 1);
}

static void test_frame_too_long(void **state)
{
	size_t len = PROTO_COMMAND_MAX + 2;
	char *buf = malloc(len);
	struct proto_frame f;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'A', len);
	buf[0] = 'z';
	assert_int_equal(proto_frame_next(buf, PROTO_COMMAND_MAX, 0, 0, &f), PROTO_FRAME_MORE);
	assert_int_equal(proto_frame_next(buf, PROTO_COMMAND_MAX + 1, 0, 0, &f),
			 PROTO_FRAME_TOO_LONG);
	buf[0] = 'n';
	assert_int_equal(proto_frame_next(buf, PROTO_COMMAND_MAX + 1, 0, 0, &f),
			 PROTO_FRAME_TOO_LONG);
	buf[0] = 'A';
	assert_int_equal(proto_frame_next(buf, PROTO_COMMAND_MAX, 1, 0, &f), PROTO_FRAME_MORE);
	assert_int_equal(proto_frame_next(buf, PROTO_COMMAND_MAX + 1, 1, 0, &f),
			 PROTO_FRAME_TOO_LONG);
	/* a terminated command of exactly PROTO_COMMAND_MAX bytes is cut */
	buf[0] = 'z';
	buf[len - 1] = '\0';
	assert_int_equal(proto_frame_next(buf, len, 0, 0, &f), PROTO_FRAME_OK);
	assert_int_equal(f.cmd_len, len - 2);
	assert_int_equal(f.consumed, len);
	/* one byte more is too long even with its terminator (callers copy
	 * the command into PROTO_COMMAND_MAX-sized buffers) */
	buf = realloc(buf, len + 1);
	assert_non_null(buf);
	buf[len - 1] = 'A';
	buf[len] = '\0';
	assert_int_equal(proto_frame_next(buf, len + 1, 0, 0, &f), PROTO_FRAME_TOO_LONG);
	buf[0] = 'A';
	buf[len] = '\n';
	assert_int_equal(proto_frame_next(buf, len + 1, 1, 0, &f), PROTO_FRAME_TOO_LONG);
	free(buf);
}

static void test_terminator(void **state)
{
	(void)state;
	assert_int_equal(proto_terminator(PROTO_FRAME_Z), '\0');
	assert_int_equal(proto_terminator(PROTO_FRAME_N), '\n');
	assert_int_equal(proto_terminator(PROTO_FRAME_BARE), '\n');
}

static void test_chunk_header(void **state)
{
	unsigned char hdr[4];
	static const uint32_t lens[] = {0, 1, 255, 256, 65536, 0x01020304u, 0x7fffffffu,
					0xfffffffeu, 0xffffffffu};
	size_t i;

	(void)state;
	proto_chunk_header(hdr, 0x01020304u);
	assert_memory_equal(hdr, "\x01\x02\x03\x04", 4);
	proto_chunk_header(hdr, 0);
	assert_memory_equal(hdr, "\0\0\0\0", 4);
	proto_chunk_header(hdr, PROTO_CHUNK_SIZE);
	assert_memory_equal(hdr, "\x00\x01\x00\x00", 4);
	proto_chunk_header(hdr, 0xffffffffu);
	assert_memory_equal(hdr, "\xff\xff\xff\xff", 4);
	proto_chunk_header(hdr, 0x80000001u);
	assert_memory_equal(hdr, "\x80\x00\x00\x01", 4);

	assert_int_equal(proto_chunk_length((const unsigned char *)"\0\0\0\0"), 0);
	assert_int_equal(proto_chunk_length((const unsigned char *)"\0\0\0\x05"), 5);
	assert_int_equal(proto_chunk_length((const unsigned char *)"\0\0\x10\0"), 4096);
	assert_int_equal(proto_chunk_length((const unsigned char *)"\x12\x34\x56\x78"),
			 0x12345678u);
	assert_int_equal(proto_chunk_length((const unsigned char *)"\xff\xff\xff\xff"),
			 0xffffffffu);
	assert_int_equal(proto_chunk_length((const unsigned char *)"\x80\0\0\0"), 0x80000000u);

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		proto_chunk_header(hdr, lens[i]);
		assert_int_equal(proto_chunk_length(hdr), lens[i]);
	}
}

/* assert_reply - DST holds exactly WANT (WLEN bytes) and N == WLEN. */
static void assert_reply(const char *dst, int n, const char *want, size_t wlen)
{
	assert_int_equal(n, (int)wlen);
	assert_memory_equal(dst, want, wlen);
	/* snprintf left a NUL after the reply */
	assert_int_equal(dst[wlen], '\0');
}

static void test_reply_ok(void **state)
{
	char buf[256];
	int n;

	(void)state;
	n = proto_reply_ok(buf, sizeof(buf), 0, "stream", '\0');
	assert_reply(buf, n, S("stream: OK\0"));
	n = proto_reply_ok(buf, sizeof(buf), 0, "stream", '\n');
	assert_reply(buf, n, S("stream: OK\n"));
	n = proto_reply_ok(buf, sizeof(buf), 0, "/tmp/clean file", '\n');
	assert_reply(buf, n, S("/tmp/clean file: OK\n"));
	n = proto_reply_ok(buf, sizeof(buf), 3, "stream", '\0');
	assert_reply(buf, n, S("3: stream: OK\0"));
	n = proto_reply_ok(buf, sizeof(buf), 0, NULL, '\n');
	assert_reply(buf, n, S("OK\n"));
}

static void test_reply_found(void **state)
{
	char buf[256];
	int n;

	(void)state;
	n = proto_reply_found(buf, sizeof(buf), 0, "stream", "Eicar-Test-Signature", '\0');
	assert_reply(buf, n, S("stream: Eicar-Test-Signature FOUND\0"));
	n = proto_reply_found(buf, sizeof(buf), 0, "stream", "Eicar-Test-Signature", '\n');
	assert_reply(buf, n, S("stream: Eicar-Test-Signature FOUND\n"));
	n = proto_reply_found(buf, sizeof(buf), 42, "/tmp/eicar.com", "Eicar-Test-Signature",
			      '\0');
	assert_reply(buf, n, S("42: /tmp/eicar.com: Eicar-Test-Signature FOUND\0"));
	n = proto_reply_found(buf, sizeof(buf), 4294967295u, "stream", "X", '\n');
	assert_reply(buf, n, S("4294967295: stream: X FOUND\n"));
}

static void test_reply_error(void **state)
{
	char buf[256];
	int n;

	(void)state;
	n = proto_reply_error(buf, sizeof(buf), 0, NULL, "INSTREAM size limit exceeded.", '\0');
	assert_reply(buf, n, S("INSTREAM size limit exceeded. ERROR\0"));
	n = proto_reply_error(buf, sizeof(buf), 0, NULL, "INSTREAM size limit exceeded.", '\n');
	assert_reply(buf, n, S("INSTREAM size limit exceeded. ERROR\n"));
	n = proto_reply_error(buf, sizeof(buf), 0, "/nonexistent", "lstat() failed", '\n');
	assert_reply(buf, n, S("/nonexistent: lstat() failed ERROR\n"));
	n = proto_reply_error(buf, sizeof(buf), 7, NULL, "UNKNOWN COMMAND", '\0');
	assert_reply(buf, n, S("7: UNKNOWN COMMAND ERROR\0"));
}

static void test_reply_text(void **state)
{
	char buf[256];
	int n;

	(void)state;
	n = proto_reply_text(buf, sizeof(buf), 0, "PONG", '\0');
	assert_reply(buf, n, S("PONG\0"));
	n = proto_reply_text(buf, sizeof(buf), 0, "PONG", '\n');
	assert_reply(buf, n, S("PONG\n"));
	n = proto_reply_text(buf, sizeof(buf), 5, "RELOADING", '\n');
	assert_reply(buf, n, S("5: RELOADING\n"));
}

static void test_reply_too_small(void **state)
{
	char buf[64];
	int n;

	(void)state;
	/* "stream: OK\0" is 11 bytes and needs 12 with snprintf's NUL */
	n = proto_reply_ok(buf, 12, 0, "stream", '\0');
	assert_reply(buf, n, S("stream: OK\0"));
	assert_int_equal(proto_reply_ok(buf, 11, 0, "stream", '\0'), -1);
	assert_int_equal(proto_reply_ok(buf, 1, 0, "stream", '\n'), -1);
	assert_int_equal(proto_reply_found(buf, 20, 0, "stream", "Eicar-Test-Signature", '\0'),
			 -1);
	assert_int_equal(proto_reply_error(buf, 10, 0, NULL, "INSTREAM size limit exceeded.",
					   '\0'),
			 -1);
	assert_int_equal(proto_reply_text(buf, 5, 0, "PONG", '\n'), -1);
	n = proto_reply_text(buf, 6, 0, "PONG", '\n');
	assert_reply(buf, n, S("PONG\n"));
}

/* verdict - proto_verdict_parse() of the string LINE. */
static int verdict(const char *line, enum proto_verdict *v, char *name, size_t size)
{
	return proto_verdict_parse(line, strlen(line), v, name, size);
}

static void test_verdict_clean(void **state)
{
	enum proto_verdict v;
	char name[128];

	(void)state;
	v = PROTO_VERDICT_ERROR;
	strcpy(name, "junk");
	assert_int_equal(verdict("stream: OK", &v, name, sizeof(name)), 0);
	assert_int_equal(v, PROTO_VERDICT_CLEAN);
	assert_string_equal(name, "");

	v = PROTO_VERDICT_ERROR;
	assert_int_equal(verdict("/tmp/file: OK", &v, name, sizeof(name)), 0);
	assert_int_equal(v, PROTO_VERDICT_CLEAN);
	v = PROTO_VERDICT_ERROR;
	assert_int_equal(verdict("1: stream: OK", &v, name, sizeof(name)), 0);
	assert_int_equal(v, PROTO_VERDICT_CLEAN);
	v = PROTO_VERDICT_ERROR;
	assert_int_equal(verdict("OK", &v, name, sizeof(name)), 0);
	assert_int_equal(v, PROTO_VERDICT_CLEAN);

	/* the terminator may be passed along */
	v = PROTO_VERDICT_ERROR;
	assert_int_equal(proto_verdict_parse(S("stream: OK\0"), &v, name, sizeof(name)), 0);
	assert_int_equal(v, PROTO_VERDICT_CLEAN);
	v = PROTO_VERDICT_ERROR;
	assert_int_equal(proto_verdict_parse(S("stream: OK\r\n"), &v, name, sizeof(name)), 0);
	assert_int_equal(v, PROTO_VERDICT_CLEAN);
}

static void test_verdict_found(void **state)
{
	enum proto_verdict v;
	char name[128];

	(void)state;
	v = PROTO_VERDICT_CLEAN;
	assert_int_equal(verdict("stream: Eicar-Test-Signature FOUND", &v, name, sizeof(name)),
			 0);
	assert_int_equal(v, PROTO_VERDICT_INFECTED);
	assert_string_equal(name, "Eicar-Test-Signature");

	v = PROTO_VERDICT_CLEAN;
	assert_int_equal(verdict("12: /tmp/a: b.exe: Win.Trojan.Agent-1 FOUND", &v, name,
				 sizeof(name)),
			 0);
	assert_int_equal(v, PROTO_VERDICT_INFECTED);
	assert_string_equal(name, "Win.Trojan.Agent-1");

	v = PROTO_VERDICT_CLEAN;
	assert_int_equal(proto_verdict_parse(S("stream: Heuristics.Limits.Exceeded.MaxFileSize "
					       "FOUND\n"),
					     &v, name, sizeof(name)),
			 0);
	assert_int_equal(v, PROTO_VERDICT_INFECTED);
	assert_string_equal(name, "Heuristics.Limits.Exceeded.MaxFileSize");

	/* a name that does not fit is cut and terminated */
	v = PROTO_VERDICT_CLEAN;
	memset(name, 'x', sizeof(name));
	assert_int_equal(verdict("stream: Eicar-Test-Signature FOUND", &v, name, 6), 0);
	assert_int_equal(v, PROTO_VERDICT_INFECTED);
	assert_string_equal(name, "Eicar");
	assert_int_equal(name[6], 'x');

	/* a NULL name buffer of size 0 is fine */
	assert_int_equal(verdict("stream: Eicar-Test-Signature FOUND", &v, NULL, 0), 0);
	assert_int_equal(v, PROTO_VERDICT_INFECTED);
}

static void test_verdict_error(void **state)
{
	enum proto_verdict v;
	char name[128];

	(void)state;
	v = PROTO_VERDICT_CLEAN;
	assert_int_equal(verdict("INSTREAM size limit exceeded. ERROR", &v, name, sizeof(name)),
			 0);
	assert_int_equal(v, PROTO_VERDICT_ERROR);
	assert_string_equal(name, "INSTREAM size limit exceeded.");

	/* the whole line before " ERROR" is kept (the client strips the
	 * subject itself) */
	v = PROTO_VERDICT_CLEAN;
	assert_int_equal(verdict("/nonexistent: lstat() failed: No such file or directory. ERROR",
				 &v, name, sizeof(name)),
			 0);
	assert_int_equal(v, PROTO_VERDICT_ERROR);
	assert_string_equal(name, "/nonexistent: lstat() failed: No such file or directory.");

	v = PROTO_VERDICT_CLEAN;
	assert_int_equal(proto_verdict_parse(S("UNKNOWN COMMAND ERROR\0"), &v, name, sizeof(name)),
			 0);
	assert_int_equal(v, PROTO_VERDICT_ERROR);
	assert_string_equal(name, "UNKNOWN COMMAND");
}

/* The ERROR reasons that mean "over a limit, a retry cannot help". */
static void test_reason_is_limit(void **state)
{
	(void)state;
	/* clamd's own text, as a stock clamd sends it */
	assert_true(proto_reason_is_limit("INSTREAM size limit exceeded."));
	assert_true(proto_reason_is_limit("MIME part limit exceeded."));
	assert_true(proto_reason_is_limit("MIME depth limit exceeded."));
	assert_true(proto_reason_is_limit("MIME decoded size limit exceeded."));
	/* anything else is an ordinary (possibly temporary) error */
	assert_false(proto_reason_is_limit("Request deadline exceeded."));
	assert_false(proto_reason_is_limit("Signature database not loaded yet."));
	assert_false(proto_reason_is_limit("INSTREAM size limit exceeded"));
	assert_false(proto_reason_is_limit("stream: INSTREAM size limit exceeded."));
	assert_false(proto_reason_is_limit(""));
}

static void test_verdict_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"PONG",
		"stream: ok",
		"stream: OK.",
		"stream:OK",
		"stream: foo OK",	/* text between the subject and OK */
		"1: stream: Eicar OK",
		"/tmp/file: not OK",
		"NOT OK",		/* OK without a subject */
		"Eicar FOUND",		/* FOUND without a subject */
		"stream: FOUND",	/* FOUND without a name */
		"stream:  FOUND",
		"FOUND",
		"ERROR",		/* no reason */
		"stream: Eicar found",
		"1: PONG",
		"stream: Eicar FOUND\nstream: OK",	/* a verdict is one line */
		"2 application/zip \"x.zip\" Eicar FOUND\n1 text/plain \"a: b\" OK",
	};
	enum proto_verdict v;
	char name[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (verdict(bad[i], &v, name, sizeof(name)) != -1)
			fail_msg("\"%s\" parsed as verdict %d", bad[i], (int)v);
	}
	/* only terminators are stripped */
	assert_int_equal(proto_verdict_parse(S("stream: OK "), &v, name, sizeof(name)), -1);
}

/* Replies we format are read back as the same verdict. */
static void test_verdict_roundtrip(void **state)
{
	enum proto_verdict v;
	char buf[256], name[128];
	int n;

	(void)state;
	n = proto_reply_found(buf, sizeof(buf), 9, "stream", "Eicar-Test-Signature", '\0');
	assert_true(n > 0);
	assert_int_equal(proto_verdict_parse(buf, (size_t)n, &v, name, sizeof(name)), 0);
	assert_int_equal(v, PROTO_VERDICT_INFECTED);
	assert_string_equal(name, "Eicar-Test-Signature");

	n = proto_reply_ok(buf, sizeof(buf), 0, "stream", '\n');
	assert_true(n > 0);
	assert_int_equal(proto_verdict_parse(buf, (size_t)n, &v, name, sizeof(name)), 0);
	assert_int_equal(v, PROTO_VERDICT_CLEAN);

	n = proto_reply_error(buf, sizeof(buf), 0, NULL, "INSTREAM size limit exceeded.", '\0');
	assert_true(n > 0);
	assert_int_equal(proto_verdict_parse(buf, (size_t)n, &v, name, sizeof(name)), 0);
	assert_int_equal(v, PROTO_VERDICT_ERROR);
	assert_string_equal(name, "INSTREAM size limit exceeded.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_z),
		cmocka_unit_test(test_frame_n),
		cmocka_unit_test(test_frame_need_more),
		cmocka_unit_test(test_frame_bare),
		cmocka_unit_test(test_frame_too_long),
		cmocka_unit_test(test_terminator),
		cmocka_unit_test(test_chunk_header),
		cmocka_unit_test(test_reply_ok),
		cmocka_unit_test(test_reply_found),
		cmocka_unit_test(test_reply_error),
		cmocka_unit_test(test_reply_text),
		cmocka_unit_test(test_reply_too_small),
		cmocka_unit_test(test_verdict_clean),
		cmocka_unit_test(test_verdict_found),
		cmocka_unit_test(test_verdict_error),
		cmocka_unit_test(test_reason_is_limit),
		cmocka_unit_test(test_verdict_invalid),
		cmocka_unit_test(test_verdict_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
