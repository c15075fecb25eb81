/*
 * meter.h - mxscand's counters for its metrics page: commands received,
 * requests finished by command and result, their scan and request time
 * histograms, bytes scanned, reloads.  Any thread; every update is a
 * few relaxed atomic adds (no lock, no allocation), so the scan path can
 * afford it.  Label values are only command names from a fixed list and
 * fixed result words: never a signature name or a client address.
 * exporter.h serves them with the daemon's gauges.  The STATS counters
 * (stats.h) stay as they are.
 */
#ifndef MX_METER_H
#define MX_METER_H

#include "common/buffer.h"
#include "scanner/job.h"

/* meter_now_us - a monotonic clock in microseconds, for meter_request(). */
long long meter_now_us(void);

/* meter_command - a command was received: NAME from the command table, NULL if unknown. */
void meter_command(const char *name);

/*
 * meter_request - JOB has its outcome: counts it under its command and
 * verdict, its bytes, the scan time since SCAN_START_US (meter_now_us())
 * and the request time since the job began.
 */
void meter_request(const struct job *job, long long scan_start_us);

/* meter_limit - a CMD request was refused at the stream size limit (no scan ran). */
void meter_limit(const char *cmd);

/* meter_reload - a database load finished, OK or not. */
void meter_reload(int ok);

/* meter_write - the families kept here, for the metrics page. */
void meter_write(struct buffer *out);

#endif
