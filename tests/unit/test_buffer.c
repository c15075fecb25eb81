/*
 * test_buffer - unit tests of common/buffer.h: append and consume keep the
 * readable bytes in order, reserve/commit adds bytes written in place,
 * appendf formats strings of any length, steal hands over a terminated
 * string and leaves the buffer empty, trim gives back storage only from
 * an empty buffer, the consumed front is reclaimed before the storage
 * grows, and sizes of many megabytes work.
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

#include "common/buffer.h"

/* S - a string literal and its length without the final NUL. */
#define S(lit) (lit), (sizeof(lit) - 1)

static void test_empty(void **state)
{
	struct buffer zero, init = BUFFER_INIT;
	char *s;
	size_t len = 99;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(buffer_len(&zero), 0);
	assert_non_null(buffer_data(&zero));	/* no storage yet, still never NULL + 0 */
	assert_int_equal(buffer_len(&init), 0);
	buffer_consume(&zero, 0);
	buffer_append(&zero, "", 0);
	assert_int_equal(buffer_len(&zero), 0);
	s = buffer_steal(&zero, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	buffer_free(&init);
	buffer_free(&init);	/* twice is harmless */
	assert_null(init.mem);
}

static void test_append_consume(void **state)
{
	struct buffer b = BUFFER_INIT;

	(void)state;
	buffer_append(&b, S("hello "));
	buffer_append(&b, S("world"));
	assert_int_equal(buffer_len(&b), 11);
	assert_memory_equal(buffer_data(&b), "hello world", 11);
	buffer_consume(&b, 6);
	assert_int_equal(buffer_len(&b), 5);
	assert_memory_equal(buffer_data(&b), "world", 5);
	buffer_append(&b, S("!"));
	assert_memory_equal(buffer_data(&b), "world!", 6);
	buffer_consume(&b, 6);
	assert_int_equal(buffer_len(&b), 0);
	assert_int_equal(b.off, 0);	/* an empty buffer starts over at the front */
	buffer_append(&b, S("x"));
	assert_ptr_equal(buffer_data(&b), b.mem);
	buffer_reset(&b);
	assert_int_equal(buffer_len(&b), 0);
	assert_non_null(b.mem);	/* reset keeps the storage */
	buffer_free(&b);
}

static void test_reserve_commit(void **state)
{
	struct buffer b = BUFFER_INIT;
	char *p;

	(void)state;
	buffer_append(&b, S("ab"));
	p = buffer_reserve(&b, 1000);
	assert_ptr_equal(p, buffer_data(&b) + 2);
	assert_true(b.cap - b.off - b.len >= 1000);
	memcpy(p, "cdef", 4);
	assert_int_equal(buffer_len(&b), 2);	/* not readable before commit */
	buffer_commit(&b, 4);
	assert_int_equal(buffer_len(&b), 6);
	assert_memory_equal(buffer_data(&b), "abcdef", 6);
	/* A reservation already satisfied moves nothing. */
	assert_ptr_equal(buffer_reserve(&b, 10), buffer_data(&b) + 6);
	buffer_free(&b);
}

static void test_appendf(void **state)
{
	struct buffer b = BUFFER_INIT;
	char *big = malloc(10001), *s;
	size_t len;

	(void)state;
	buffer_appendf(&b, "%d-%s", 42, "x");
	assert_int_equal(buffer_len(&b), 4);
	assert_memory_equal(buffer_data(&b), "42-x", 4);
	/* Past the first 128-byte attempt, and exactly at its edge. */
	memset(big, 'a', 10000);
	big[10000] = '\0';
	buffer_appendf(&b, "[%s]", big);
	assert_int_equal(buffer_len(&b), 4 + 10002);
	assert_int_equal(buffer_data(&b)[4], '[');
	assert_int_equal(buffer_data(&b)[4 + 10001], ']');
	assert_int_equal(buffer_data(&b)[4 + 5000], 'a');
	buffer_reset(&b);
	buffer_appendf(&b, "%.127s", big);
	assert_int_equal(buffer_len(&b), 127);
	buffer_appendf(&b, "%.128s", big);
	assert_int_equal(buffer_len(&b), 255);
	buffer_appendf(&b, "%s", "");
	assert_int_equal(buffer_len(&b), 255);
	s = buffer_steal(&b, &len);
	assert_int_equal(len, 255);
	assert_int_equal(strlen(s), 255);	/* no NUL counted in between */
	free(s);
	free(big);
}

static void test_steal(void **state)
{
	struct buffer b = BUFFER_INIT;
	char *s;
	size_t len;

	(void)state;
	buffer_append(&b, S("drop this|keep"));
	buffer_consume(&b, 10);
	s = buffer_steal(&b, &len);
	assert_int_equal(len, 4);
	assert_string_equal(s, "keep");	/* moved to the front, terminated */
	assert_null(b.mem);
	assert_int_equal(buffer_len(&b), 0);
	free(s);
	buffer_append(&b, S("again"));	/* still usable */
	s = buffer_steal(&b, NULL);
	assert_string_equal(s, "again");
	free(s);
}

static void test_trim(void **state)
{
	struct buffer b = BUFFER_INIT;

	(void)state;
	buffer_reserve(&b, 100000);
	buffer_append(&b, S("x"));
	buffer_trim(&b, 1024);
	assert_non_null(b.mem);	/* not empty: kept */
	assert_int_equal(buffer_len(&b), 1);
	buffer_consume(&b, 1);
	buffer_trim(&b, 1 << 20);
	assert_non_null(b.mem);	/* within KEEP: kept */
	buffer_trim(&b, 1024);
	assert_null(b.mem);	/* empty and over KEEP: given back */
	assert_int_equal(b.cap, 0);
	buffer_append(&b, S("y"));
	assert_memory_equal(buffer_data(&b), "y", 1);
	buffer_free(&b);
}

static void test_reclaim_front(void **state)
{
	struct buffer b = BUFFER_INIT;
	char chunk[100];
	size_t cap;
	int i;

	(void)state;
	memset(chunk, 'c', sizeof(chunk));
	buffer_append(&b, chunk, sizeof(chunk));
	cap = b.cap;
	/* A queue that stays short never grows, however much passes through. */
	for (i = 0; i < 10000; i++) {
		buffer_append(&b, chunk, 50);
		buffer_consume(&b, 50);
	}
	assert_int_equal(b.cap, cap);
	assert_int_equal(buffer_len(&b), 100);
	/* Room wanted at the end comes from the consumed front first. */
	buffer_consume(&b, 90);
	assert_true(b.off > 0);
	buffer_reserve(&b, cap - 10);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.cap, cap);
	assert_memory_equal(buffer_data(&b), chunk, 10);
	buffer_free(&b);
}

static void test_large(void **state)
{
	struct buffer b = BUFFER_INIT;
	size_t total = 48u << 20, step = 1u << 20, i;
	char *chunk = malloc(step);

	(void)state;
	for (i = 0; i < total / step; i++) {
		memset(chunk, 'a' + (int)(i % 26), step);
		buffer_append(&b, chunk, step);
	}
	assert_int_equal(buffer_len(&b), total);
	for (i = 0; i < total / step; i++) {
		assert_int_equal(buffer_data(&b)[0], 'a' + (int)(i % 26));
		assert_int_equal(buffer_data(&b)[step - 1], 'a' + (int)(i % 26));
		buffer_consume(&b, step);
	}
	assert_int_equal(buffer_len(&b), 0);
	buffer_free(&b);
	free(chunk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_append_consume),
		cmocka_unit_test(test_reserve_commit),
		cmocka_unit_test(test_appendf),
		cmocka_unit_test(test_steal),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_reclaim_front),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
