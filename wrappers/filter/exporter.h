/*
 * exporter.h - mxscan-filter's metrics (filter_metrics_listen, off by
 * default): messages by action, by verdict and by reply class, scanner
 * failures, and histograms of the time per message and per scan, served
 * by common/metrics_http.h.  Counting is a few relaxed atomic adds from
 * any session thread; labels take only fixed words, never a signature,
 * an address or a queue id.
 */
#ifndef MX_FILTER_EXPORTER_H
#define MX_FILTER_EXPORTER_H

#include "common/buffer.h"
#include "wrappers/filter/verdict.h"

/*
 * exporter_message - one message has its reply: ACTION as logged
 * ("delivered", "quarantined", ...; an unknown word counts as "other"),
 * V its scan (all zero when none ran), TOTAL_MS from the end of DATA to
 * the reply, REPLY the reply to the client.
 */
void exporter_message(const char *action, const struct verdict *v, long long total_ms,
		      const char *reply);

/* exporter_open - bind filter_metrics_listen if set (before dropping privileges); fatal on failure. */
void exporter_open(void);

/* exporter_start - serve what exporter_open() bound; fatal on failure. */
void exporter_start(void);

/* exporter_stop - stop serving (a no-op when not started). */
void exporter_stop(void);

/* exporter_page - the whole page (also what a scrape gets). */
void exporter_page(struct buffer *out, void *unused);

#endif
