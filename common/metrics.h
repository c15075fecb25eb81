/*
 * metrics.h - Prometheus text exposition (format 0.0.4) and the atomic
 * counters and histograms it shows.
 *
 * A program keeps its numbers in metrics_counter and metrics_histogram
 * objects, which any thread updates with relaxed atomics (no lock, no
 * allocation: cheap enough for a scan path), and writes a page of them
 * into a buffer when a scrape asks: one metrics_family() per metric
 * family (the HELP and TYPE lines), then its samples.  Label values are
 * escaped here (backslash, double quote, newline); metric and label
 * names are the program's own constants, checked by metrics_family()
 * and the sample writers (a bad one is a bug: log_panic).  Labels are
 * given as a NULL-terminated array of name, value pairs, or NULL for
 * none.  Nothing here knows HTTP: metrics_http.h serves the page.
 */
#ifndef MX_METRICS_H
#define MX_METRICS_H

#include <stdatomic.h>

#include "common/buffer.h"

/* Content-Type of the page. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Most upper bounds a histogram may have (its +Inf bucket is extra). */
#define METRICS_BUCKETS_MAX 24

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

/* A monotonic count, or a gauge moved up and down by metrics_add(). */
typedef _Atomic long long metrics_counter;

/*
 * A histogram: BOUNDS are the ascending upper bounds of its buckets
 * (static storage, at most METRICS_BUCKETS_MAX, without +Inf).  Zeroed
 * counts with the bounds set (METRICS_HISTOGRAM_INIT) is an empty one.
 * The sum is kept in millionths of the observed unit.
 */
struct metrics_histogram {
	const double *bounds;
	unsigned nbounds;
	_Atomic unsigned long long counts[METRICS_BUCKETS_MAX + 1];	/* per bucket, not cumulative */
	_Atomic unsigned long long sum_micro;
};

#define METRICS_HISTOGRAM_INIT(b) {.bounds = (b), .nbounds = sizeof(b) / sizeof((b)[0])}

/* metrics_add - add N (negative for a gauge going down). */
static inline void metrics_add(metrics_counter *c, long long n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline long long metrics_get(metrics_counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

/* metrics_observe - count VALUE (>= 0; a negative one counts as 0) in H. */
void metrics_observe(struct metrics_histogram *h, double value);

/*
 * metrics_family - the "# HELP" and "# TYPE" lines of family NAME.  A
 * counter's NAME ends in "_total" (the text format names the family
 * with it, as its samples are named).
 */
void metrics_family(struct buffer *out, const char *name, enum metrics_type type,
		    const char *help);

/* metrics_sample - one "NAME{LABELS} VALUE" line with an integer value. */
void metrics_sample(struct buffer *out, const char *name, const char *const *labels,
		    long long value);

/* metrics_sample_double - the same with a real value (NaN and infinities allowed). */
void metrics_sample_double(struct buffer *out, const char *name, const char *const *labels,
			   double value);

/*
 * metrics_histogram_write - the _bucket lines (cumulative, "le" added
 * after LABELS, ending with +Inf), _sum and _count of H under family
 * NAME.  _count is the +Inf bucket of the same snapshot, so the two
 * always agree even while other threads observe.
 */
void metrics_histogram_write(struct buffer *out, const char *name, const char *const *labels,
			     struct metrics_histogram *h);

/*
 * metrics_counter_family - a counter family NAME with one label, LABEL,
 * taking each of the N WORDS in turn, COUNTS[i] its value.
 */
void metrics_counter_family(struct buffer *out, const char *name, const char *help,
			    const char *label, const char *const *words,
			    metrics_counter *counts, unsigned n);

/*
 * metrics_word - WORD's index in WORDS (N of them, the last the catch-all
 * "other"): a label value from a fixed list, never from the input.
 */
unsigned metrics_word(const char *const *words, unsigned n, const char *word);

/* metrics_escape - append VALUE escaped as a label value (without quotes). */
void metrics_escape(struct buffer *out, const char *value);

#endif
