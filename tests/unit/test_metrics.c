/*
 * test_metrics - unit tests of common/metrics.h: label values and HELP
 * text are escaped (a table of hostile values), a family's HELP and
 * TYPE lines, samples with and without labels, real values in
 * Prometheus' spelling, histogram buckets (a value on a bound counts in
 * that bucket, the buckets are cumulative, +Inf equals _count, the sum
 * is kept), and counters and histograms updated from several threads
 * at once lose nothing.
 */
#include "auto-config.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/metrics.h"

/* page - the buffer's bytes as a string (freed by the caller). */
static char *page(struct buffer *b)
{
	return buffer_steal(b, NULL);
}

static void test_escape_table(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"", ""},
		{"plain", "plain"},
		{"a\"b", "a\\\"b"},
		{"back\\slash", "back\\\\slash"},
		{"new\nline", "new\\nline"},
		{"\\n", "\\\\n"},
		{"\"\\\n", "\\\"\\\\\\n"},
		{"tab\tand \r stay", "tab\tand \r stay"},
		{"utf-8 \xc3\xa9", "utf-8 \xc3\xa9"},
		{"}{,=", "}{,="},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buffer b = BUFFER_INIT;
		char *s;

		metrics_escape(&b, cases[i].in);
		s = page(&b);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void test_family_and_samples(void **state)
{
	struct buffer b = BUFFER_INIT;
	char *s;

	(void)state;
	metrics_family(&b, "x_requests_total", METRICS_COUNTER, "Requests \\ by\nresult.");
	metrics_sample(&b, "x_requests_total",
		       (const char *[]){"command", "INSTREAM", "result", "ok", NULL}, 42);
	metrics_sample(&b, "x_requests_total",
		       (const char *[]){"command", "odd\"name\n", "result", "a\\b", NULL}, -1);
	metrics_family(&b, "x_ratio", METRICS_GAUGE, "A ratio.");
	metrics_sample_double(&b, "x_ratio", NULL, 0.25);
	metrics_sample_double(&b, "x_ratio", NULL, NAN);
	metrics_sample_double(&b, "x_ratio", NULL, INFINITY);
	metrics_sample_double(&b, "x_ratio", NULL, -INFINITY);
	metrics_sample(&b, "x_ratio", NULL, 9007199254740993LL);
	s = page(&b);
	assert_string_equal(s,
		"# HELP x_requests_total Requests \\\\ by\\nresult.\n"
		"# TYPE x_requests_total counter\n"
		"x_requests_total{command=\"INSTREAM\",result=\"ok\"} 42\n"
		"x_requests_total{command=\"odd\\\"name\\n\",result=\"a\\\\b\"} -1\n"
		"# HELP x_ratio A ratio.\n"
		"# TYPE x_ratio gauge\n"
		"x_ratio 0.25\n"
		"x_ratio NaN\n"
		"x_ratio +Inf\n"
		"x_ratio -Inf\n"
		"x_ratio 9007199254740993\n");
	free(s);
}

static const double bounds[] = {0.001, 0.01, 0.1, 1};

static void test_histogram(void **state)
{
	struct metrics_histogram h = METRICS_HISTOGRAM_INIT(bounds);
	struct buffer b = BUFFER_INIT;
	char *s;

	(void)state;
	assert_int_equal(h.nbounds, 4);
	metrics_observe(&h, 0.001);	/* on a bound: that bucket (le) */
	metrics_observe(&h, 0.0011);
	metrics_observe(&h, 0.5);
	metrics_observe(&h, 1);
	metrics_observe(&h, 7);		/* +Inf only */
	metrics_observe(&h, -3);	/* counts as 0 */
	metrics_observe(&h, NAN);	/* counts as 0 */
	metrics_family(&b, "x_seconds", METRICS_HISTOGRAM, "Time.");
	metrics_histogram_write(&b, "x_seconds", (const char *[]){"command", "SCAN", NULL}, &h);
	metrics_histogram_write(&b, "x_seconds", NULL, &h);
	s = page(&b);
	assert_string_equal(s,
		"# HELP x_seconds Time.\n"
		"# TYPE x_seconds histogram\n"
		"x_seconds_bucket{command=\"SCAN\",le=\"0.001\"} 3\n"
		"x_seconds_bucket{command=\"SCAN\",le=\"0.01\"} 4\n"
		"x_seconds_bucket{command=\"SCAN\",le=\"0.1\"} 4\n"
		"x_seconds_bucket{command=\"SCAN\",le=\"1\"} 6\n"
		"x_seconds_bucket{command=\"SCAN\",le=\"+Inf\"} 7\n"
		"x_seconds_sum{command=\"SCAN\"} 8.5021\n"
		"x_seconds_count{command=\"SCAN\"} 7\n"
		"x_seconds_bucket{le=\"0.001\"} 3\n"
		"x_seconds_bucket{le=\"0.01\"} 4\n"
		"x_seconds_bucket{le=\"0.1\"} 4\n"
		"x_seconds_bucket{le=\"1\"} 6\n"
		"x_seconds_bucket{le=\"+Inf\"} 7\n"
		"x_seconds_sum 8.5021\n"
		"x_seconds_count 7\n");
	free(s);
}

#define THREADS 4
#define ROUNDS 100000

static metrics_counter shared_counter;
static struct metrics_histogram shared_hist = METRICS_HISTOGRAM_INIT(bounds);

static void *hammer(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		metrics_add(&shared_counter, 1);
		metrics_observe(&shared_hist, (i % 3) * 0.05);	/* 0, 0.05, 0.1 */
	}
	return NULL;
}

static void test_threads_lose_nothing(void **state)
{
	pthread_t t[THREADS];
	struct buffer b = BUFFER_INIT;
	char *s, want[128];
	int i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(metrics_get(&shared_counter), THREADS * ROUNDS);
	metrics_histogram_write(&b, "x", NULL, &shared_hist);
	s = page(&b);
	snprintf(want, sizeof(want), "x_count %d\n", THREADS * ROUNDS);
	assert_non_null(strstr(s, want));
	snprintf(want, sizeof(want), "x_bucket{le=\"0.1\"} %d\n", THREADS * ROUNDS);
	assert_non_null(strstr(s, want));
	free(s);
	metrics_add(&shared_counter, -THREADS * ROUNDS);	/* a gauge goes down too */
	assert_int_equal(metrics_get(&shared_counter), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_threads_lose_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
