/*
 * exporter.h - mxscand's metrics endpoint (scand_metrics_listen): the
 * page of meter.h's counters and the daemon's gauges (queue, threads,
 * connections, engine generation, database, reload state, cache),
 * served by common/metrics_http.h.  Off when scand_metrics_listen is
 * empty (the default).
 */
#ifndef MX_EXPORTER_H
#define MX_EXPORTER_H

#include "common/buffer.h"

/* exporter_open - bind scand_metrics_listen if set (before dropping privileges); fatal on failure. */
void exporter_open(void);

/* exporter_start - serve what exporter_open() bound; fatal on failure. */
void exporter_start(void);

/* exporter_stop - stop serving (a no-op when not started). */
void exporter_stop(void);

/* exporter_page - the whole page (also what a scrape gets). */
void exporter_page(struct buffer *out, void *unused);

#endif
