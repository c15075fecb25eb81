/*
 * test_bodies - unit tests of scanner/bodies.c, the store of encoded
 * bodies known infected: a kept body is found with its signature; one
 * byte changed, one byte more or less, another engine generation, or a
 * clean verdict is never found; an equal hash with other bytes is no
 * hit (the byte-for-byte confirmation, with the hash forced equal); the
 * memory bound evicts the least recently used; a body kept again is one
 * copy made the newest; 0 disables; a swap
 * empties it.  The file is included so the test can force a collision.
 */
#include "../../scanner/bodies.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char *body_of(size_t len, unsigned seed)
{
	char *b = xmalloc(len);
	size_t i;

	for (i = 0; i < len; i++)	/* base64-like text */
		b[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			[(i * 7 + seed * 13 + i / 64) % 64];
	return b;
}

static int teardown(void **state)
{
	(void)state;
	bodies_free();
	return 0;
}

static void test_hit_and_near_misses(void **state)
{
	char sig[256], *a = body_of(100003, 1), *b;

	(void)state;
	bodies_init(1 << 20);
	assert_false(bodies_active());
	assert_false(bodies_lookup(a, 100003, 1, sig, sizeof(sig)));
	bodies_remember(a, 100003, 1, "Eicar-Test-Signature");
	assert_true(bodies_active());
	assert_true(bodies_lookup(a, 100003, 1, sig, sizeof(sig)));
	assert_string_equal(sig, "Eicar-Test-Signature");
	b = xmalloc(100003);
	memcpy(b, a, 100003);
	b[50000] ^= 1;
	assert_false(bodies_lookup(b, 100003, 1, sig, sizeof(sig)));	/* one byte changed */
	b[50000] ^= 1;
	b[100002] ^= 0x20;
	assert_false(bodies_lookup(b, 100003, 1, sig, sizeof(sig)));	/* the last byte */
	assert_false(bodies_lookup(a, 100002, 1, sig, sizeof(sig)));	/* one byte less */
	assert_false(bodies_lookup(a, 0, 1, sig, sizeof(sig)));
	/* Another generation: no hit, and the entry is gone. */
	assert_false(bodies_lookup(a, 100003, 2, sig, sizeof(sig)));
	assert_false(bodies_lookup(a, 100003, 1, sig, sizeof(sig)));
	assert_false(bodies_active());
	/* A clean verdict (NULL or "") is never kept. */
	bodies_remember(a, 100003, 1, NULL);
	bodies_remember(a, 100003, 1, "");
	assert_false(bodies_active());
	free(a);
	free(b);
}

/* The hash only picks candidates: an equal hash and length with other bytes is no hit. */
static void test_collision_is_confirmed(void **state)
{
	char *a = body_of(4096, 2), *c = body_of(4096, 3);
	uint64_t ha;

	(void)state;
	bodies_init(1 << 20);
	bodies_remember(a, 4096, 1, "Worm.A");
	ha = bodies_hash(a, 4096);
	assert_true(memcmp(a, c, 4096) != 0);
	pthread_mutex_lock(&bodies_lock);
	assert_non_null(bodies_find(ha, a, 4096));
	assert_null(bodies_find(ha, c, 4096));	/* as if C hashed like A */
	pthread_mutex_unlock(&bodies_lock);
	free(a);
	free(c);
}

static void test_bound_and_recency(void **state)
{
	char sig[256], *a = body_of(400, 4), *b = body_of(400, 5), *c = body_of(400, 6);

	(void)state;
	bodies_init(1000);	/* room for two */
	bodies_remember(a, 400, 7, "A");
	bodies_remember(b, 400, 7, "B");
	assert_true(bodies_lookup(a, 400, 7, sig, sizeof(sig)));	/* A is now the newest */
	bodies_remember(c, 400, 7, "C");			/* B goes */
	assert_false(bodies_lookup(b, 400, 7, sig, sizeof(sig)));
	assert_true(bodies_lookup(a, 400, 7, sig, sizeof(sig)));
	assert_string_equal(sig, "A");
	assert_true(bodies_lookup(c, 400, 7, sig, sizeof(sig)));
	assert_string_equal(sig, "C");
	bodies_remember(a, 1001, 7, "too big");		/* over the whole bound */
	assert_true(bodies_lookup(a, 400, 7, sig, sizeof(sig)));
	assert_int_equal(bodies_used, 800);
	bodies_clear();
	assert_false(bodies_active());
	assert_int_equal(bodies_used, 0);
	free(a);
	free(b);
	free(c);
}

/* Kept again under the same generation: one copy, made the newest. */
static void test_remember_again(void **state)
{
	char sig[256], *a = body_of(400, 9), *b = body_of(400, 10), *c = body_of(400, 11);

	(void)state;
	bodies_init(1000);	/* room for two */
	bodies_remember(a, 400, 3, "A");
	bodies_remember(b, 400, 3, "B");
	bodies_remember(a, 400, 3, "A");
	assert_int_equal(bodies_used, 800);
	bodies_remember(c, 400, 3, "C");			/* B, the oldest now, goes */
	assert_false(bodies_lookup(b, 400, 3, sig, sizeof(sig)));
	assert_true(bodies_lookup(a, 400, 3, sig, sizeof(sig)));
	bodies_remember(a, 400, 4, "A4");			/* another engine: replaced */
	assert_true(bodies_lookup(a, 400, 4, sig, sizeof(sig)));
	assert_string_equal(sig, "A4");
	free(a);
	free(b);
	free(c);
}

static void test_disabled(void **state)
{
	char sig[256], *a = body_of(64, 8);

	(void)state;
	bodies_init(0);
	bodies_remember(a, 64, 1, "A");
	assert_false(bodies_active());
	assert_false(bodies_lookup(a, 64, 1, sig, sizeof(sig)));
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_hit_and_near_misses, teardown),
		cmocka_unit_test_teardown(test_collision_is_confirmed, teardown),
		cmocka_unit_test_teardown(test_bound_and_recency, teardown),
		cmocka_unit_test_teardown(test_remember_again, teardown),
		cmocka_unit_test_teardown(test_disabled, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
