/*
 * test_decode - unit tests of the lenient decoders (common/base64.h,
 * qp.h, uu.h, yenc.h, binhex.h), of libclamav's text layout (mailtext.h) and of MIMESCAN's boundary-discovering
 * splitter (scanner/split.h): tables of inputs as broken mail carries
 * them and the bytes a mail client reads from them.
 */
#include "auto-config.h"

#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/base64.h"
#include "common/binhex.h"
#include "common/mailtext.h"
#include "common/qp.h"
#include "common/uu.h"
#include "common/yenc.h"
#include "scanner/split.h"

#define U(s) ((const unsigned char *)(s))

/* assert_bytes - OUT (N bytes) is exactly the string WANT. */
static void assert_bytes(const unsigned char *out, size_t n, const char *want)
{
	if (n != strlen(want) || memcmp(out, want, n) != 0)
		fail_msg("decoded \"%.*s\" (%zu), expected \"%s\"", (int)n, (const char *)out, n, want);
}

static void test_base64(void **state)
{
	static const struct {
		const char *in, *restart, *skip;
	} cases[] = {
		{"SGVsbG8sIHdvcmxk", "Hello, world", "Hello, world"},
		{"SGVs\r\nbG8s\r\n IHdv\tcmxk\r\n", "Hello, world", "Hello, world"},	/* lines, blanks */
		{"SG!Vs*bG8s#IHdv~cmxk", "Hello, world", "Hello, world"},	/* junk skipped */
		{"SGVsbG8", "Hello", "Hello"},	/* padding missing */
		/* two padded blocks: joined, or the first (Python's reading) */
		{"SGVsbA==SGVsbA==", "HellHell", "Hell"},
		{"SG=VsbG8=", "HV\xc6\xc6", "Hello"},	/* a stray '=' inside the data */
		{"SGVsbG8=!!junk", "Hello\x8e\xe9\xe4", "Hello"},	/* junk after the padding */
		{"", "", ""},
		{"====", "", ""},
	};
	unsigned char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = base64_decode(U(cases[i].in), strlen(cases[i].in), out, BASE64_PAD_RESTART);
		assert_bytes(out, n, cases[i].restart);
		n = base64_decode(U(cases[i].in), strlen(cases[i].in), out, BASE64_PAD_SKIP);
		assert_bytes(out, n, cases[i].skip);
	}
	assert_int_equal(base64_inner_pad(U("SG=VsbG8="), 9), 1);
	assert_int_equal(base64_inner_pad(U("SGVsbG8=\r\n"), 10), 0);
	assert_int_equal(base64_inner_pad(U("SGVsbA==SGVsbA=="), 16), 1);
}

static void test_base64_runs(void **state)
{
	const char *t = "Dear user,\r\nthe file is below:\r\n\r\n"
			"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n"
			"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n\r\n"
			"-- \r\nshort\r\nregards\r\n"
			"MDEyMzQ1Njc4OTAxMjM0NTY3ODk=\r\n";
	size_t pos = 0, a, b;

	(void)state;
	assert_int_equal(base64_next_run(U(t), strlen(t), &pos, 40, &a, &b), 1);
	assert_int_equal(a, strlen("Dear user,\r\nthe file is below:\r\n\r\n"));
	assert_int_equal(b, a + 2 * 38);
	/* "short", "regards" and the last line: 39 alphabet bytes, too few */
	assert_int_equal(base64_next_run(U(t), strlen(t), &pos, 40, &a, &b), 0);
	pos = 0;
	assert_int_equal(base64_next_run(U(t), strlen(t), &pos, 20, &a, &b), 1);
	assert_int_equal(base64_next_run(U(t), strlen(t), &pos, 20, &a, &b), 1);
	assert_int_equal(b, strlen(t));
	assert_int_equal(base64_line(U("  QUJD== \r"), 10), 4);
	assert_int_equal(base64_line(U("QUJD QUJD"), 9), -1);	/* words: prose */
	assert_int_equal(base64_line(U("QUJD: x"), 7), -1);
}

static void test_qp(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"a=3Db=3d", "a=b="},			/* hex in either case */
		{"soft=\r\nbreak", "softbreak"},
		{"soft= \t \r\nbreak=\nend", "softbreakend"},	/* blanks before the line end */
		{"=X1 =ZZ =G", "=X1 =ZZ =G"},		/* invalid escapes stay */
		{"hard\r\nbreak", "hard\r\nbreak"},
		{"=41=42=43=", "ABC"},			/* '=' at the very end: soft */
		{"=4", "=4"},
	};
	unsigned char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_bytes(out, qp_decode(U(cases[i].in), strlen(cases[i].in), out), cases[i].out);
	assert_int_equal(qp_looks_encoded(U("=41=42=43=44"), 12, 4), 1);
	assert_int_equal(qp_looks_encoded(U("=41=42=4x=44"), 12, 4), 0);
}

static void test_uu(void **state)
{
	/* "Cat" uuencoded; the begin lines as loose as encoders write them */
	static const char *const texts[] = {
		"hello\r\nbegin 644 cat.txt\r\n#0V%T\r\n`\r\nend\r\nbye\r\n",
		"begin  0644   cat.txt\n#0V%T\n`\nend\n",
		"begin 644 cat.txt\n#0V%T\n",	/* no end */
		"begin 6 cat.txt\n#0V%T\n`\nend\n",
	};
	unsigned char out[64];
	struct uu_file f;
	size_t i, pos;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		pos = 0;
		assert_int_equal(uu_next(texts[i], strlen(texts[i]), &pos, &f), 1);
		assert_string_equal(f.name, "cat.txt");
		assert_bytes(out, uu_decode(texts[i], strlen(texts[i]), &pos, out, sizeof(out)), "Cat");
	}
	pos = 0;	/* not begin lines */
	assert_int_equal(uu_next("begin here\nbegin 9x a\nbegin 644\n", 33, &pos, &f), 0);
	pos = 0;	/* a short line yields what it holds; the cap holds */
	assert_int_equal(uu_next(texts[0], strlen(texts[0]), &pos, &f), 1);
	assert_int_equal(uu_decode(texts[0], strlen(texts[0]), &pos, out, 2), 2);
	assert_bytes(out, uu_decode("M0V%T\n", 6, &(size_t){0}, out, sizeof(out)), "Cat");
}

static void test_yenc(void **state)
{
	const char t[] = "text\r\n=ybegin line=128 size=12 name=y.bin\r\n"
			 "=ypart begin=1 end=12\r\n*=}g=@=MJ\xa3o\x98\x8dX4\r\n=yend size=12\r\nmore\r\n";
	unsigned char out[64];
	struct yenc_file f;
	size_t pos = 0;

	(void)state;
	assert_int_equal(yenc_next(t, sizeof(t) - 1, &pos, &f), 1);
	assert_string_equal(f.name, "y.bin");
	assert_int_equal(yenc_decode(U(t) + f.data, f.end - f.data, out), 12);
	assert_memory_equal(out, "\x00\x13=\xd6\xe3 yEnc.\n", 12);
	assert_int_equal(yenc_next(t, sizeof(t) - 1, &pos, &f), 0);
	pos = 0;	/* no =yend: the file runs to the end */
	assert_int_equal(yenc_next("=ybegin name=a\r\n*+,", 19, &pos, &f), 1);
	assert_int_equal(f.end, 19);
}

static void test_binhex(void **state)
{
	/* name r.bin, data fork "AB" 0x90 0x04 (B four times) 0x90 0x00 (0x90) "Z" */
	const char t[] = "junk\r\n(This file must be converted with BinHex 4.0)\r\n\r\n"
			 ":\"A)ZBQPZ!%**6N&YH(0M!!!!!!!(!!!!!!!!\r\n38+3\"*!!@J!!!!!:\r\n";
	unsigned char out[256];
	struct binhex_forks f;
	size_t pos = 0, a, b, n;

	(void)state;
	assert_int_equal(binhex_next(t, sizeof(t) - 1, &pos, 0, &a, &b), 1);
	n = binhex_decode(U(t) + a, b - a, out, sizeof(out), &f);
	assert_true(n > 0);
	assert_string_equal(f.name, "r.bin");
	assert_int_equal(f.rsrc_len, 0);
	assert_int_equal(f.data_len, 7);
	assert_memory_equal(out + f.data, "ABBBB\x90Z", 7);
	/* the cap bounds run-length expansion; no header, no forks */
	assert_int_equal(binhex_decode(U(t) + a, b - a, out, 4, &f), 0);
	pos = 0;	/* without the banner only when told (a body declared binhex) */
	assert_int_equal(binhex_next(":abc:", 5, &pos, 0, &a, &b), 0);
	pos = 0;
	assert_int_equal(binhex_next(":abc:", 5, &pos, 1, &a, &b), 1);
	assert_int_equal(b - a, 3);
}

/* segments - the bodies split_next gives for MSG, joined by '|'. */
static const char *segments(const char *msg)
{
	static char buf[1024];
	struct split s;
	struct split_segment seg;
	size_t o = 0;

	split_init(&s, msg, strlen(msg));
	while (split_next(&s, &seg) && o + (seg.end - seg.body) + 2 < sizeof(buf)) {
		memcpy(buf + o, msg + seg.body, seg.end - seg.body);
		o += seg.end - seg.body;
		buf[o++] = '|';
	}
	buf[o] = '\0';
	return buf;
}

static void test_split(void **state)
{
	static const struct {
		const char *msg, *bodies;
	} cases[] = {
		/* as declared */
		{"Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\nA: 1\r\n\r\none\r\n"
		 "--b\r\n\r\ntwo\r\n--b--\r\n", "pre|one|two||"},
		/* a boundary only in the body, a missing close, trailing junk */
		{"Subject: x\r\n\r\n--zz\r\nA: 1\r\n\r\none\r\n--zz junk\r\nB: 2\r\n\r\ntwo", "|one|two|"},
		/* one boundary a prefix of another, an outer delimiter inside */
		{"Content-Type: multipart/mixed; boundary=\"ab\"\r\n\r\n--ab\r\nContent-Type: multipart/"
		 "mixed; boundary=abcd\r\n\r\n--abcd\r\nX: 1\r\n\r\nin\r\n--ab\r\nY: 2\r\n\r\nout\r\n",
		 "||in|out\r\n|"},	/* no close delimiter: the last line end stays */
		/* headers without the blank line */
		{"--q\r\nContent-Type: a/b\r\nQUJD\r\n--q--\r\n", "|QUJD||"},
		/* no boundary at all: the message is one segment */
		{"From: a\r\n\r\n-- \r\nsig\r\n", "-- \r\nsig\r\n|"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(segments(cases[i].msg), cases[i].bodies);
	assert_int_equal(split_header_line("Content-Type: x", 15), 1);
	assert_int_equal(split_header_line("not a header: x", 15), 0);
}

/* test_mailtext - text bodies as libclamav's mail parser writes them. */
static void test_mailtext(void **state)
{
	static const struct {
		const char *in;
		size_t n;	/* 0: strlen */
		int flags;
		const char *want;
		size_t wn;	/* 0: strlen */
	} cases[] = {
		{"a\r\nb\r\n", 0, MAILTEXT_SENT, "a\nb\n", 0},
		{"a\r\nb", 0, MAILTEXT_SENT, "a\nb\n", 0},	/* the last line ended */
		{"a\nb\rc\n\rd\r\ne", 0, MAILTEXT_SENT, "a\nb\nc\nd\ne\n", 0},	/* every line end */
		{"a\r\rb", 0, MAILTEXT_SENT, "a\n\nb\n", 0},	/* CR CR: two ends */
		{"a\n\nb", 0, MAILTEXT_SENT, "a\n\nb\n", 0},
		{"a\r\n \t\r\nb", 0, MAILTEXT_SENT, "a\n \nb\n", 0},	/* blanks only: one space */
		{" a \r\n", 0, MAILTEXT_SENT, " a \n", 0},	/* other blanks kept */
		{"a\0b\r\n", 5, MAILTEXT_SENT, "ab\n", 0},	/* NUL dropped as sent */
		{"a\0b\r\n", 5, 0, "a\0b\n", 4},	/* and kept once decoded */
		{"a\r\n\r\n\r\nb\r\n", 0, MAILTEXT_SENT, "a\n\n\nb\n", 0},
		{"a\r\n\r\n\r\n\r\nb\r\n", 0, MAILTEXT_SENT | MAILTEXT_COLLAPSE, "a\n\nb\n", 0},
		{"a\r\n\r\n \r\n\r\nb", 0, MAILTEXT_COLLAPSE, "a\n\n \n\nb\n", 0},	/* a blank line breaks the run */
		{"", 0, MAILTEXT_SENT, "", 0},
	};
	unsigned char out[4096], in[4096];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].n ? cases[i].n : strlen(cases[i].in);
		size_t wlen = cases[i].wn ? cases[i].wn : strlen(cases[i].want);

		n = mailtext_lf(U(cases[i].in), len, cases[i].flags, out);
		if (n != wlen || memcmp(out, cases[i].want, n) != 0)
			fail_msg("case %zu: \"%.*s\" (%zu)", i, (int)n, (const char *)out, n);
	}
	/* a line as sent is cut after 999 bytes; its line end then ends an
	 * empty line of its own; NULs count towards the cut */
	memset(in, 'x', 999);
	memcpy(in + 999, "\r\ny", 3);
	n = mailtext_lf(in, 1002, MAILTEXT_SENT, out);
	assert_int_equal(n, 999 + 1 + 1 + 2);
	assert_memory_equal(out + 999, "\n\ny\n", 4);
	memset(in, 'x', 2000);
	in[10] = '\0';
	n = mailtext_lf(in, 2000, MAILTEXT_SENT, out);
	assert_int_equal(n, 2000 - 1 + 3);
	assert_int_equal(out[998], '\n');
	assert_true(n <= MAILTEXT_MAX(2000));
	n = mailtext_lf(in, 2000, 0, out);	/* decoded: never cut */
	assert_int_equal(n, 2001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64), cmocka_unit_test(test_base64_runs),
		cmocka_unit_test(test_qp),     cmocka_unit_test(test_uu),
		cmocka_unit_test(test_yenc),   cmocka_unit_test(test_binhex),
		cmocka_unit_test(test_split),  cmocka_unit_test(test_mailtext),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
