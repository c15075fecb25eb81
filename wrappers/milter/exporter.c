/*
 * exporter.c - mxscan-milter's counters and metrics endpoint (see exporter.h).
 *
 * Actions and verdicts are the words of the milter's log line
 * (report.h), kept in fixed lists so a label can only take one of them.
 */
#include "auto-config.h"

#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/metrics_http.h"
#include "wrappers/milter/exporter.h"

static const char *const exporter_actions[] = {
	"accept", "reject", "tempfail", "discard", "quarantine", "tag", "accept-unscanned",
	"other",
};
#define EXPORTER_ACTIONS (sizeof(exporter_actions) / sizeof(exporter_actions[0]))

static const char *const exporter_verdicts[] = {
	"clean", "infected", "banned", "limit", "error", "unavailable", "skipped", "other",
};
#define EXPORTER_VERDICTS (sizeof(exporter_verdicts) / sizeof(exporter_verdicts[0]))

/* Upper bounds of both time histograms, seconds. */
static const double exporter_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
};

static metrics_counter exporter_by_action[EXPORTER_ACTIONS];
static metrics_counter exporter_by_verdict[EXPORTER_VERDICTS];
static metrics_counter exporter_failures[2];	/* scan-error, unavailable */
static metrics_counter exporter_aborts;
static struct metrics_histogram exporter_eom_time = METRICS_HISTOGRAM_INIT(exporter_bounds);
static struct metrics_histogram exporter_scan_time = METRICS_HISTOGRAM_INIT(exporter_bounds);
static time_t exporter_started;
static struct metrics_http_endpoint exporter_endpoint = {.fd = -1};

void exporter_message(const char *action, const char *verdict, long long eom_ms,
		      long long scan_ms)
{
	unsigned v = metrics_word(exporter_verdicts, EXPORTER_VERDICTS, verdict);

	metrics_add(&exporter_by_action[metrics_word(exporter_actions, EXPORTER_ACTIONS,
						       action)], 1);
	metrics_add(&exporter_by_verdict[v], 1);
	if (strcmp(verdict, "error") == 0)
		metrics_add(&exporter_failures[0], 1);
	else if (strcmp(verdict, "unavailable") == 0)
		metrics_add(&exporter_failures[1], 1);
	if (eom_ms >= 0)
		metrics_observe(&exporter_eom_time, (double)eom_ms / 1e3);
	if (scan_ms >= 0)
		metrics_observe(&exporter_scan_time, (double)scan_ms / 1e3);
}

void exporter_aborted(void)
{
	metrics_add(&exporter_aborts, 1);
}

void exporter_page(struct buffer *out, void *unused)
{
	(void)unused;
	metrics_family(out, "mxscan_milter_build_info", METRICS_GAUGE,
		       "Always 1; the label names mxscan-milter's version.");
	metrics_sample(out, "mxscan_milter_build_info",
		       (const char *[]){"version", PACKAGE_VERSION, NULL}, 1);
	metrics_family(out, "mxscan_milter_start_time_seconds", METRICS_GAUGE,
		       "Start time of the milter, Unix seconds.");
	metrics_sample(out, "mxscan_milter_start_time_seconds", NULL, (long long)exporter_started);
	metrics_counter_family(out, "mxscan_milter_messages_total",
			       "Messages given an action, by the action (the log line's action=).",
			       "action", exporter_actions, exporter_by_action, EXPORTER_ACTIONS);
	metrics_counter_family(out, "mxscan_milter_verdicts_total",
			       "Messages given an action, by the verdict (the log line's verdict=; "
			       "skipped: excluded before the scan).", "verdict", exporter_verdicts,
			       exporter_by_verdict, EXPORTER_VERDICTS);
	metrics_counter_family(out, "mxscan_milter_scanner_failures_total",
			       "Messages without a verdict: the scanner answered ERROR (scan-error), or "
			       "none of scanner_endpoints answered in time (unavailable).", "kind",
			       (const char *[]){"scan-error", "unavailable"}, exporter_failures, 2);
	metrics_family(out, "mxscan_milter_aborted_total", METRICS_COUNTER,
		       "Messages the MTA aborted before their end (no verdict, no action).");
	metrics_sample(out, "mxscan_milter_aborted_total", NULL, metrics_get(&exporter_aborts));
	metrics_family(out, "mxscan_milter_message_duration_seconds", METRICS_HISTOGRAM,
		       "Time the MTA waits at end-of-message: the rest of the scan, the action "
		       "and its header changes.");
	metrics_histogram_write(out, "mxscan_milter_message_duration_seconds", NULL,
				&exporter_eom_time);
	metrics_family(out, "mxscan_milter_scan_duration_seconds", METRICS_HISTOGRAM,
		       "Time from the start of a message's stream to mxscand's verdict, failover "
		       "included.");
	metrics_histogram_write(out, "mxscan_milter_scan_duration_seconds", NULL,
				&exporter_scan_time);
}

void exporter_open(void)
{
	exporter_started = time(NULL);
	metrics_http_open(&exporter_endpoint, CONF_MILTER_METRICS_LISTEN);
}

void exporter_start(void)
{
	metrics_http_serve(&exporter_endpoint, exporter_page, NULL);
}

void exporter_stop(void)
{
	metrics_http_close(&exporter_endpoint);
}
