/*
 * test_mimescan - unit tests of common/mimescan.h (the MIMESCAN reply
 * lines: paths, the exact bytes the daemon writes, the strict part-line
 * parser, the verdict of a whole reply as the scanner client takes it)
 * and of common/mimewalk.h (the part numbering of a GMime tree that
 * mxscand and mxscan-filter share), plus proto_id_prefix.
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

#include <gmime/gmime.h>

#include "common/mimescan.h"
#include "common/mimewalk.h"
#include "common/proto.h"

/* S - a string literal and its length without the final NUL. */
#define S(lit) (lit), (sizeof(lit) - 1)
/* SZ - a string literal and its length with its final NUL (a z-framed reply). */
#define SZ(lit) (lit), sizeof(lit)

static void test_id_prefix(void **state)
{
	char buf[PROTO_ID_PREFIX_MAX];

	(void)state;
	strcpy(buf, "junk");
	assert_int_equal(proto_id_prefix(buf, sizeof(buf), 0), 0);
	assert_string_equal(buf, "");
	assert_int_equal(proto_id_prefix(buf, sizeof(buf), 7), 3);
	assert_string_equal(buf, "7: ");
	assert_int_equal(proto_id_prefix(buf, sizeof(buf), 4294967295u), 12);
	assert_string_equal(buf, "4294967295: ");
	/* a small buffer gets the prefix cut and terminated */
	assert_int_equal(proto_id_prefix(buf, 3, 12345), 7);
	assert_string_equal(buf, "12");
}

static void test_path_build(void **state)
{
	char path[MIMESCAN_PATH_MAX] = "", small[6] = "1.2";

	(void)state;
	assert_int_equal(mimescan_path_child(path, sizeof(path), 3), 0);
	assert_string_equal(path, "3");
	assert_int_equal(mimescan_path_child(path, sizeof(path), 12), 0);
	assert_string_equal(path, "3.12");
	assert_int_equal(mimescan_path_uu(path, sizeof(path), "3.12", 2), 0);
	assert_string_equal(path, "3.12.uu2");
	assert_int_equal(mimescan_path_b64(path, sizeof(path), "1"), 0);
	assert_string_equal(path, "1.b64");
	/* a child that does not fit leaves the path as it was */
	assert_int_equal(mimescan_path_child(small, sizeof(small), 10), -1);
	assert_string_equal(small, "1.2");
	assert_int_equal(mimescan_path_child(small, sizeof(small), 9), 0);
	assert_string_equal(small, "1.2.9");
	assert_int_equal(mimescan_path_uu(small, sizeof(small), "1.2", 1), -1);
	assert_int_equal(mimescan_path_b64(small, 6, "1"), 0);
	assert_string_equal(small, "1.b64");
	assert_int_equal(mimescan_path_b64(small, 6, "12"), -1);
}

static void test_path_parse(void **state)
{
	static const struct {
		const char *path, *part;
		int reading;
	} good[] = {
		{"1", "1", MIMESCAN_READ_PART},
		{"2.10.3", "2.10.3", MIMESCAN_READ_PART},
		{"1.uu1", "1", MIMESCAN_READ_UU},
		{"2.1.uu12", "2.1", MIMESCAN_READ_UU},
		{"3.b64", "3", MIMESCAN_READ_B64},
		{"raw", "", MIMESCAN_READ_RAW},
		{"2147483647", "2147483647", MIMESCAN_READ_PART},
		{"seg4", "seg4", MIMESCAN_READ_SEGMENT},
		{"seg12.b64", "seg12", MIMESCAN_READ_B64},
		{"seg1.b64p", "seg1", MIMESCAN_READ_B64P},
		{"2.1.b64p", "2.1", MIMESCAN_READ_B64P},
		{"3.qp", "3", MIMESCAN_READ_QP},
		{"seg2.uu3", "seg2", MIMESCAN_READ_UU},
		{"1.yenc2", "1", MIMESCAN_READ_YENC},
		{"seg3.hqx1", "seg3", MIMESCAN_READ_HQX},
		{"2.run10", "2", MIMESCAN_READ_RUN},
		{"1.lf", "1", MIMESCAN_READ_LF},
		{"seg2.lf", "seg2", MIMESCAN_READ_LF},
	};
	static const char *const bad[] = {
		"", "0", "01", "1.", ".1", "1..2", "1.0", "1.uu", "1.uu0", "1.uux", "1.b64.1",
		"1.uu1.b64", "1.uu1.2", "raw.1", "RAW", "raw ", "1 2", "1.x", "b64", "uu1",
		"2147483648", "1.b6", "1.B64", "-1", "1:", "1.2a",
		"seg", "seg0", "seg01", "seg1.2", "seg1.", "Seg1", "1.seg1", "seg1.b64pp", "1.qp1",
		"1.run", "1.yenc0", "1.hqx", "seg1.raw", "1.b64p1", "seg1.uu1.qp",
		"1.lf1", "1.LF", "1.lf.b64", "1.uu1.lf", "lf", "1.l", "1.lff",
	};
	char part[MIMESCAN_PATH_MAX];
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		strcpy(part, "junk");
		if (mimescan_path_parse(good[i].path, part, sizeof(part), &err) != good[i].reading)
			fail_msg("path \"%s\" not read as %d", good[i].path, good[i].reading);
		assert_string_equal(part, good[i].part);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		if (mimescan_path_parse(bad[i], part, sizeof(part), &err) != -1)
			fail_msg("path \"%s\" accepted", bad[i]);
		assert_non_null(err);
	}
	/* the part must fit the caller's buffer */
	assert_int_equal(mimescan_path_parse("12.3", part, 4, &err), -1);
	assert_int_equal(mimescan_path_parse("12.uu3", part, 3, &err), MIMESCAN_READ_UU);
	assert_string_equal(part, "12");
	/* every reading's path, as written, reads back as that reading */
	{
		static const int readings[] = {MIMESCAN_READ_UU, MIMESCAN_READ_B64, MIMESCAN_READ_B64P,
					       MIMESCAN_READ_QP, MIMESCAN_READ_YENC, MIMESCAN_READ_HQX,
					       MIMESCAN_READ_RUN, MIMESCAN_READ_SEGMENT,
					       MIMESCAN_READ_LF};
		char p[64];

		for (i = 0; i < sizeof(readings) / sizeof(readings[0]); i++) {
			assert_int_equal(mimescan_path_reading(p, sizeof(p), "2.1",
							       (enum mimescan_reading)readings[i], 7), 0);
			assert_int_equal(mimescan_path_parse(p, part, sizeof(part), &err), readings[i]);
		}
		assert_int_equal(mimescan_path_reading(p, sizeof(p), "2", MIMESCAN_READ_PART, 1), -1);
		assert_int_equal(mimescan_path_reading(p, 5, "2.1", MIMESCAN_READ_RUN, 7), -1);
	}
}

/* assert_line - DST holds exactly WANT and N is its length. */
static void assert_line(const char *dst, int n, const char *want)
{
	if (n != (int)strlen(want) || strcmp(dst, want) != 0)
		fail_msg("wrote \"%s\" (%d), expected \"%s\"", n >= 0 ? dst : "", n, want);
}

/* The bytes mxscand has always sent (doc/mxscand.8, t_mime.py). */
static void test_format_part(void **state)
{
	char buf[MIMESCAN_LINE_MAX];
	int n;

	(void)state;
	n = mimescan_format_part(buf, sizeof(buf), 0, "1", "text/plain", NULL,
				 PROTO_VERDICT_CLEAN, NULL);
	assert_line(buf, n, "1 text/plain - OK\n");
	n = mimescan_format_part(buf, sizeof(buf), 0, "2", "application/zip", "x.zip",
				 PROTO_VERDICT_INFECTED, "Eicar-Test-Signature");
	assert_line(buf, n, "2 application/zip \"x.zip\" Eicar-Test-Signature FOUND\n");
	n = mimescan_format_part(buf, sizeof(buf), 12, "2.1.uu1", "application/octet-stream",
				 "a b", PROTO_VERDICT_ERROR, "Can't allocate memory");
	assert_line(buf, n, "12: 2.1.uu1 application/octet-stream \"a b\" Can't allocate memory "
			    "ERROR\n");
	n = mimescan_format_part(buf, sizeof(buf), 0, "raw", "message/rfc822", "",
				 PROTO_VERDICT_CLEAN, "ignored");
	assert_line(buf, n, "raw message/rfc822 - OK\n");
	/* quotes, backslashes and unprintable bytes of a name as \ooo */
	n = mimescan_format_part(buf, sizeof(buf), 0, "1", "text/plain",
				 "a\"b\\c\td\xc3\xa9~\x7f", PROTO_VERDICT_CLEAN, NULL);
	assert_line(buf, n, "1 text/plain \"a\\042b\\134c\\011d\\303\\251~\\177\" OK\n");
	/* a type as one lower-case printable word */
	n = mimescan_format_part(buf, sizeof(buf), 0, "1", "Text/HTML; x=\xff", NULL,
				 PROTO_VERDICT_CLEAN, NULL);
	assert_line(buf, n, "1 text/html;?x=? - OK\n");
	n = mimescan_format_part(buf, sizeof(buf), 0, "1", "", NULL, PROTO_VERDICT_CLEAN, NULL);
	assert_line(buf, n, "1 ? - OK\n");
	/* control bytes of a signature or reason cannot break the line */
	n = mimescan_format_part(buf, sizeof(buf), 0, "1", "text/plain", NULL,
				 PROTO_VERDICT_INFECTED, "Evil\nstream: OK");
	assert_line(buf, n, "1 text/plain - Evil?stream: OK FOUND\n");
	n = mimescan_format_part(buf, sizeof(buf), 0, "1", "text/plain", NULL,
				 PROTO_VERDICT_ERROR, "");
	assert_line(buf, n, "1 text/plain - ? ERROR\n");
	/* too small a buffer */
	assert_int_equal(mimescan_format_part(buf, 18, 0, "1", "text/plain", NULL,
					      PROTO_VERDICT_CLEAN, NULL), -1);
	n = mimescan_format_part(buf, 19, 0, "1", "text/plain", NULL, PROTO_VERDICT_CLEAN, NULL);
	assert_line(buf, n, "1 text/plain - OK\n");
}

/* Over-long fields are cut, and the line still parses back. */
static void test_format_cut(void **state)
{
	char name[2000], type[400], detail[1500], buf[MIMESCAN_LINE_MAX];
	char path[MIMESCAN_PATH_MAX] = "";
	struct mimescan_part p;
	const char *err = NULL;
	int n, i;

	(void)state;
	memset(name, '"', sizeof(name) - 1);	/* every byte escaped: 4 each */
	name[sizeof(name) - 1] = '\0';
	memset(type, 'A', sizeof(type) - 1);
	type[sizeof(type) - 1] = '\0';
	memset(detail, 'x', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	/* the deepest path mxscand can write: 101 levels of 6-digit numbers */
	for (i = 0; i < 100; i++)
		assert_int_equal(mimescan_path_child(path, sizeof(path), 100000), 0);
	assert_true(strlen(path) < MIMESCAN_PATH_MAX - 10);
	n = mimescan_format_part(buf, sizeof(buf), 4294967295u, path, type, name,
				 PROTO_VERDICT_INFECTED, detail);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_int_equal(buf[n - 1], '\n');
	if (mimescan_parse_part(buf, (size_t)n - 1, 4294967295u, &p, &err) < 0)
		fail_msg("cut line refused: %s", err);
	assert_string_equal(p.path, path);
	assert_int_equal(strlen(p.type), MIMESCAN_TYPE_MAX - 1);
	assert_int_equal(p.type[0], 'a');
	assert_int_equal(strlen(p.detail), MIMESCAN_DETAIL_MAX - 1);
	assert_true(p.has_name);
	assert_true(strlen(p.name) > 100);
	assert_int_equal(strspn(p.name, "\""), strlen(p.name));
	/* with the longest names, type and detail it still fits MIMESCAN_LINE_MAX */
	memset(name, 'n', sizeof(name) - 1);
	n = mimescan_format_part(buf, sizeof(buf), 4294967295u, path, type, name,
				 PROTO_VERDICT_ERROR, detail);
	assert_true(n > 0);
	assert_int_equal(mimescan_parse_part(buf, (size_t)n - 1, 4294967295u, &p, &err), 0);
	assert_int_equal(strlen(p.name), MIMESCAN_NAME_MAX - 7);
}

static void test_format_final(void **state)
{
	char buf[256];
	int n;

	(void)state;
	n = mimescan_format_final(buf, sizeof(buf), 0, PROTO_VERDICT_CLEAN, "", '\0');
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "stream: OK\0", 11);
	n = mimescan_format_final(buf, sizeof(buf), 3, PROTO_VERDICT_INFECTED,
				  "Eicar-Test-Signature", '\n');
	assert_line(buf, n, "3: stream: Eicar-Test-Signature FOUND\n");
	n = mimescan_format_final(buf, sizeof(buf), 0, PROTO_VERDICT_ERROR,
				  PROTO_LIMIT_MIME_PARTS, '\n');
	assert_line(buf, n, "stream: MIME part limit exceeded. ERROR\n");
	assert_int_equal(mimescan_format_final(buf, 10, 0, PROTO_VERDICT_CLEAN, "", '\0'), -1);
}

/* Every verdict kind, with and without a session, reads back as written. */
static void test_roundtrip(void **state)
{
	static const struct {
		unsigned id;
		const char *path, *type, *name;
		enum proto_verdict v;
		const char *detail, *part;
		enum mimescan_reading reading;
	} c[] = {
		{0, "1", "text/plain", NULL, PROTO_VERDICT_CLEAN, NULL, "1", MIMESCAN_READ_PART},
		{0, "2", "application/zip", "x.zip", PROTO_VERDICT_INFECTED, "Eicar-Test-Signature",
		 "2", MIMESCAN_READ_PART},
		{0, "2.1", "application/octet-stream", "a: b", PROTO_VERDICT_ERROR,
		 "MIME decoded size limit exceeded.", "2.1", MIMESCAN_READ_PART},
		{1, "1.uu2", "application/octet-stream", "e.com", PROTO_VERDICT_INFECTED,
		 "Eicar-Test-Signature", "1", MIMESCAN_READ_UU},
		{77, "3.2.b64", "application/octet-stream", "- \"OK\" -", PROTO_VERDICT_CLEAN, NULL,
		 "3.2", MIMESCAN_READ_B64},
		{4294967295u, "raw", "message/rfc822", NULL, PROTO_VERDICT_ERROR,
		 "Request deadline exceeded.", "", MIMESCAN_READ_RAW},
		{0, "1", "text/plain", "stream: x FOUND", PROTO_VERDICT_CLEAN, NULL, "1",
		 MIMESCAN_READ_PART},
		{5, "4", "image/gif", "\\\\server\\x y.exe\xe2\x82\xac", PROTO_VERDICT_INFECTED,
		 "Win.Trojan.Agent-1 (two words)", "4", MIMESCAN_READ_PART},
	};
	char buf[MIMESCAN_LINE_MAX], name[256];
	struct mimescan_part p;
	const char *err = NULL;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = mimescan_format_part(buf, sizeof(buf), c[i].id, c[i].path, c[i].type, c[i].name,
					 c[i].v, c[i].detail);
		assert_true(n > 0);
		if (mimescan_parse_part(buf, (size_t)n - 1, c[i].id, &p, &err) < 0)
			fail_msg("case %zu \"%s\" refused: %s", i, buf, err);
		assert_string_equal(p.path, c[i].path);
		assert_string_equal(p.part, c[i].part);
		assert_int_equal(p.reading, c[i].reading);
		assert_string_equal(p.type, c[i].type);
		assert_int_equal(p.has_name, c[i].name != NULL);
		assert_string_equal(p.name, c[i].name ? c[i].name : "");
		assert_int_equal(p.verdict, c[i].v);
		assert_string_equal(p.detail, c[i].detail ? c[i].detail : "");
		/* and only for its own session */
		assert_int_equal(mimescan_parse_part(buf, (size_t)n - 1, c[i].id + 1, &p, &err), -1);
	}
	/* every byte a name can hold, in two halves (each fits uncut) */
	for (i = 1; i < 256; i++) {
		size_t from = i < 128 ? 1 : 128;

		name[i - from] = (char)i;
		name[i - from + 1] = '\0';
		if (i != 127 && i != 255)
			continue;
		n = mimescan_format_part(buf, sizeof(buf), 0, "1", "a/b", name, PROTO_VERDICT_CLEAN,
					 NULL);
		assert_true(n > 0);
		assert_int_equal(mimescan_parse_part(buf, (size_t)n - 1, 0, &p, &err), 0);
		assert_string_equal(p.name, name);
	}
}

static void test_roundtrip_final(void **state)
{
	static const struct {
		unsigned id;
		enum proto_verdict v;
		const char *detail;
	} c[] = {
		{0, PROTO_VERDICT_CLEAN, ""},
		{0, PROTO_VERDICT_INFECTED, "Eicar-Test-Signature"},
		{0, PROTO_VERDICT_ERROR, "MIME part limit exceeded."},
		{9, PROTO_VERDICT_CLEAN, ""},
		{9, PROTO_VERDICT_INFECTED, "Heuristics.Limits.Exceeded.MaxFileSize"},
		{4294967295u, PROTO_VERDICT_ERROR, "Can't read: the file: gone."},
	};
	static const char terms[] = {'\0', '\n'};
	char buf[256];
	struct mimescan_final f;
	const char *err = NULL;
	size_t i, t;
	int n;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		for (t = 0; t < sizeof(terms); t++) {
			n = mimescan_format_final(buf, sizeof(buf), c[i].id, c[i].v, c[i].detail,
						  terms[t]);
			assert_true(n > 0);
			/* alone, and after a part line */
			if (mimescan_parse_reply(buf, (size_t)n, terms[t], c[i].id, &f, &err) < 0)
				fail_msg("final %zu refused: %s", i, err);
			assert_int_equal(f.verdict, c[i].v);
			assert_string_equal(f.detail, c[i].detail);
			assert_false(f.refusal);
			assert_int_equal(mimescan_parse_final(buf, (size_t)n - 1, c[i].id, &f, &err),
					 0);
			assert_string_equal(f.detail, c[i].detail);
		}
}

/* Lines the formatter could not have written are refused, with a reason. */
static void test_parse_part_malformed(void **state)
{
	static const struct {
		const char *line, *why;	/* WHY: a word of the reason */
	} bad[] = {
		{"", "path"},
		{"1", "path"},
		{"1 text/plain", "content type"},
		{"1 text/plain -", "quoted"},
		{"1 text/plain - ", "end in OK"},
		{"1 text/plain - ok", "end in OK"},
		{"1 text/plain - OK ", "end in OK"},
		{"1 text/plain - NOT OK", "end in OK"},
		{"1 text/plain - FOUND", "end in OK"},
		{"1 text/plain -  FOUND", "end in OK"},
		{"1 text/plain - ERROR", "end in OK"},
		{"1  - OK", "content type"},
		{"1 Text/Plain - OK", "lower-case"},
		{"1 text/pl\x01in - OK", "printable"},
		{"1 text/plain x.zip OK", "quoted"},
		{"1 text/plain \"x.zip OK", "closing quote"},
		{"1 text/plain \"x.zip\"OK", "no verdict"},
		{"1 text/plain \"x.zip\"", "no verdict"},
		{"1 text/plain \"\" OK", "empty"},
		{"1 text/plain \"a\\101\" OK", "escape"},
		{"1 text/plain \"a\\000\" OK", "escape"},
		{"1 text/plain \"a\\400\" OK", "escape"},
		{"1 text/plain \"a\\12\" OK", "escape"},
		{"1 text/plain \"a\\x\" OK", "escape"},
		{"1 text/plain \"a\\", "escape"},
		{"1 text/plain \"a\xe9\" OK", "unprintable"},
		{"1 text/plain \"a\tb\" OK", "unprintable"},
		{"1 text/plain - Ev\til FOUND", "control"},
		{"1 text/plain - Evil\r FOUND", "control"},
		{"stream: OK", "path"},
		{"stream: Eicar FOUND", "path"},
		{"0 text/plain - OK", "path"},
		{"1.uu text/plain - OK", "uu"},
		{"1: 1 text/plain - OK", "path"},
		{"1 text/plain - OK\n", "newline"},
	};
	struct mimescan_part p;
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		if (mimescan_parse_part(bad[i].line, strlen(bad[i].line), 0, &p, &err) != -1)
			fail_msg("\"%s\" accepted", bad[i].line);
		if (err == NULL || strstr(err, bad[i].why) == NULL)
			fail_msg("\"%s\": reason \"%s\", expected one naming \"%s\"", bad[i].line,
				 err ? err : "(none)", bad[i].why);
	}
	/* a NUL inside */
	assert_int_equal(mimescan_parse_part(S("1 text/plain - O\0K"), 0, &p, &err), -1);
	/* the session prefix is required inside a session, and refused outside */
	assert_int_equal(mimescan_parse_part(S("1 text/plain - OK"), 3, &p, &err), -1);
	assert_non_null(strstr(err, "prefix"));
	assert_int_equal(mimescan_parse_part(S("3: 1 text/plain - OK"), 3, &p, &err), 0);
	assert_int_equal(mimescan_parse_part(S("03: 1 text/plain - OK"), 3, &p, &err), -1);
	/* an over-long name, type or detail */
	{
		char line[3000];

		snprintf(line, sizeof(line), "1 text/plain \"%0*d\" OK", MIMESCAN_NAME_MAX - 2, 0);
		assert_int_equal(mimescan_parse_part(line, strlen(line), 0, &p, &err), -1);
		assert_non_null(strstr(err, "too long"));
		snprintf(line, sizeof(line), "1 text/plain \"%0*d\" OK", MIMESCAN_NAME_MAX - 3, 0);
		assert_int_equal(mimescan_parse_part(line, strlen(line), 0, &p, &err), 0);
		/* an escape running past the limit */
		snprintf(line, sizeof(line), "1 text/plain \"%0*d\\042\" OK", MIMESCAN_NAME_MAX - 5,
			 0);
		assert_int_equal(mimescan_parse_part(line, strlen(line), 0, &p, &err), -1);
		assert_non_null(strstr(err, "too long"));
		snprintf(line, sizeof(line), "1 %0*d - OK", MIMESCAN_TYPE_MAX, 0);
		assert_int_equal(mimescan_parse_part(line, strlen(line), 0, &p, &err), -1);
		assert_string_equal(err, "the content type is too long");
		snprintf(line, sizeof(line), "1 %0*d - OK", MIMESCAN_TYPE_MAX - 1, 0);
		assert_int_equal(mimescan_parse_part(line, strlen(line), 0, &p, &err), 0);
		memset(line, '1', MIMESCAN_PATH_MAX);
		snprintf(line + MIMESCAN_PATH_MAX, sizeof(line) - MIMESCAN_PATH_MAX,
			 " text/plain - OK");
		assert_int_equal(mimescan_parse_part(line, strlen(line), 0, &p, &err), -1);
		assert_string_equal(err, "the path is too long");
		snprintf(line, sizeof(line), "1 text/plain - %0*d FOUND", MIMESCAN_DETAIL_MAX, 0);
		assert_int_equal(mimescan_parse_part(line, strlen(line), 0, &p, &err), -1);
		assert_non_null(strstr(err, "too long"));
	}
}

/* The verdict of a whole reply, as the scanner client takes it. */
static void test_parse_reply(void **state)
{
	struct mimescan_final f;
	const char *err;

	(void)state;
	assert_int_equal(mimescan_parse_reply(SZ("1 text/plain - OK\nstream: OK"), '\0', 0, &f,
					      &err),
			 0);
	assert_int_equal(f.verdict, PROTO_VERDICT_CLEAN);
	assert_string_equal(f.detail, "");
	assert_int_equal(mimescan_parse_reply(SZ("1 text/plain - OK\n2 application/zip \"x.zip\" "
						 "Eicar FOUND\nstream: Eicar FOUND"),
					      '\0', 0, &f, &err),
			 0);
	assert_int_equal(f.verdict, PROTO_VERDICT_INFECTED);
	assert_string_equal(f.detail, "Eicar");
	assert_int_equal(mimescan_parse_reply(SZ("stream: MIME depth limit exceeded. ERROR"), '\0',
					      0, &f, &err),
			 0);
	assert_int_equal(f.verdict, PROTO_VERDICT_ERROR);
	assert_string_equal(f.detail, "MIME depth limit exceeded.");
	assert_false(f.refusal);
	/* the reason keeps its own ": " */
	assert_int_equal(mimescan_parse_reply(SZ("raw message/rfc822 - x ERROR\nstream: Can't "
						 "read: x ERROR"),
					      '\0', 0, &f, &err),
			 0);
	assert_string_equal(f.detail, "Can't read: x");
	/* newlines before the terminator are ignored */
	assert_int_equal(mimescan_parse_reply(SZ("1 text/plain - OK\nstream: OK\n\n"), '\0', 0, &f,
					      &err),
			 0);
	assert_int_equal(f.verdict, PROTO_VERDICT_CLEAN);
	/* n framing */
	assert_int_equal(mimescan_parse_reply(S("1 text/plain - OK\nstream: OK\n"), '\n', 0, &f,
					      &err),
			 0);
	/* in a session, every line carries the id */
	assert_int_equal(mimescan_parse_reply(SZ("7: 1 text/plain - OK\n7: stream: x FOUND"), '\0',
					      7, &f, &err),
			 0);
	assert_string_equal(f.detail, "x");
	assert_int_equal(mimescan_parse_reply(SZ("7: stream: x FOUND"), '\0', 0, &f, &err), -1);
	assert_int_equal(mimescan_parse_reply(SZ("7: stream: OK"), '\0', 8, &f, &err), -1);

	/* a refusal: one ERROR line of any form */
	assert_int_equal(mimescan_parse_reply(SZ("INSTREAM size limit exceeded. ERROR"), '\0', 0,
					      &f, &err),
			 0);
	assert_int_equal(f.verdict, PROTO_VERDICT_ERROR);
	assert_true(f.refusal);
	assert_string_equal(f.detail, "INSTREAM size limit exceeded.");
	assert_int_equal(mimescan_parse_reply(SZ("fd[10]: lstat() failed ERROR\n"), '\0', 0, &f,
					      &err),
			 0);
	assert_true(f.refusal);
	assert_string_equal(f.detail, "fd[10]: lstat() failed");
	/* ... but only one line, and only ERROR */
	assert_int_equal(mimescan_parse_reply(SZ("1 text/plain - OK\nINSTREAM size limit exceeded. "
						 "ERROR"),
					      '\0', 0, &f, &err),
			 -1);
	assert_int_equal(mimescan_parse_reply(SZ("1 text/plain \"a: b\" x FOUND"), '\0', 0, &f,
					      &err),
			 -1);
	/* the last line is a part line: not a verdict (its name is "a: b") */
	assert_int_equal(mimescan_parse_reply(SZ("1 text/plain \"a: b\" OK"), '\0', 0, &f, &err),
			 -1);
	assert_non_null(strstr(err, "stream"));
	assert_int_equal(mimescan_parse_reply(SZ("stream: OK\n1 text/plain \"a: b\" OK"), '\0', 0,
					      &f, &err),
			 -1);
	/* cut before the terminator */
	assert_int_equal(mimescan_parse_reply(S("stream: OK"), '\0', 0, &f, &err), -1);
	assert_non_null(strstr(err, "terminator"));
	assert_int_equal(mimescan_parse_reply(S("1 text/plain \"a: b\" OK\n"), '\0', 0, &f, &err),
			 -1);
	assert_int_equal(mimescan_parse_reply(S("1 text/plain \"a: b\" OK\n2 application/"), '\0',
					      0, &f, &err),
			 -1);
	assert_int_equal(mimescan_parse_reply("", 0, '\0', 0, &f, &err), -1);
	/* a NUL inside */
	assert_int_equal(mimescan_parse_reply(SZ("stream: OK\0stream: OK"), '\0', 0, &f, &err), -1);
	/* nothing, or no verdict */
	assert_int_equal(mimescan_parse_reply(SZ(""), '\0', 0, &f, &err), -1);
	assert_int_equal(mimescan_parse_reply(SZ("\n\n"), '\0', 0, &f, &err), -1);
	assert_int_equal(mimescan_parse_reply(SZ("stream: ok"), '\0', 0, &f, &err), -1);
	assert_int_equal(mimescan_parse_reply(SZ("PONG"), '\0', 0, &f, &err), -1);
	assert_int_equal(mimescan_parse_reply(SZ("UNKNOWN COMMAND"), '\0', 0, &f, &err), -1);
}

static void test_next_part(void **state)
{
	static const char reply[] = "1 text/plain - OK\n"
				    "1.uu1 application/octet-stream \"e.com\" Eicar FOUND\n"
				    "raw message/rfc822 - OK\n"
				    "stream: Eicar FOUND\n";
	struct mimescan_part p;
	const char *err;
	size_t pos = 0;

	(void)state;
	assert_int_equal(mimescan_next_part(reply, sizeof(reply), '\0', 0, &pos, &p, &err), 1);
	assert_string_equal(p.path, "1");
	assert_int_equal(p.verdict, PROTO_VERDICT_CLEAN);
	assert_int_equal(mimescan_next_part(reply, sizeof(reply), '\0', 0, &pos, &p, &err), 1);
	assert_string_equal(p.path, "1.uu1");
	assert_string_equal(p.part, "1");
	assert_int_equal(p.reading, MIMESCAN_READ_UU);
	assert_string_equal(p.name, "e.com");
	assert_int_equal(p.verdict, PROTO_VERDICT_INFECTED);
	assert_string_equal(p.detail, "Eicar");
	assert_int_equal(mimescan_next_part(reply, sizeof(reply), '\0', 0, &pos, &p, &err), 1);
	assert_int_equal(p.reading, MIMESCAN_READ_RAW);
	/* the final line is no part line */
	assert_int_equal(mimescan_next_part(reply, sizeof(reply), '\0', 0, &pos, &p, &err), 0);
	assert_int_equal(mimescan_next_part(reply, sizeof(reply), '\0', 0, &pos, &p, &err), 0);

	/* a one-line reply has none */
	pos = 0;
	assert_int_equal(mimescan_next_part(SZ("stream: OK"), '\0', 0, &pos, &p, &err), 0);
	/* a malformed line is an error, with its reason */
	pos = 0;
	assert_int_equal(mimescan_next_part(SZ("1 text/plain - OK\ngarbage\nstream: OK"), '\0', 0,
					    &pos, &p, &err),
			 1);
	err = NULL;
	assert_int_equal(mimescan_next_part(SZ("1 text/plain - OK\ngarbage\nstream: OK"), '\0', 0,
					    &pos, &p, &err),
			 -1);
	assert_non_null(err);
	/* a cut reply is refused here too */
	pos = 0;
	assert_int_equal(mimescan_next_part(S("1 text/plain - OK\nstream: OK"), '\0', 0, &pos, &p,
					    &err),
			 -1);
}

/* --- the walk ---------------------------------------------------------- */

/* message - MSG parsed by GMime. */
static GMimeMessage *message(const char *text)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeParser *parser = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(s);
	assert_non_null(m);
	return m;
}

struct trace {
	char text[32768];
	int visits, stop_at;
};

/* trace_visit - "<kind><path>@<depth> " for each object. */
static enum mimewalk_step trace_visit(const struct mimewalk_node *node, void *ctx)
{
	static const char kinds[] = "MRLO";
	struct trace *t = ctx;
	size_t n = strlen(t->text);

	snprintf(t->text + n, sizeof(t->text) - n, "%s%c%s@%d", n ? " " : "", kinds[node->kind],
		 *node->path ? node->path : "-", node->depth);
	return ++t->visits == t->stop_at ? MIMEWALK_STOP : MIMEWALK_CONTINUE;
}

/* walk - the trace of MSG's walk. */
static const char *walk(GMimeMessage *msg, struct trace *t)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(mimewalk_message(msg, trace_visit, t), 0);
	return t->text;
}

#define HDR "From: a@example.test\r\nTo: b@example.test\r\nSubject: t\r\nMIME-Version: 1.0\r\n"

static const char single[] = HDR "Content-Type: text/plain\r\n\r\nhello\r\n";

static const char mixed[] = HDR
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	"--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n"
	"--b2\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
	"--b2\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
	"--b2--\r\n"
	"--b1\r\nContent-Type: application/zip; name=\"x.zip\"\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n"
	"--b1--\r\n";

static const char forwarded[] = HDR
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	"--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
	"--b1\r\nContent-Type: message/rfc822\r\n\r\n"
	HDR "Content-Type: multipart/mixed; boundary=\"b3\"\r\n\r\n"
	"--b3\r\nContent-Type: text/plain\r\n\r\ninner\r\n"
	"--b3\r\nContent-Type: application/octet-stream; name=\"e.com\"\r\n\r\nX\r\n"
	"--b3--\r\n"
	"--b1\r\nContent-Type: message/rfc822\r\n\r\n"
	HDR "Content-Type: text/plain\r\n\r\nsingle inner\r\n"
	"--b1--\r\n";

static const char top_rfc822[] = HDR "Content-Type: message/rfc822\r\n\r\n"
	HDR "Content-Type: text/plain\r\n\r\nwrapped\r\n";

static void test_walk_shapes(void **state)
{
	struct trace t;
	GMimeMessage *m;

	(void)state;
	m = message(single);
	assert_string_equal(walk(m, &t), "L1@1");
	g_object_unref(m);

	m = message(mixed);
	assert_string_equal(walk(m, &t), "M-@1 M1@2 L1.1@3 L1.2@3 L2@2");
	g_object_unref(m);

	m = message(forwarded);
	assert_string_equal(walk(m, &t),
			    "M-@1 L1@2 R2@2 M2.1@3 L2.1.1@4 L2.1.2@4 R3@2 L3.1@3");
	g_object_unref(m);

	m = message(top_rfc822);
	assert_string_equal(walk(m, &t), "R1@1 L1.1@2");
	g_object_unref(m);

	/* no message at all */
	memset(&t, 0, sizeof(t));
	assert_int_equal(mimewalk_message(NULL, trace_visit, &t), 0);
	assert_int_equal(t.visits, 0);
}

static void test_walk_stop(void **state)
{
	struct trace t;
	GMimeMessage *m = message(forwarded);

	(void)state;
	memset(&t, 0, sizeof(t));
	t.stop_at = 4;
	assert_int_equal(mimewalk_message(m, trace_visit, &t), 1);
	assert_string_equal(t.text, "M-@1 L1@2 R2@2 M2.1@3");
	/* stopping at a container skips its children and all after it */
	memset(&t, 0, sizeof(t));
	t.stop_at = 3;
	assert_int_equal(mimewalk_message(m, trace_visit, &t), 1);
	assert_string_equal(t.text, "M-@1 L1@2 R2@2");
	g_object_unref(m);
}

/* Multiparts nested deeper than MIMEWALK_DEPTH_MAX: the walk ends there. */
static void test_walk_depth(void **state)
{
	size_t cap = 64 * 1024, n = 0;
	char *text = malloc(cap), want[64];
	struct trace t;
	GMimeMessage *m;
	int i, levels = MIMEWALK_DEPTH_MAX + 5;
	const char *last;

	(void)state;
	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n, "%s", HDR);
	for (i = 0; i < levels; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "Content-Type: multipart/mixed; boundary=\"d%d\"\r\n\r\n"
				      "--d%d\r\n", i, i);
	n += (size_t)snprintf(text + n, cap - n, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	for (i = levels - 1; i >= 0; i--)
		n += (size_t)snprintf(text + n, cap - n, "--d%d--\r\n", i);
	m = message(text);
	walk(m, &t);
	last = strrchr(t.text, ' ');
	assert_non_null(last);
	/* depth 101: the top multipart, then 100 levels of "1" */
	snprintf(want, sizeof(want), "@%d", MIMEWALK_DEPTH_MAX);
	assert_non_null(strstr(last, want));
	assert_int_equal(t.visits, MIMEWALK_DEPTH_MAX);
	assert_int_equal(strncmp(last, " M1.1.1.1", 9), 0);
	g_object_unref(m);
	free(text);
}

/* mimewalk_find: each leaf by its number, with where it hangs. */
static void test_walk_find(void **state)
{
	struct mimewalk_node n;
	GMimeMessage *m = message(forwarded), *single_m = message(single);

	(void)state;
	assert_int_equal(mimewalk_find(m, "1", &n), 0);
	assert_int_equal(n.kind, MIMEWALK_LEAF);
	assert_null(n.path);
	assert_non_null(n.parent);
	assert_int_equal(n.index, 0);
	assert_ptr_equal(GMIME_OBJECT(n.parent), g_mime_message_get_mime_part(m));
	assert_ptr_equal(g_mime_multipart_get_part(n.parent, n.index), n.object);

	assert_int_equal(mimewalk_find(m, "2.1.2", &n), 0);
	assert_int_equal(n.depth, 4);
	assert_int_equal(n.index, 1);
	assert_string_equal(g_mime_part_get_filename(GMIME_PART(n.object)), "e.com");

	/* the body of an attached message hangs on that message */
	assert_int_equal(mimewalk_find(m, "3.1", &n), 0);
	assert_null(n.parent);
	assert_non_null(n.message);
	assert_ptr_equal(g_mime_message_get_mime_part(n.message), n.object);

	/* containers and numbers no part has are not found */
	assert_int_equal(mimewalk_find(m, "2", &n), -1);
	assert_int_equal(mimewalk_find(m, "2.1", &n), -1);
	assert_int_equal(mimewalk_find(m, "4", &n), -1);
	assert_int_equal(mimewalk_find(m, "", &n), -1);
	assert_int_equal(mimewalk_find(m, "raw", &n), -1);

	/* a single-part message: part 1 is the message's body */
	assert_int_equal(mimewalk_find(single_m, "1", &n), 0);
	assert_null(n.parent);
	assert_ptr_equal(n.message, single_m);
	assert_int_equal(mimewalk_find(single_m, "1.1", &n), -1);
	g_object_unref(m);
	g_object_unref(single_m);
}

static int gmime_up(void **state)
{
	(void)state;
	g_mime_init();
	return 0;
}

static int gmime_down(void **state)
{
	(void)state;
	g_mime_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_prefix),
		cmocka_unit_test(test_path_build),
		cmocka_unit_test(test_path_parse),
		cmocka_unit_test(test_format_part),
		cmocka_unit_test(test_format_cut),
		cmocka_unit_test(test_format_final),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_final),
		cmocka_unit_test(test_parse_part_malformed),
		cmocka_unit_test(test_parse_reply),
		cmocka_unit_test(test_next_part),
		cmocka_unit_test(test_walk_shapes),
		cmocka_unit_test(test_walk_stop),
		cmocka_unit_test(test_walk_depth),
		cmocka_unit_test(test_walk_find),
	};

	return cmocka_run_group_tests(tests, gmime_up, gmime_down);
}
