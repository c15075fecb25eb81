/*
 * knee.h - the recommendation of a sweep: the smallest concurrency that
 * reaches a share of the peak throughput with its p99 latency in bounds.
 */
#ifndef MX_KNEE_H
#define MX_KNEE_H

#include <stddef.h>

/* One measured step. */
struct knee_point {
	int conc;
	double tput;		/* parts per second */
	double p99_ms;
	unsigned long long errors;
};

enum knee_status {
	KNEE_OK,		/* reaches FRAC of the peak within the p99 bound */
	KNEE_P99_LIMITED,	/* the p99 bound stops below FRAC of the peak:
				 * the fastest step within the bound */
	KNEE_P99_EXCEEDED,	/* no step within the bound: the one with the
				 * lowest p99 */
	KNEE_NO_DATA,		/* no points, or none answered */
};

struct knee_result {
	enum knee_status status;
	size_t index;		/* chosen point (not for KNEE_NO_DATA) */
	int conc;
	double peak;		/* highest throughput of a step without errors */
	size_t peak_index;
};

/*
 * knee_pick - among N points (any order), the smallest concurrency with
 * tput >= FRAC * peak and p99 <= P99_MAX (P99_MAX <= 0: no bound), and
 * no errors.  Steps with errors are ignored unless every step has them.
 * Returns the status (also in *R).
 */
enum knee_status knee_pick(const struct knee_point *pts, size_t n, double frac, double p99_max,
			   struct knee_result *r);

/* knee_status_str - a short English explanation of STATUS. */
const char *knee_status_str(enum knee_status status);

#endif
