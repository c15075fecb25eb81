/*
 * scan.h - running one job (job.h): scan, reply through its sink, count
 * and log.
 */
#ifndef MX_SCAN_H
#define MX_SCAN_H

#include "scanner/job.h"

/*
 * scan_run - on a scan thread: take a generation reference, scan what
 * JOB holds, write the reply through its sink, count and log the
 * request; fills job->outcome.
 */
void scan_run(struct job *job);

/*
 * scan_try_now - answer JOB on the calling thread when that needs no
 * scan: a MIMESCAN held in memory whose attachment is a body kept as
 * known infected (bodies.h).  Returns 1 when answered (reply written
 * through the sink, outcome set, counted and logged as scan_run() does),
 * 0 when it must go to scan_run() on a scan thread.
 */
int scan_try_now(struct job *job);

#endif
