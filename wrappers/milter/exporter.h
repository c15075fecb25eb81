/*
 * exporter.h - mxscan-milter's metrics (milter_metrics_listen, off by
 * default): messages by action and by verdict, scanner failures,
 * messages the MTA aborted, and histograms of the time the MTA waits at
 * end-of-message and of the scan, served by common/metrics_http.h.
 * Counting is a few relaxed atomic adds from any libmilter thread;
 * labels take only fixed words, never a signature, an address or a
 * queue id.
 */
#ifndef MX_MILTER_EXPORTER_H
#define MX_MILTER_EXPORTER_H

#include "common/buffer.h"

/*
 * exporter_message - one message has its verdict line: ACTION and
 * VERDICT as logged (an unknown word counts as "other"), EOM_MS the time
 * from end-of-message to the reply and SCAN_MS the scan's (-1 each for a
 * message that was skipped before its end: neither is observed).
 */
void exporter_message(const char *action, const char *verdict, long long eom_ms,
		      long long scan_ms);

/* exporter_aborted - the MTA aborted a message before its end. */
void exporter_aborted(void);

/* exporter_open - bind milter_metrics_listen if set (before dropping privileges); fatal on failure. */
void exporter_open(void);

/*
 * exporter_start - serve what exporter_open() bound; fatal on failure.
 * The endpoint's thread blocks SIGTERM, SIGINT and SIGHUP: they are
 * libmilter's (smfi_main).
 */
void exporter_start(void);

/* exporter_stop - stop serving (a no-op when not started). */
void exporter_stop(void);

/* exporter_page - the whole page (also what a scrape gets). */
void exporter_page(struct buffer *out, void *unused);

#endif
