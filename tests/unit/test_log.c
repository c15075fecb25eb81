/*
 * test_log - unit tests of common/log.h log_sanitize(): unprintable bytes,
 * newlines, 8-bit bytes and backslash become \ooo escapes, plain text is
 * copied unchanged, and the result is cut (marked "...") to fit the buffer
 * and always NUL-terminated.
 */
#include "auto-config.h"

#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/log.h"

/* S - a string literal and its length without the final NUL. */
#define S(lit) (lit), (sizeof(lit) - 1)

#define CANARY 'Z'

/* sanitize - log_sanitize() of SRC (LEN bytes) into a SIZE-byte window of
 * a larger canary-filled buffer; fails if anything past SIZE is touched. */
static const char *sanitize(size_t size, const char *src, size_t len)
{
	static char buf[8192];
	size_t i;

	assert_true(size + 64 <= sizeof(buf));
	memset(buf, CANARY, sizeof(buf));
	assert_ptr_equal(log_sanitize(buf, size, src, len), buf);
	for (i = size; i < size + 64; i++)
		if (buf[i] != CANARY)
			fail_msg("log_sanitize(size %zu) wrote byte %zu past the buffer", size,
				 i - size);
	if (size > 0 && memchr(buf, '\0', size) == NULL)
		fail_msg("log_sanitize(size %zu) left the buffer unterminated", size);
	return buf;
}

/* expect - sanitising the SRC bytes into a roomy buffer gives WANT. */
static void expect(const char *src, size_t len, const char *want)
{
	assert_string_equal(sanitize(LOG_SAFE_MAX, src, len), want);
}

static void test_plain_text(void **state)
{
	(void)state;
	expect(S("hello"), "hello");
	expect(S(""), "");
	expect(S("Eicar-Test-Signature"), "Eicar-Test-Signature");
	expect(S("/var/spool/x y/file name.eml"), "/var/spool/x y/file name.eml");
	/* every printable ASCII character but backslash is kept */
	expect(S(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`"
		 "abcdefghijklmnopqrstuvwxyz{|}~"),
	       " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`"
	       "abcdefghijklmnopqrstuvwxyz{|}~");
	/* a format directive is just text */
	expect(S("%s%n%x"), "%s%n%x");
}

static void test_control_characters(void **state)
{
	(void)state;
	expect(S("a\nb"), "a\\012b");
	expect(S("a\r\nb"), "a\\015\\012b");
	expect(S("\t"), "\\011");
	expect(S("\x1b[31mred"), "\\033[31mred");
	expect(S("\x01\x1f"), "\\001\\037");
	expect(S("\x7f"), "\\177");
	/* a NUL inside LEN is escaped, not an end */
	expect(S("a\0b"), "a\\000b");
	/* a forged log line stays on one line */
	expect(S("x\nJan  1 00:00:00 host mxscand[1]: fake"),
	       "x\\012Jan  1 00:00:00 host mxscand[1]: fake");
}

static void test_backslash_and_8bit(void **state)
{
	(void)state;
	/* backslash is escaped so that an escape cannot be forged */
	expect(S("\\"), "\\134");
	expect(S("a\\012b"), "a\\134012b");
	expect(S("\x80"), "\\200");
	expect(S("\xff"), "\\377");
	expect(S("caf\xc3\xa9"), "caf\\303\\251");
	expect(S("\xa0 \xfe"), "\\240 \\376");
}

static void test_every_byte(void **state)
{
	unsigned c;

	(void)state;
	for (c = 0; c < 256; c++) {
		char src = (char)c;
		const char *out = sanitize(16, &src, 1);
		char want[8];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			snprintf(want, sizeof(want), "%c", (int)c);
		else
			snprintf(want, sizeof(want), "\\%03o", c);
		if (strcmp(out, want) != 0)
			fail_msg("byte 0x%02x gave \"%s\", expected \"%s\"", c, out, want);
	}
}

static void test_len_limits_input(void **state)
{
	(void)state;
	/* only LEN bytes are read; SRC need not be terminated */
	expect("hello world", 5, "hello");
	expect("abc", 0, "");
	{
		const char unterminated[3] = {'a', 'b', 'c'};

		expect(unterminated, sizeof(unterminated), "abc");
	}
}

static void test_truncation(void **state)
{
	const char *out;

	(void)state;
	out = sanitize(8, S("abcdefghijklmnop"));
	assert_string_equal(out, "abcd...");
	out = sanitize(16, S("abcdefghijklmnopqrstuvwxyz"));
	assert_string_equal(out, "abcdefghijkl...");
	assert_int_equal(strlen(out), 15);
	/* an escape is never split: it is left out whole */
	out = sanitize(10, S("ab\ncdefghijkl"));
	assert_string_equal(out, "ab\\012...");
	out = sanitize(9, S("ab\ncdefghijkl"));
	assert_string_equal(out, "ab...");
	/* text that fits with room to spare is not marked */
	out = sanitize(32, S("short"));
	assert_string_equal(out, "short");
}

static void test_size_zero(void **state)
{
	char buf[4] = {'x', 'y', 'z', 'w'};

	(void)state;
	/* nothing may be written, not even a NUL */
	assert_ptr_equal(log_sanitize(buf, 0, "abc", 3), buf);
	assert_memory_equal(buf, "xyzw", 4);
}

/* Buffers too small for the "..." mark must still not be overrun. */
static void test_tiny_buffers(void **state)
{
	size_t size;

	(void)state;
	for (size = 1; size < 4; size++) {
		const char *out = sanitize(size, S("abcdef"));

		assert_true(strlen(out) < size);
	}
	/* an empty input fits any buffer */
	for (size = 1; size < 4; size++)
		assert_string_equal(sanitize(size, S("")), "");
}

/* For every buffer size the result is the whole escaped text or a prefix of
 * it cut at an escape boundary and marked "...". */
static void test_truncation_invariants(void **state)
{
	static const char src[] = "mail\\from:\n<\xe2\x80\x8b\x01user@example.org>\r\tend";
	char full[512];
	size_t size, n, flen;

	(void)state;
	snprintf(full, sizeof(full), "%s", sanitize(sizeof(full) - 64, S(src)));
	flen = strlen(full);
	assert_string_equal(full, "mail\\134from:\\012<\\342\\200\\213\\001user@example.org>"
				  "\\015\\011end");
	for (size = 4; size <= flen + 8; size++) {
		const char *out = sanitize(size, S(src));

		n = strlen(out);
		assert_true(n < size);
		if (strcmp(out, full) == 0)
			continue;
		if (n < 3 || strcmp(out + n - 3, "...") != 0)
			fail_msg("size %zu: cut result \"%s\" not marked", size, out);
		if (strncmp(out, full, n - 3) != 0)
			fail_msg("size %zu: \"%s\" is not a prefix of the escaped text", size, out);
		/* the cut is at an escape boundary: the kept part does not end
		 * inside a \ooo sequence */
		{
			const char *bs = strrchr(out, '\\');

			if (bs != NULL && bs >= out + n - 6)
				assert_true(bs + 4 <= out + n - 3);
		}
	}
	/* a big enough buffer keeps everything */
	assert_string_equal(sanitize(flen + 8, S(src)), full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_backslash_and_8bit),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_len_limits_input),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_size_zero),
		cmocka_unit_test(test_tiny_buffers),
		cmocka_unit_test(test_truncation_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
