/*
 * test_tune_erlang - unit tests of tuning/erlang.c against published
 * Erlang B / Erlang C values and the M/M/1 and M/M/2 closed forms.
 */
#include "auto-config.h"

#include <math.h>
#include <stdio.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tuning/erlang.h"

/* near - |GOT - WANT| <= TOL, with both values in the failure message. */
static void near(double got, double want, double tol, const char *what)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s: got %.6f, want %.6f (+-%g)", what, got, want, tol);
}

/*
 * Call Centre Helper, "Erlang C Formula - Made Simple with an Easy Worked
 * Example": 100 calls in 30 minutes, 180 s average handling time, so
 * A = 10 erlangs.  With 11 agents P(wait) = 68.21% and the average speed
 * of answer (mean wait) 122.8 s; with 14 agents P(wait) = 17.41%, mean
 * wait 7.8 s and 88.8% answered within 20 s (the service level).
 */
static void test_call_centre(void **state)
{
	double lambda = 100.0 / 1800, mu = 1.0 / 180;

	(void)state;
	near(erlang_c(11, 10), 0.6821, 0.0001, "C(11, 10)");
	near(erlang_wq(11, lambda, mu), 122.8, 0.1, "Wq(11 agents), s");
	near(erlang_c(14, 10), 0.1741, 0.0001, "C(14, 10)");
	near(erlang_wq(14, lambda, mu), 7.8, 0.05, "Wq(14 agents), s");
	/* service level: P(W <= 20 s) = 1 - C e^{-(c mu - lambda) 20} */
	near(1 - erlang_c(14, 10) * exp(-(14 * mu - lambda) * 20), 0.888, 0.001, "SL(14, 20 s)");
	/* so the 88.8% quantile of the wait is about 20 s */
	near(erlang_wait_quantile(14, lambda, mu, 0.88835), 20.0, 0.05, "wait quantile");
}

/*
 * Textbook M/M/m exercise (120 customers/h, 3 min each, m = 10, so
 * a = 6 erlangs): "from the Erlang C curve, the probability of waiting is
 * about 0.10" (exact: 0.1013).  The standard Erlang B table gives 4.3%
 * blocking for 10 trunks offered 6 erlangs.
 */
static void test_textbook(void **state)
{
	(void)state;
	near(erlang_c(10, 6), 0.1013, 0.0001, "C(10, 6)");
	near(erlang_b(10, 6), 0.0431, 0.0001, "B(10, 6)");
	/* Wq = C / (c mu - lambda) with lambda = 2/min, mu = 1/3 per min */
	near(erlang_wq(10, 2, 1.0 / 3), 0.1013 / (10.0 / 3 - 2), 0.0002, "Wq(10), min");
}

/* M/M/1: C = rho, Wq = rho / (mu - lambda), Lq = rho^2 / (1 - rho). */
static void test_mm1(void **state)
{
	static const double rhos[] = {0.1, 0.5, 0.8, 0.95};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rhos) / sizeof(rhos[0]); i++) {
		double rho = rhos[i], mu = 20, lambda = rho * mu;

		near(erlang_c(1, rho), rho, 1e-12, "M/M/1 P(wait)");
		near(erlang_b(1, rho), rho / (1 + rho), 1e-12, "B(1, a)");
		near(erlang_wq(1, lambda, mu), rho / (mu - lambda), 1e-12, "M/M/1 Wq");
		near(erlang_lq(1, lambda, mu), rho * rho / (1 - rho), 1e-9, "M/M/1 Lq");
	}
}

/* M/M/2: C = 2 rho^2 / (1 + rho), Lq = 2 rho^3 / (1 - rho^2). */
static void test_mm2(void **state)
{
	static const double rhos[] = {0.2, 0.5, 0.9};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rhos) / sizeof(rhos[0]); i++) {
		double rho = rhos[i], mu = 1, lambda = 2 * rho * mu;

		near(erlang_c(2, 2 * rho), 2 * rho * rho / (1 + rho), 1e-12, "M/M/2 P(wait)");
		near(erlang_lq(2, lambda, mu), 2 * rho * rho * rho / (1 - rho * rho), 1e-9, "M/M/2 Lq");
	}
}

/* Edges: no load, overload, many servers without overflow. */
static void test_edges(void **state)
{
	(void)state;
	near(erlang_c(4, 0), 0, 0, "no load");
	near(erlang_wq(4, 0, 1), 0, 0, "no load wait");
	assert_true(erlang_c(4, 4) == 1.0);
	assert_true(isinf(erlang_wq(4, 4, 1)));
	assert_true(isinf(erlang_lq(3, 5, 1)));
	assert_true(isinf(erlang_wait_quantile(3, 5, 1, 0.95)));
	/* 1000 servers at 95% load: finite, between 0 and 1 */
	assert_true(erlang_c(1000, 950) > 0 && erlang_c(1000, 950) < 1);
	/* P(wait) falls as servers are added at a fixed load */
	for (int c = 11; c < 30; c++)
		assert_true(erlang_c(c + 1, 10) < erlang_c(c, 10));
	/* the fewest servers for a mean wait of at most 10 s in the call centre */
	assert_int_equal(erlang_min_servers(100.0 / 1800, 1.0 / 180, 10, 100), 14);
	assert_int_equal(erlang_min_servers(100.0 / 1800, 1.0 / 180, 10, 12), -1);
	/* a quantile below P(no wait) is 0 */
	near(erlang_wait_quantile(14, 100.0 / 1800, 1.0 / 180, 0.5), 0, 0, "median wait");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_centre),
		cmocka_unit_test(test_textbook),
		cmocka_unit_test(test_mm1),
		cmocka_unit_test(test_mm2),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
