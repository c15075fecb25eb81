/*
 * stats.h - mxscand's counters, and the STATS and HEALTH reply texts.
 */
#ifndef MX_STATS_H
#define MX_STATS_H

#include <stddef.h>

enum stats_counter {
	STATS_REQUESTS,
	STATS_CLEAN,
	STATS_INFECTED,
	STATS_ERRORS,
	STATS_BYTES,
	STATS_CONNECTIONS,	/* open now (gauge) */
	STATS__COUNT,
};

void stats_init(void);
void stats_add(enum stats_counter c, long long n);
long long stats_get(enum stats_counter c);

/*
 * stats_format_stats / stats_format_health - the STATS and HEALTH reply
 * bodies (inner lines end in \n, the last line is "END" without its
 * terminator, which the caller adds), prefixed "<id>: " when ID is
 * nonzero.  Return a new string.
 */
char *stats_format_stats(unsigned id);
char *stats_format_health(unsigned id);

#endif
