/*
 * test_tune_knee - unit tests of tuning/knee.c: the smallest concurrency
 * at 95% of the peak within the p99 bound, and the fallbacks when the
 * bound or errors get in the way; table-driven.
 */
#include "auto-config.h"

#include <stdio.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tuning/knee.h"

#define MAXP 8

struct knee_case {
	const char *name;
	struct knee_point pts[MAXP];
	size_t n;
	double frac, p99_max;
	enum knee_status status;
	int conc;
	double peak;
};

static const struct knee_case cases[] = {
	{"classic knee: 4 reaches 95% of the peak at 8",
	 {{1, 100, 10, 0}, {2, 190, 12, 0}, {4, 330, 20, 0}, {8, 345, 60, 0}, {16, 340, 200, 0}},
	 5, 0.95, 1000, KNEE_OK, 4, 345},
	{"order of the points does not matter",
	 {{16, 340, 200, 0}, {4, 330, 20, 0}, {1, 100, 10, 0}, {8, 345, 60, 0}, {2, 190, 12, 0}},
	 5, 0.95, 1000, KNEE_OK, 4, 345},
	{"exactly 95% counts",
	 {{1, 50, 5, 0}, {2, 95, 6, 0}, {4, 100, 9, 0}}, 3, 0.95, 0, KNEE_OK, 2, 100},
	{"still rising: the peak itself",
	 {{1, 10, 5, 0}, {2, 20, 5, 0}, {4, 40, 5, 0}}, 3, 0.95, 100, KNEE_OK, 4, 40},
	{"flat curve: concurrency 1",
	 {{1, 200, 5, 0}, {2, 201, 9, 0}, {4, 199, 18, 0}}, 3, 0.95, 100, KNEE_OK, 1, 201},
	{"p99 bound cuts before 95%: fastest within the bound",
	 {{1, 100, 10, 0}, {2, 180, 40, 0}, {4, 300, 150, 0}, {8, 320, 400, 0}},
	 4, 0.95, 50, KNEE_P99_LIMITED, 2, 320},
	{"no step within the bound: the lowest p99",
	 {{1, 100, 90, 0}, {2, 150, 120, 0}, {4, 160, 300, 0}}, 3, 0.95, 50, KNEE_P99_EXCEEDED, 1, 160},
	{"steps with errors are skipped",
	 {{1, 100, 10, 0}, {2, 190, 12, 0}, {4, 400, 20, 7}, {8, 195, 30, 0}},
	 4, 0.95, 1000, KNEE_OK, 2, 195},
	{"all steps with errors: they count",
	 {{1, 100, 10, 1}, {2, 190, 12, 2}, {4, 200, 20, 3}}, 3, 0.95, 1000, KNEE_OK, 2, 200},
	{"no answers at all", {{1, 0, 0, 5}, {2, 0, 0, 9}}, 2, 0.95, 1000, KNEE_NO_DATA, 0, 0},
	{"no points", {{0, 0, 0, 0}}, 0, 0.95, 1000, KNEE_NO_DATA, 0, 0},
};

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct knee_case *c = &cases[i];
		struct knee_result r;
		enum knee_status st = knee_pick(c->pts, c->n, c->frac, c->p99_max, &r);

		if (st != c->status || r.status != st || r.conc != c->conc || r.peak != c->peak)
			fail_msg("%s: got status %d conc %d peak %g, want %d %d %g", c->name, st, r.conc,
				 r.peak, c->status, c->conc, c->peak);
		if (st != KNEE_NO_DATA)
			assert_int_equal(c->pts[r.index].conc, r.conc);
		assert_non_null(knee_status_str(st));
	}
}

/* A lower target share never picks a higher concurrency. */
static void test_monotone_in_frac(void **state)
{
	const struct knee_point pts[] = {{1, 100, 10, 0}, {2, 170, 12, 0}, {3, 230, 15, 0},
					 {4, 270, 20, 0}, {6, 300, 40, 0}, {8, 310, 80, 0}};
	int last = 1000;
	double f;

	(void)state;
	for (f = 1.0; f > 0.2; f -= 0.05) {
		struct knee_result r;

		knee_pick(pts, 6, f, 0, &r);
		assert_true(r.conc <= last);
		last = r.conc;
	}
	assert_int_equal(last, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_monotone_in_frac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
