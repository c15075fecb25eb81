/*
 * procstat.h - CPU time of the scanner process and of the whole host,
 * from /proc.
 */
#ifndef MX_PROCSTAT_H
#define MX_PROCSTAT_H

#include <sys/types.h>

/*
 * procstat_owner - the pid of the local process listening on ENDPOINT
 * (unix:/path or tcp:host:port, found through /proc/net and the
 * processes' descriptors), or -1 when none is visible (a remote host, or
 * no permission).
 */
pid_t procstat_owner(const char *endpoint);

/* procstat_cpu - user and system CPU seconds of PID so far; 0 or -1. */
int procstat_cpu(pid_t pid, double *user_s, double *sys_s);

/* Host-wide CPU counters of /proc/stat, in seconds. */
struct procstat_host {
	double user, sys, idle, total;
};

/* procstat_host - the "cpu" line of /proc/stat; 0 or -1. */
int procstat_host(struct procstat_host *h);

/* procstat_ncpu - online CPUs (at least 1). */
int procstat_ncpu(void);

#endif
