/*
 * stats.c - counters and the STATS / HEALTH reply texts.
 *
 * STATS keeps clamd's layout (POOLS, STATE, THREADS, QUEUE, MEMSTATS,
 * END) so clamdtop and monitoring scripts read it; HEALTH is mxscan's
 * own "key: value" report (documented in mxscand(8)).
 */
#include "auto-config.h"

#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/proto.h"
#include "common/xalloc.h"
#include "scanner/cache.h"
#include "scanner/generation.h"
#include "scanner/pool.h"
#include "scanner/stats.h"

static _Atomic long long stats_counters[STATS__COUNT];
static time_t stats_started;

void stats_init(void)
{
	stats_started = time(NULL);
}

void stats_add(enum stats_counter c, long long n)
{
	atomic_fetch_add(&stats_counters[c], n);
}

long long stats_get(enum stats_counter c)
{
	return atomic_load(&stats_counters[c]);
}

/* stats_prefix - "<id>: " or "". */
static void stats_prefix(char *buf, size_t size, unsigned id)
{
	proto_id_prefix(buf, size, id);
}

char *stats_format_stats(unsigned id)
{
	struct cache_counts cc;
	int queued, busy, total;
	char prefix[24], mem[256];
	char *active, *out;

	stats_prefix(prefix, sizeof(prefix), id);
	pool_counts(&queued, &busy, &total);
	active = pool_active();
#ifdef HAVE_MALLINFO2
	{
		struct mallinfo2 mi = mallinfo2();

		snprintf(mem, sizeof(mem),
			 "MEMSTATS: heap %.3fM mmap %.3fM used %.3fM free %.3fM releasable %.3fM "
			 "pools 1 pools_used %.3fM pools_total %.3fM\n",
			 mi.arena / 1048576.0, mi.hblkhd / 1048576.0, mi.uordblks / 1048576.0,
			 mi.fordblks / 1048576.0, mi.keepcost / 1048576.0,
			 mi.uordblks / 1048576.0, (mi.arena + mi.hblkhd) / 1048576.0);
	}
#else
	snprintf(mem, sizeof(mem), "MEMSTATS: heap N/A mmap N/A used N/A free N/A releasable N/A "
				   "pools 0 pools_used N/A pools_total N/A\n");
#endif
	/* CACHE is mxscan's line; clamdtop skips lines it does not know. */
	cache_get_counts(&cc);
	out = xasprintf("%sPOOLS: 1\n\nSTATE: VALID PRIMARY\n"
			"THREADS: live %d  idle %d max %d idle-timeout %lld\n"
			"QUEUE: %d items\n%s\n%sCACHE: entries %lld hits %lld misses %lld\nEND",
			prefix, busy, total - busy, total,
			config_num(CONF_SCAND_IDLE_TIMEOUT) / 1000, queued, active, mem, cc.entries,
			cc.hits, cc.misses);
	free(active);
	return out;
}

char *stats_format_health(unsigned id)
{
	struct cache_counts cc;
	struct generation_status st;
	int queued, busy, total;
	char prefix[24];

	stats_prefix(prefix, sizeof(prefix), id);
	generation_status(&st);
	cache_get_counts(&cc);
	pool_counts(&queued, &busy, &total);
	return xasprintf("%sstatus: %s\n"
			 "engine_generation: %llu\n"
			 "database_path: %s\n"
			 "database_version: %u\n"
			 "database_time: %lld\n"
			 "signatures: %u\n"
			 "reload_state: %s\n"
			 "reload_failures: %u\n"
			 "reload_last_error: %s\n"
			 "queue_depth: %d\n"
			 "threads_busy: %d\n"
			 "threads_total: %d\n"
			 "connections: %lld\n"
			 "requests: %lld\n"
			 "infected: %lld\n"
			 "errors: %lld\n"
			 "uptime: %lld\n"
			 "cache_entries: %lld\n"
			 "cache_hits: %lld\n"
			 "cache_misses: %lld\n"
			 "END",
			 prefix, st.id ? "ready" : "not-ready", st.id, st.path, st.version,
			 (long long)st.time, st.sigs, st.state, st.failures, st.last_error, queued,
			 busy, total, stats_get(STATS_CONNECTIONS), stats_get(STATS_REQUESTS),
			 stats_get(STATS_INFECTED), stats_get(STATS_ERRORS),
			 (long long)(time(NULL) - stats_started), cc.entries, cc.hits, cc.misses);
}
