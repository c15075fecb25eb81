/*
 * plan.h - capacity planning with the M/M/c model: how many jobs a peak
 * needs, what queue it builds, and how many hosts carry it.
 */
#ifndef MX_PLAN_H
#define MX_PLAN_H

#include <stddef.h>

#include "tuning/sweep.h"

/*
 * plan_service_s - the service time of one part in one job when C jobs
 * run at once, from the sweep ROWS (ascending concurrency): C / X(C), X
 * interpolated linearly between steps, proportional to C below the first
 * step, and flat (saturated) beyond the last.
 */
double plan_service_s(const struct sweep_row *rows, size_t n, int c);

/* plan_main - "mxscan-tune plan". */
int plan_main(int argc, char **argv);

#endif
