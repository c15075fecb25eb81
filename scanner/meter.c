/*
 * meter.c - mxscand's request counters and histograms (see meter.h).
 *
 * Commands are counted by their index in a fixed list of names (clamd's
 * verbs and mxscan's additions; anything else is "unknown"), so a label
 * can only ever take one of these values.  Scanning commands also get
 * per-result counters and two histograms: the scan itself (from a scan
 * thread taking the job to its reply) and the whole request (from its
 * command to its reply, so reception and queueing included).
 */
#include "auto-config.h"

#include <string.h>
#include <time.h>

#include "common/metrics.h"
#include "common/sock.h"
#include "scanner/meter.h"

/* Every verb mxscand knows (or may learn: STREAM), and the catch-all. */
static const char *const meter_names[] = {
	"SCAN", "CONTSCAN", "MULTISCAN", "ALLMATCHSCAN", "INSTREAM", "FILDES", "MIMESCAN",
	"STREAM",	/* the scanning commands end here (METER_SCANNING) */
	"PING", "VERSION", "VERSIONCOMMANDS", "RELOAD", "SELFCHECK", "SHUTDOWN", "QUIT",
	"STATS", "HEALTH", "IDSESSION", "END", "DETSTATS", "DETSTATSCLEAR", "unknown",
};
#define METER_NAMES (sizeof(meter_names) / sizeof(meter_names[0]))
#define METER_SCANNING 8
#define METER_UNKNOWN (METER_NAMES - 1)

enum meter_result {
	METER_OK,
	METER_FOUND,
	METER_ERROR,
	METER_CANCELLED,
	METER_LIMIT,
	METER__RESULTS,
};

static const char *const meter_results[METER__RESULTS] = {
	"ok", "found", "error", "cancelled", "limit",
};

/* Upper bounds of both time histograms, seconds. */
static const double meter_bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
	120, 300,
};

static metrics_counter meter_commands[METER_NAMES];
static metrics_counter meter_requests[METER_SCANNING][METER__RESULTS];
static metrics_counter meter_bytes[METER_SCANNING];
static metrics_counter meter_reloads[2];	/* failed, ok */
static struct metrics_histogram meter_scan_time[METER_SCANNING] = {
#define H METRICS_HISTOGRAM_INIT(meter_bounds)
	H, H, H, H, H, H, H, H,
};
static struct metrics_histogram meter_request_time[METER_SCANNING] = {
	H, H, H, H, H, H, H, H,
#undef H
};

/* meter_index - NAME's place in meter_names (METER_UNKNOWN if absent). */
static unsigned meter_index(const char *name)
{
	unsigned i;

	for (i = 0; name != NULL && i < METER_UNKNOWN; i++)
		if (strcmp(name, meter_names[i]) == 0)
			return i;
	return METER_UNKNOWN;
}

long long meter_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void meter_command(const char *name)
{
	metrics_add(&meter_commands[meter_index(name)], 1);
}

void meter_request(const struct job *job, long long scan_start_us)
{
	unsigned c = meter_index(job->cmd);
	enum meter_result r;

	if (c >= METER_SCANNING)
		return;
	switch (job->outcome.verdict) {
	case JOB_OK:
		r = METER_OK;
		break;
	case JOB_FOUND:
		r = METER_FOUND;
		break;
	case JOB_CANCELLED:
		r = METER_CANCELLED;
		break;
	default:
		r = METER_ERROR;
		break;
	}
	metrics_add(&meter_requests[c][r], 1);
	metrics_add(&meter_bytes[c], (long long)job->len);
	metrics_observe(&meter_scan_time[c], (double)(meter_now_us() - scan_start_us) / 1e6);
	metrics_observe(&meter_request_time[c], (double)(sock_now_ms() - job->start_ms) / 1e3);
}

void meter_limit(const char *cmd)
{
	unsigned c = meter_index(cmd);

	if (c < METER_SCANNING)
		metrics_add(&meter_requests[c][METER_LIMIT], 1);
}

void meter_reload(int ok)
{
	metrics_add(&meter_reloads[ok != 0], 1);
}

void meter_write(struct buffer *out)
{
	unsigned c, r;

	metrics_family(out, "mxscand_commands_total", METRICS_COUNTER,
		       "Commands received, by command (\"unknown\" for any other).");
	for (c = 0; c < METER_NAMES; c++)
		metrics_sample(out, "mxscand_commands_total",
			       (const char *[]){"command", meter_names[c], NULL},
			       metrics_get(&meter_commands[c]));
	metrics_family(out, "mxscand_requests_total", METRICS_COUNTER,
		       "Scan requests answered, by command and result (ok, found, error, "
		       "cancelled: the client left, limit: refused at the stream size limit).");
	for (c = 0; c < METER_SCANNING; c++)
		for (r = 0; r < METER__RESULTS; r++)
			metrics_sample(out, "mxscand_requests_total",
				       (const char *[]){"command", meter_names[c],
						        "result", meter_results[r], NULL},
				       metrics_get(&meter_requests[c][r]));
	metrics_family(out, "mxscand_scanned_bytes_total", METRICS_COUNTER,
		       "Bytes of streams, passed descriptors and scanned files, by command.");
	for (c = 0; c < METER_SCANNING; c++)
		metrics_sample(out, "mxscand_scanned_bytes_total",
			       (const char *[]){"command", meter_names[c], NULL},
			       metrics_get(&meter_bytes[c]));
	metrics_family(out, "mxscand_scan_duration_seconds", METRICS_HISTOGRAM,
		       "Time from a scan thread taking a request to its reply, by command.");
	for (c = 0; c < METER_SCANNING; c++)
		metrics_histogram_write(out, "mxscand_scan_duration_seconds",
					(const char *[]){"command", meter_names[c], NULL},
					&meter_scan_time[c]);
	metrics_family(out, "mxscand_request_duration_seconds", METRICS_HISTOGRAM,
		       "Time from a request's command to its reply (reception and queueing "
		       "included), by command.");
	for (c = 0; c < METER_SCANNING; c++)
		metrics_histogram_write(out, "mxscand_request_duration_seconds",
					(const char *[]){"command", meter_names[c], NULL},
					&meter_request_time[c]);
	metrics_family(out, "mxscand_reloads_total", METRICS_COUNTER,
		       "Signature database loads finished, by result (ok, failed).");
	metrics_sample(out, "mxscand_reloads_total", (const char *[]){"result", "ok", NULL},
		       metrics_get(&meter_reloads[1]));
	metrics_sample(out, "mxscand_reloads_total", (const char *[]){"result", "failed", NULL},
		       metrics_get(&meter_reloads[0]));
}
