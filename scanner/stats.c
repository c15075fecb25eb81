/*
 * stats.c - mxscand's counters (see stats.h).
 */
#include "auto-config.h"

#include <stdatomic.h>
#include <time.h>

#include "scanner/stats.h"

static _Atomic long long stats_counters[STATS__COUNT];
static time_t stats_started;

void stats_init(void)
{
	stats_started = time(NULL);
}

void stats_add(enum stats_counter c, long long n)
{
	atomic_fetch_add(&stats_counters[c], n);
}

long long stats_get(enum stats_counter c)
{
	return atomic_load(&stats_counters[c]);
}

long long stats_uptime(void)
{
	return (long long)(time(NULL) - stats_started);
}
