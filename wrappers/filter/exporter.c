/*
 * exporter.c - mxscan-filter's counters and metrics endpoint (see exporter.h).
 *
 * Actions and verdicts are the words of the filter's log line, kept in
 * fixed lists so a label can only take one of them.
 */
#include "auto-config.h"

#include <time.h>

#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/metrics_http.h"
#include "wrappers/filter/exporter.h"

static const char *const exporter_actions[] = {
	"delivered", "quarantined", "discarded", "stripped", "tagged", "rejected", "tempfail",
	"passed-unscanned", "too-big", "other",
};
#define EXPORTER_ACTIONS (sizeof(exporter_actions) / sizeof(exporter_actions[0]))

/* Indexed by enum client_status, then "none" when no scan ran. */
static const char *const exporter_verdicts[] = {
	"clean", "infected", "scan-error", "unscanned", "over-limit", "none",
};
#define EXPORTER_VERDICTS (sizeof(exporter_verdicts) / sizeof(exporter_verdicts[0]))
#define EXPORTER_NONE (EXPORTER_VERDICTS - 1)

static const char *const exporter_classes[] = {"2xx", "4xx", "5xx", "other"};

/* Upper bounds of both time histograms, seconds. */
static const double exporter_bounds[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
};

static metrics_counter exporter_by_action[EXPORTER_ACTIONS];
static metrics_counter exporter_by_verdict[EXPORTER_VERDICTS];
static metrics_counter exporter_by_class[4];
static metrics_counter exporter_failures[2];	/* scan-error, unavailable */
static struct metrics_histogram exporter_message_time = METRICS_HISTOGRAM_INIT(exporter_bounds);
static struct metrics_histogram exporter_scan_time = METRICS_HISTOGRAM_INIT(exporter_bounds);
static time_t exporter_started;
static struct metrics_http_endpoint exporter_endpoint = {.fd = -1};

void exporter_message(const char *action, const struct verdict *v, long long total_ms,
		      const char *reply)
{
	unsigned verdict = EXPORTER_NONE, cls = 3;

	metrics_add(&exporter_by_action[metrics_word(exporter_actions, EXPORTER_ACTIONS, action)], 1);
	if ((v->endpoint[0] != '\0' || v->sig[0] != '\0') && (unsigned)v->status < EXPORTER_NONE)
		verdict = (unsigned)v->status;
	metrics_add(&exporter_by_verdict[verdict], 1);
	if (verdict == CLIENT_SCAN_ERROR)
		metrics_add(&exporter_failures[0], 1);
	else if (verdict == CLIENT_TEMPFAIL)
		metrics_add(&exporter_failures[1], 1);
	if (reply[0] >= '2' && reply[0] <= '5' && reply[0] != '3')
		cls = reply[0] == '2' ? 0 : reply[0] == '4' ? 1 : 2;
	metrics_add(&exporter_by_class[cls], 1);
	metrics_observe(&exporter_message_time, (double)total_ms / 1e3);
	if (verdict != EXPORTER_NONE)
		metrics_observe(&exporter_scan_time, (double)v->ms / 1e3);
}

void exporter_page(struct buffer *out, void *unused)
{
	metrics_family(out, "mxscan_filter_build_info", METRICS_GAUGE,
		       "Always 1; the label names mxscan-filter's version.");
	metrics_sample(out, "mxscan_filter_build_info",
		       (const char *[]){"version", PACKAGE_VERSION, NULL}, 1);
	metrics_family(out, "mxscan_filter_start_time_seconds", METRICS_GAUGE,
		       "Start time of the filter, Unix seconds.");
	metrics_sample(out, "mxscan_filter_start_time_seconds", NULL, (long long)exporter_started);
	metrics_counter_family(out, "mxscan_filter_messages_total",
			       "Messages answered, by the action taken (the log line's action=).",
			       "action", exporter_actions, exporter_by_action, EXPORTER_ACTIONS);
	metrics_counter_family(out, "mxscan_filter_verdicts_total",
			       "Messages answered, by the scanner's verdict (\"none\": no scan ran).",
			       "verdict", exporter_verdicts, exporter_by_verdict, EXPORTER_VERDICTS);
	metrics_counter_family(out, "mxscan_filter_replies_total",
			       "Replies to the end of DATA, by class.", "class", exporter_classes,
			       exporter_by_class, 4);
	metrics_counter_family(out, "mxscan_filter_scanner_failures_total",
			       "Scans that failed: the scanner answered ERROR (scan-error), or none "
			       "of scanner_endpoints answered in time (unavailable).", "kind",
			       (const char *[]){"scan-error", "unavailable"}, exporter_failures, 2);
	metrics_family(out, "mxscan_filter_message_duration_seconds", METRICS_HISTOGRAM,
		       "Time from the end of DATA to the reply: scan, action and delivery.");
	metrics_histogram_write(out, "mxscan_filter_message_duration_seconds", NULL,
				&exporter_message_time);
	metrics_family(out, "mxscan_filter_scan_duration_seconds", METRICS_HISTOGRAM,
		       "Time the scanner took per scanned message, all strip rounds included.");
	metrics_histogram_write(out, "mxscan_filter_scan_duration_seconds", NULL,
				&exporter_scan_time);
}

void exporter_open(void)
{
	exporter_started = time(NULL);
	metrics_http_open(&exporter_endpoint, CONF_FILTER_METRICS_LISTEN);
}

void exporter_start(void)
{
	metrics_http_serve(&exporter_endpoint, exporter_page, NULL);
}

void exporter_stop(void)
{
	metrics_http_close(&exporter_endpoint);
}
