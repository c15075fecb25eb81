/*
 * stats.h - mxscand's counters (atomic; any thread).  The STATS and
 * HEALTH reports that show them are formatted in command.c.
 */
#ifndef MX_STATS_H
#define MX_STATS_H

enum stats_counter {
	STATS_REQUESTS,
	STATS_INFECTED,
	STATS_ERRORS,
	STATS_CONNECTIONS,	/* open now (gauge) */
	STATS__COUNT,
};

/* stats_init - start the uptime clock. */
void stats_init(void);
void stats_add(enum stats_counter c, long long n);
long long stats_get(enum stats_counter c);

/* stats_uptime - seconds since stats_init(). */
long long stats_uptime(void);

#endif
