/*
 * metrics.c - Prometheus text exposition and atomic counters (see metrics.h).
 *
 * The format is Prometheus' text format 0.0.4: per family a "# HELP"
 * line (backslash and newline escaped), a "# TYPE" line, then its
 * samples "name{label="value",...} value", label values escaped for
 * backslash, double quote and newline.  Histograms write cumulative
 * _bucket lines with an "le" label, then _sum and _count.
 */
#include "auto-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/metrics.h"

/* metrics_name_ok - [a-zA-Z_:][a-zA-Z0-9_:]* (LABEL: no colon, no "__" prefix). */
static int metrics_name_ok(const char *name, int label)
{
	const char *p;

	if (*name == '\0' || (*name >= '0' && *name <= '9'))
		return 0;
	if (label && strncmp(name, "__", 2) == 0)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || (!label && *p == ':')))
			return 0;
	}
	return 1;
}

/* metrics_check_name - a bad metric name is a bug. */
static void metrics_check_name(const char *name)
{
	if (!metrics_name_ok(name, 0))
		log_panic("metrics: bad metric name \"%s\"", name);
}

void metrics_observe(struct metrics_histogram *h, double value)
{
	unsigned i;

	if (!(value > 0))	/* negative, zero or NaN */
		value = 0;
	else if (value > 1e12)	/* keeps the sum in range */
		value = 1e12;
	for (i = 0; i < h->nbounds && value > h->bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_micro, (unsigned long long)(value * 1e6 + 0.5),
				  memory_order_relaxed);
}

void metrics_escape(struct buffer *out, const char *value)
{
	const char *p;

	for (p = value; *p != '\0'; p++) {
		if (*p == '\\')
			buffer_append(out, "\\\\", 2);
		else if (*p == '"')
			buffer_append(out, "\\\"", 2);
		else if (*p == '\n')
			buffer_append(out, "\\n", 2);
		else
			buffer_append(out, p, 1);
	}
}

void metrics_family(struct buffer *out, const char *name, enum metrics_type type,
		    const char *help)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	size_t n = strlen(name);
	const char *p;

	metrics_check_name(name);
	if (type == METRICS_COUNTER && (n < 6 || strcmp(name + n - 6, "_total") != 0))
		log_panic("metrics: counter \"%s\" does not end in _total", name);
	buffer_appendf(out, "# HELP %.*s ", (int)n, name);
	for (p = help; *p != '\0'; p++) {
		if (*p == '\\')
			buffer_append(out, "\\\\", 2);
		else if (*p == '\n')
			buffer_append(out, "\\n", 2);
		else
			buffer_append(out, p, 1);
	}
	buffer_appendf(out, "\n# TYPE %.*s %s\n", (int)n, name, types[type]);
}

/* metrics_labels - "{a="x",b="y"[,EXTRA="EXTRA_VALUE"]}" or nothing. */
static void metrics_labels(struct buffer *out, const char *const *labels, const char *extra,
			   const char *extra_value)
{
	const char *sep = "{";
	size_t i;

	for (i = 0; labels != NULL && labels[i] != NULL; i += 2) {
		if (!metrics_name_ok(labels[i], 1) || labels[i + 1] == NULL)
			log_panic("metrics: bad label \"%s\"", labels[i]);
		buffer_appendf(out, "%s%s=\"", sep, labels[i]);
		metrics_escape(out, labels[i + 1]);
		buffer_append(out, "\"", 1);
		sep = ",";
	}
	if (extra != NULL) {
		buffer_appendf(out, "%s%s=\"", sep, extra);
		metrics_escape(out, extra_value);
		buffer_append(out, "\"", 1);
		sep = ",";
	}
	if (*sep == ',')
		buffer_append(out, "}", 1);
}

/* metrics_format_double - Prometheus' spelling of a float value. */
static void metrics_format_double(struct buffer *out, double value)
{
	if (isnan(value))
		buffer_appendf(out, "NaN");
	else if (isinf(value))
		buffer_appendf(out, value > 0 ? "+Inf" : "-Inf");
	else
		buffer_appendf(out, "%.15g", value);
}

void metrics_sample(struct buffer *out, const char *name, const char *const *labels,
		    long long value)
{
	metrics_check_name(name);
	buffer_appendf(out, "%s", name);
	metrics_labels(out, labels, NULL, NULL);
	buffer_appendf(out, " %lld\n", value);
}

void metrics_sample_double(struct buffer *out, const char *name, const char *const *labels,
			   double value)
{
	metrics_check_name(name);
	buffer_appendf(out, "%s", name);
	metrics_labels(out, labels, NULL, NULL);
	buffer_append(out, " ", 1);
	metrics_format_double(out, value);
	buffer_append(out, "\n", 1);
}

void metrics_histogram_write(struct buffer *out, const char *name, const char *const *labels,
			     struct metrics_histogram *h)
{
	unsigned long long cumulative = 0;
	char le[64];
	unsigned i;

	metrics_check_name(name);
	for (i = 0; i <= h->nbounds; i++) {
		cumulative += atomic_load_explicit(&h->counts[i], memory_order_relaxed);
		if (i < h->nbounds)
			snprintf(le, sizeof(le), "%.15g", h->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		buffer_appendf(out, "%s_bucket", name);
		metrics_labels(out, labels, "le", le);
		buffer_appendf(out, " %llu\n", cumulative);
	}
	buffer_appendf(out, "%s_sum", name);
	metrics_labels(out, labels, NULL, NULL);
	buffer_append(out, " ", 1);
	metrics_format_double(out, (double)atomic_load_explicit(&h->sum_micro,
								 memory_order_relaxed) / 1e6);
	buffer_appendf(out, "\n%s_count", name);
	metrics_labels(out, labels, NULL, NULL);
	buffer_appendf(out, " %llu\n", cumulative);
}

/* metrics_counter_family - one counter family over a word list (see metrics.h). */
void metrics_counter_family(struct buffer *out, const char *name, const char *help,
			    const char *label, const char *const *words,
			    metrics_counter *counts, unsigned n)
{
	unsigned i;

	metrics_family(out, name, METRICS_COUNTER, help);
	for (i = 0; i < n; i++)
		metrics_sample(out, name, (const char *[]){label, words[i], NULL},
			       metrics_get(&counts[i]));
}

/* metrics_word - a word's index, the last for any other (see metrics.h). */
unsigned metrics_word(const char *const *words, unsigned n, const char *word)
{
	unsigned i;

	for (i = 0; i < n - 1 && strcmp(word, words[i]) != 0; i++)
		;
	return i;
}
