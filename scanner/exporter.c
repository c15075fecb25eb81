/*
 * exporter.c - mxscand's metrics page and endpoint (see exporter.h).
 *
 * The page is written on libmicrohttpd's thread from snapshots the
 * daemon already takes for STATS and HEALTH (generation_status,
 * pool_counts, cache_get_counts, each under its own lock) and from the
 * atomic counters of meter.c and stats.c.
 */
#include "auto-config.h"

#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/engine.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/metrics_http.h"
#include "scanner/cache.h"
#include "scanner/exporter.h"
#include "scanner/generation.h"
#include "scanner/meter.h"
#include "scanner/pool.h"
#include "scanner/stats.h"

static struct metrics_http_endpoint exporter_endpoint = {.fd = -1};

/* exporter_gauge - a family of one unlabelled gauge. */
static void exporter_gauge(struct buffer *out, const char *name, const char *help, long long v)
{
	metrics_family(out, name, METRICS_GAUGE, help);
	metrics_sample(out, name, NULL, v);
}

/* exporter_engine - the engine, its database and its reloads. */
static void exporter_engine(struct buffer *out)
{
	static const char *const states[] = {"idle", "loading", "failed"};
	struct generation_status st;
	unsigned i;

	generation_status(&st);
	exporter_gauge(out, "mxscand_engine_ready", "1 when an engine is loaded and serving scans.",
		       st.id != 0);
	exporter_gauge(out, "mxscand_engine_generation",
		       "Engines loaded since start; the one serving scans (0 before the first).",
		       (long long)st.id);
	exporter_gauge(out, "mxscand_signatures", "Signatures in the serving engine.",
		       (long long)st.sigs);
	exporter_gauge(out, "mxscand_database_version",
		       "Version of the serving database (daily.cvd's; 0 if unversioned).",
		       (long long)st.version);
	metrics_family(out, "mxscand_database_timestamp_seconds", METRICS_GAUGE,
		       "Build time of the serving database, Unix seconds (absent if unknown).");
	if (st.time != 0)
		metrics_sample(out, "mxscand_database_timestamp_seconds", NULL, (long long)st.time);
	metrics_family(out, "mxscand_database_age_seconds", METRICS_GAUGE,
		       "Seconds since the serving database was built (absent if unknown).");
	if (st.time != 0)
		metrics_sample(out, "mxscand_database_age_seconds", NULL,
			       (long long)(time(NULL) - st.time));
	metrics_family(out, "mxscand_reload_state", METRICS_GAUGE,
		       "1 for the reload state now (idle, loading, failed), 0 for the others.");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		metrics_sample(out, "mxscand_reload_state",
			       (const char *[]){"state", states[i], NULL},
			       strcmp(st.state, states[i]) == 0);
	exporter_gauge(out, "mxscand_reload_consecutive_failures",
		       "Database loads failed since the last one that succeeded.",
		       (long long)st.failures);
}

void exporter_page(struct buffer *out, void *unused)
{
	struct cache_counts cc;
	int queued, busy, total;
	long long lookups;

	metrics_family(out, "mxscand_build_info", METRICS_GAUGE,
		       "Always 1; the labels name mxscand's and libclamav's versions.");
	metrics_sample(out, "mxscand_build_info",
		       (const char *[]){"version", PACKAGE_VERSION, "libclamav", engine_version(),
				        NULL}, 1);
	exporter_gauge(out, "mxscand_start_time_seconds", "Start time of the daemon, Unix seconds.",
		       (long long)time(NULL) - stats_uptime());
	meter_write(out);
	pool_counts(&queued, &busy, &total);
	exporter_gauge(out, "mxscand_queue_depth", "Complete requests waiting for a scan thread.",
		       queued);
	exporter_gauge(out, "mxscand_threads_busy", "Scan threads scanning now.", busy);
	exporter_gauge(out, "mxscand_threads", "Scan threads (scand_threads).", total);
	exporter_gauge(out, "mxscand_connections", "Client connections open now.",
		       stats_get(STATS_CONNECTIONS));
	exporter_engine(out);
	cache_get_counts(&cc);
	exporter_gauge(out, "mxscand_cache_entries", "Verdicts held in the verdict cache.",
		       cc.entries);
	metrics_family(out, "mxscand_cache_hits_total", METRICS_COUNTER,
		       "Verdict cache lookups answered from the cache.");
	metrics_sample(out, "mxscand_cache_hits_total", NULL, cc.hits);
	metrics_family(out, "mxscand_cache_misses_total", METRICS_COUNTER,
		       "Verdict cache lookups that had to scan.");
	metrics_sample(out, "mxscand_cache_misses_total", NULL, cc.misses);
	lookups = cc.hits + cc.misses;
	metrics_family(out, "mxscand_cache_hit_ratio", METRICS_GAUGE,
		       "Cache hits over lookups since start (0 before the first lookup).");
	metrics_sample_double(out, "mxscand_cache_hit_ratio", NULL,
			      lookups > 0 ? (double)cc.hits / (double)lookups : 0.0);
}

void exporter_open(void)
{
	metrics_http_open(&exporter_endpoint, CONF_SCAND_METRICS_LISTEN);
}

void exporter_start(void)
{
	metrics_http_serve(&exporter_endpoint, exporter_page, NULL);
}

void exporter_stop(void)
{
	metrics_http_close(&exporter_endpoint);
}
