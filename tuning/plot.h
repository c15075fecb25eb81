/*
 * plot.h - a hand-written SVG of a sweep: throughput (left axis) and p99
 * latency (right axis) against concurrency (log2 axis).
 */
#ifndef MX_PLOT_H
#define MX_PLOT_H

#include <stddef.h>
#include <stdio.h>

struct plot_data {
	const char *title;
	const int *conc;	/* N points, ascending */
	const double *tput;	/* parts per second */
	const double *p99_ms;
	size_t n;
	int rec_conc;		/* recommended concurrency (0: none) */
	double p99_max;		/* bound drawn as a dashed line (<= 0: none) */
};

/* plot_svg - write the plot to FP; 0 or -1 on a write error. */
int plot_svg(FILE *fp, const struct plot_data *d);

/* plot_nice_max - a round axis maximum at or above V (1, 2, 2.5, 5 x 10^k). */
double plot_nice_max(double v);

#endif
