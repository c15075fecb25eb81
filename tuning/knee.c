/*
 * NAME
 *	knee - pick the concurrency of a sweep
 * SUMMARY
 *	The knee of the throughput curve: past it, more MTA jobs add queueing
 *	(latency) but little throughput.  The pick is the smallest
 *	concurrency that reaches FRAC (0.95) of the peak with its p99 latency
 *	within the bound; when the bound cuts the curve earlier, the fastest
 *	step within the bound; when no step is within it, the step with the
 *	lowest p99.
 */
#include "auto-config.h"

#include "tuning/knee.h"

/* knee_usable - whether point I counts (errors only when all have them). */
static int knee_usable(const struct knee_point *p, int all_errors)
{
	return all_errors || p->errors == 0;
}

/* knee_pick - see knee.h. */
enum knee_status knee_pick(const struct knee_point *pts, size_t n, double frac, double p99_max,
			   struct knee_result *r)
{
	int all_errors = 1, have = 0;
	size_t i, best = 0;

	r->status = KNEE_NO_DATA;
	r->index = r->peak_index = 0;
	r->conc = 0;
	r->peak = 0;
	for (i = 0; i < n; i++)
		if (pts[i].errors == 0)
			all_errors = 0;
	for (i = 0; i < n; i++)
		if (knee_usable(&pts[i], all_errors) && pts[i].tput > r->peak) {
			r->peak = pts[i].tput;
			r->peak_index = i;
		}
	if (n == 0 || r->peak <= 0)
		return r->status;
	/* 1: the smallest concurrency at FRAC of the peak within the bound. */
	for (i = 0; i < n; i++) {
		const struct knee_point *p = &pts[i];

		if (knee_usable(p, all_errors) && p->tput >= frac * r->peak &&
		    (p99_max <= 0 || p->p99_ms <= p99_max) && (!have || p->conc < pts[best].conc)) {
			best = i;
			have = 1;
		}
	}
	if (have) {
		r->status = KNEE_OK;
		goto done;
	}
	/* 2: the fastest step within the bound (smaller concurrency on ties). */
	for (i = 0; i < n; i++) {
		const struct knee_point *p = &pts[i];

		if (knee_usable(p, all_errors) && p->p99_ms <= p99_max &&
		    (!have || p->tput > pts[best].tput ||
		     (p->tput == pts[best].tput && p->conc < pts[best].conc))) {
			best = i;
			have = 1;
		}
	}
	if (have) {
		r->status = KNEE_P99_LIMITED;
		goto done;
	}
	/* 3: nothing within the bound: the lowest p99. */
	for (i = 0; i < n; i++) {
		const struct knee_point *p = &pts[i];

		if (knee_usable(p, all_errors) && (!have || p->p99_ms < pts[best].p99_ms)) {
			best = i;
			have = 1;
		}
	}
	r->status = KNEE_P99_EXCEEDED;
done:
	r->index = best;
	r->conc = pts[best].conc;
	return r->status;
}

const char *knee_status_str(enum knee_status status)
{
	switch (status) {
	case KNEE_OK:
		return "reaches the target share of the peak within the p99 bound";
	case KNEE_P99_LIMITED:
		return "the p99 bound stops the sweep below the target share of the peak";
	case KNEE_P99_EXCEEDED:
		return "no step keeps p99 within the bound: the step with the lowest p99";
	case KNEE_NO_DATA:
	default:
		return "no step answered any request";
	}
}
