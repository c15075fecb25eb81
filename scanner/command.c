/*
 * command.c - the command table, one handler per verb, and the STATS and
 * HEALTH reports (see command.h).
 *
 * The table order is clamd's (it is also the VERSIONCOMMANDS list), with
 * mxscan's additions at the end.  Handlers touch no connection: they
 * write their reply into the result and name the action.
 */
#include "auto-config.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/engine.h"
#include "common/log.h"
#include "common/sock.h"
#include "scanner/cache.h"
#include "scanner/command.h"
#include "scanner/generation.h"
#include "scanner/meter.h"
#include "scanner/pool.h"
#include "scanner/roots.h"
#include "scanner/stats.h"

enum {
	CMD_ARG = 1,		/* takes an argument after a separator */
	CMD_OLD = 2,		/* allowed in old (unprefixed) style */
	CMD_SESSION = 4,	/* allowed inside IDSESSION */
	CMD_ADMIN = 8,		/* RELOAD, SHUTDOWN: off on TCP by default */
	CMD_PATH = 16,		/* scans a path: confined, off on TCP */
	CMD_READY = 32,		/* needs a loaded engine (checked here unless CMD_PATH) */
	CMD_STREAM = 64,	/* reads INSTREAM chunks: a refusal names "stream" */
	CMD_END = 128,		/* END: only inside a session, takes no request id */
	CMD_KEEP = 256,		/* a not-ready refusal keeps the conversation (PING) */
	CMD_LEGACY = 512,	/* STREAM: exists only with scand_legacy_stream */
};

struct command;

/* What a handler gets: the command's row, its connection, its result. */
struct command_ctx {
	const struct command *cmd;
	struct command_conn *cc;
	struct command_result *r;
	const char *arg;	/* argument or NULL */
};

struct command {
	const char *name;
	unsigned flags;
	void (*run)(struct command_ctx *x);
	enum job_scan scan;	/* path scans, INSTREAM, MIMESCAN */
};

static void cmd_ping(struct command_ctx *);
static void cmd_version(struct command_ctx *);
static void cmd_versioncommands(struct command_ctx *);
static void cmd_reload(struct command_ctx *);
static void cmd_selfcheck(struct command_ctx *);
static void cmd_shutdown(struct command_ctx *);
static void cmd_scan(struct command_ctx *);
static void cmd_fildes(struct command_ctx *);
static void cmd_stats(struct command_ctx *);
static void cmd_idsession(struct command_ctx *);
static void cmd_end(struct command_ctx *);
static void cmd_instream(struct command_ctx *);
static void cmd_detstats(struct command_ctx *);
static void cmd_health(struct command_ctx *);
static void cmd_stream(struct command_ctx *);

static const struct command command_table[] = {
	{"SCAN", CMD_ARG | CMD_OLD | CMD_SESSION | CMD_PATH | CMD_READY, cmd_scan, JOB_SCAN},
	{"QUIT", CMD_OLD | CMD_ADMIN, cmd_shutdown, 0},
	{"RELOAD", CMD_OLD | CMD_ADMIN, cmd_reload, 0},
	{"SELFCHECK", CMD_OLD, cmd_selfcheck, 0},
	{"PING", CMD_OLD | CMD_SESSION | CMD_READY | CMD_KEEP, cmd_ping, 0},
	{"CONTSCAN", CMD_ARG | CMD_OLD | CMD_PATH | CMD_READY, cmd_scan, JOB_CONTSCAN},
	{"VERSIONCOMMANDS", CMD_SESSION, cmd_versioncommands, 0},
	{"VERSION", CMD_OLD | CMD_SESSION, cmd_version, 0},
	/* Old clamd's place for STREAM (0.95, 0.96): old style allowed, not in IDSESSION. */
	{"STREAM", CMD_OLD | CMD_READY | CMD_STREAM | CMD_LEGACY, cmd_stream, JOB_INSTREAM},
	{"END", CMD_SESSION | CMD_END, cmd_end, 0},
	{"SHUTDOWN", CMD_OLD | CMD_ADMIN, cmd_shutdown, 0},
	{"MULTISCAN", CMD_ARG | CMD_OLD | CMD_PATH | CMD_READY, cmd_scan, JOB_MULTISCAN},
	{"FILDES", CMD_OLD | CMD_SESSION | CMD_READY, cmd_fildes, JOB_INSTREAM},
	{"STATS", CMD_SESSION, cmd_stats, 0},
	{"IDSESSION", 0, cmd_idsession, 0},
	{"INSTREAM", CMD_SESSION | CMD_READY | CMD_STREAM, cmd_instream, JOB_INSTREAM},
	{"DETSTATSCLEAR", CMD_OLD, cmd_detstats, 0},
	{"DETSTATS", CMD_OLD, cmd_detstats, 0},
	{"ALLMATCHSCAN", CMD_ARG | CMD_PATH | CMD_READY, cmd_scan, JOB_ALLMATCHSCAN},
	{"HEALTH", CMD_SESSION, cmd_health, 0},
	{"MIMESCAN", CMD_SESSION | CMD_READY | CMD_STREAM, cmd_instream, JOB_MIME},
	{"MIMEFACTS", CMD_SESSION | CMD_READY | CMD_STREAM, cmd_instream, JOB_MIMEFACTS},
	{"PARTFACTS", CMD_SESSION | CMD_READY | CMD_STREAM, cmd_instream, JOB_PARTFACTS},
};

#define COMMAND_COUNT (sizeof(command_table) / sizeof(command_table[0]))

/* command_enabled - is E a command of this configuration? */
static int command_enabled(const struct command *e)
{
	return !(e->flags & CMD_LEGACY) || config_num(CONF_SCAND_LEGACY_STREAM);
}

static const char command_not_ready[] = "Signature database not loaded yet.";
static const char command_unknown[] = "UNKNOWN COMMAND";
static const char command_bare_in_session[] =
	"Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR";

/* command_lookup - clamd's prefix match; *arg_r gets the argument. */
static const struct command *command_lookup(const char *cmd, size_t len, const char **arg_r)
{
	size_t i;

	*arg_r = NULL;
	for (i = 0; i < COMMAND_COUNT; i++) {
		const struct command *e = &command_table[i];
		size_t n = strlen(e->name);

		if (len < n || memcmp(cmd, e->name, n) != 0 || !command_enabled(e))
			continue;
		if (!(e->flags & CMD_ARG)) {
			if (len == n)
				return e;
			continue;
		}
		if (len > n + 1) {
			*arg_r = cmd + n + 1;
			return e;
		}
	}
	return NULL;
}

/* command_reply_text - "[<id>: ]<text><term>". */
static void command_reply_text(struct command_ctx *x, const char *text)
{
	struct command_result *r = x->r;
	size_t size = strlen(text) + 32;
	int n = proto_reply_text(buffer_reserve(&r->reply, size), size, r->id, text, r->term);

	if (n > 0)
		buffer_commit(&r->reply, (size_t)n);
}

void command_reply_error(struct buffer *b, unsigned id, char term, const char *path,
			 const char *reason)
{
	size_t size = strlen(reason) + (path != NULL ? strlen(path) : 0) + 48;
	int n = proto_reply_error(buffer_reserve(b, size), size, id, path, reason, term);

	if (n > 0)
		buffer_commit(b, (size_t)n);
}

/* command_version_text - "ClamAV <engine>[/<db version>/<db time>]". */
static void command_version_text(char *buf, size_t size)
{
	struct generation_status st;

	generation_status(&st);
	if (st.id != 0 && st.version != 0) {
		char when[64];
		time_t t = st.time;

		ctime_r(&t, when);
		when[strcspn(when, "\n")] = '\0';
		snprintf(buf, size, "ClamAV %s/%u/%s", engine_version(), st.version, when);
	} else {
		snprintf(buf, size, "ClamAV %s", engine_version());
	}
}

static void cmd_ping(struct command_ctx *x)
{
	command_reply_text(x, "PONG");
}

static void cmd_version(struct command_ctx *x)
{
	char buf[256];

	command_version_text(buf, sizeof(buf));
	command_reply_text(x, buf);
}

static void cmd_versioncommands(struct command_ctx *x)
{
	char buf[1024];
	size_t i, n;

	command_version_text(buf, sizeof(buf));
	n = strlen(buf);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "| COMMANDS:");
	for (i = 0; i < COMMAND_COUNT && n < sizeof(buf); i++)
		if (command_enabled(&command_table[i]))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s", command_table[i].name);
	command_reply_text(x, buf);
}

static void cmd_reload(struct command_ctx *x)
{
	generation_request_reload("RELOAD command");
	command_reply_text(x, "RELOADING");
}

static void cmd_selfcheck(struct command_ctx *x)
{
	struct generation_status st;
	char dir[PATH_MAX];

	generation_status(&st);
	generation_db_dir(dir, sizeof(dir));
	if (st.reload_pending || strcmp(dir, st.path) != 0) {
		generation_request_reload("SELFCHECK command");
		command_reply_text(x, "RELOADING");
	} else {
		command_reply_text(x, "DBUPTODATE");
	}
}

static void cmd_shutdown(struct command_ctx *x)
{
	log_info("SHUTDOWN requested by %s", x->cc->peer);
	x->r->action = COMMAND_SHUTDOWN;
}

static void cmd_detstats(struct command_ctx *x)
{
	x->r->action = COMMAND_CLOSE;
}

/* command_active_line - one "\t<CMD> <seconds> <name>\n" line of STATS. */
static void command_active_line(void *arg, const struct pool_work *w)
{
	struct buffer *b = arg;
	char name[LOG_SAFE_MAX];
	const char *n = w->name != NULL ? w->name : "stream";

	log_sanitize(name, sizeof(name), n, strlen(n));
	buffer_appendf(b, "\t%s %f %s\n", w->what, (double)(sock_now_ms() - w->start_ms) / 1000.0,
		       name);
}

/* command_prefix - "<id>: " before a report, when in a session. */
static void command_prefix(struct buffer *b, unsigned id)
{
	char prefix[PROTO_ID_PREFIX_MAX];
	int n = proto_id_prefix(prefix, sizeof(prefix), id);

	if (n > 0)
		buffer_append(b, prefix, (size_t)n);
}

/*
 * cmd_stats - clamd's layout (POOLS, STATE, THREADS, QUEUE, MEMSTATS,
 * END) so clamdtop and monitoring scripts read it; CACHE is mxscan's
 * line (clamdtop skips lines it does not know).  THREADS counts as
 * clamd's thrmgr does: live is the threads alive (all of ours), idle
 * those of them waiting, so idle <= live (clamdtop aborts otherwise).
 */
static void cmd_stats(struct command_ctx *x)
{
	struct buffer *b = &x->r->reply;
	struct cache_counts cc;
	int queued, busy, total;

	pool_counts(&queued, &busy, &total);
	command_prefix(b, x->r->id);
	buffer_appendf(b, "POOLS: 1\n\nSTATE: VALID PRIMARY\n"
		       "THREADS: live %d  idle %d max %d idle-timeout %lld\nQUEUE: %d items\n",
		       total, total - busy, total, config_num(CONF_SCAND_IDLE_TIMEOUT) / 1000,
		       queued);
	pool_each_running(command_active_line, b);
#ifdef HAVE_MALLINFO2
	{
		struct mallinfo2 mi = mallinfo2();

		buffer_appendf(b,
			       "\nMEMSTATS: heap %.3fM mmap %.3fM used %.3fM free %.3fM "
			       "releasable %.3fM pools 1 pools_used %.3fM pools_total %.3fM\n",
			       mi.arena / 1048576.0, mi.hblkhd / 1048576.0,
			       mi.uordblks / 1048576.0, mi.fordblks / 1048576.0,
			       mi.keepcost / 1048576.0, mi.uordblks / 1048576.0,
			       (mi.arena + mi.hblkhd) / 1048576.0);
	}
#else
	buffer_appendf(b, "\nMEMSTATS: heap N/A mmap N/A used N/A free N/A releasable N/A "
		       "pools 0 pools_used N/A pools_total N/A\n");
#endif
	cache_get_counts(&cc);
	buffer_appendf(b, "CACHE: entries %lld hits %lld misses %lld\nEND%c", cc.entries, cc.hits,
		       cc.misses, x->r->term);
}

/* cmd_health - mxscan's own "key: value" report (documented in mxscand(8)). */
static void cmd_health(struct command_ctx *x)
{
	struct buffer *b = &x->r->reply;
	struct generation_status st;
	struct cache_counts cc;
	int queued, busy, total;

	generation_status(&st);
	cache_get_counts(&cc);
	pool_counts(&queued, &busy, &total);
	command_prefix(b, x->r->id);
	buffer_appendf(b, "status: %s\nengine_generation: %llu\ndatabase_path: %s\n"
		       "database_version: %u\ndatabase_time: %lld\nsignatures: %u\n"
		       "reload_state: %s\nreload_failures: %u\nreload_last_error: %s\n",
		       st.id ? "ready" : "not-ready", st.id, st.path, st.version,
		       (long long)st.time, st.sigs, st.state, st.failures, st.last_error);
	buffer_appendf(b, "queue_depth: %d\nthreads_busy: %d\nthreads_total: %d\n"
		       "connections: %lld\nrequests: %lld\ninfected: %lld\nerrors: %lld\n"
		       "uptime: %lld\ncache_entries: %lld\ncache_hits: %lld\ncache_misses: %lld\n"
		       "END%c", queued, busy, total, stats_get(STATS_CONNECTIONS),
		       stats_get(STATS_REQUESTS), stats_get(STATS_INFECTED),
		       stats_get(STATS_ERRORS), stats_uptime(), cc.entries, cc.hits, cc.misses,
		       x->r->term);
}

static void cmd_idsession(struct command_ctx *x)
{
	x->r->action = COMMAND_SESSION;
}

static void cmd_end(struct command_ctx *x)
{
	x->r->action = COMMAND_END;
}

static void cmd_instream(struct command_ctx *x)
{
	x->r->action = COMMAND_STREAM;
}

static void cmd_stream(struct command_ctx *x)
{
	x->r->action = COMMAND_LEGACY_STREAM;
}

static void cmd_fildes(struct command_ctx *x)
{
	if (!x->cc->is_unix) {
		command_reply_error(&x->r->reply, x->r->id, x->r->term, NULL,
				    "No file descriptor received.");
		return;
	}
	x->r->action = COMMAND_FILDES;
}

static void cmd_scan(struct command_ctx *x)
{
	struct command_result *r = x->r;
	const char *why = NULL;
	char reason[256];

	if (!x->cc->is_unix && !config_num(CONF_SCAND_TCP_PATH_SCANS)) {
		why = "Path scans are disabled on TCP.";
	} else if (x->cmd->scan == JOB_ALLMATCHSCAN && !config_num(CONF_SCAND_ALLMATCHSCAN)) {
		why = "ALLMATCHSCAN command disabled by clamd configuration.";
	} else if (roots_check_path(x->arg, &why) < 0 && why == NULL) {
		snprintf(reason, sizeof(reason), "File path check failure: %s.", strerror(errno));
		why = reason;
	}
	if (why != NULL) {
		command_reply_error(&r->reply, r->id, r->term, x->arg, why);
		return;
	}
	r->action = COMMAND_PATH;
	r->arg = x->arg;
}

/* command_engine_ready - is an engine loaded? */
static int command_engine_ready(void)
{
	struct generation *g = generation_acquire();

	generation_release(g);
	return g != NULL;
}

void command_dispatch(struct command_conn *cc, const struct proto_frame *frame,
		      struct command_result *r)
{
	struct command_ctx x = {.cc = cc, .r = r};
	const struct command *cmd;
	char logname[LOG_SAFE_MAX];

	r->action = COMMAND_DONE;
	r->id = 0;
	r->term = proto_terminator(frame->framing);
	r->name = NULL;
	r->scan = JOB_SCAN;
	r->arg = NULL;
	if (cc->in_session && frame->framing == PROTO_FRAME_BARE) {
		buffer_appendf(&r->reply, "%s\n", command_bare_in_session);
		r->action = COMMAND_FAIL;
		return;
	}
	cmd = command_lookup(frame->cmd, frame->cmd_len, &x.arg);
	meter_command(cmd != NULL ? cmd->name : NULL);
	if (cc->in_session && (cmd == NULL || !(cmd->flags & CMD_SESSION))) {
		/* clamd answers this with the request's id and ends the session. */
		command_reply_error(&r->reply, cc->next_id++, r->term, NULL,
				    "Command invalid inside IDSESSION.");
		r->action = COMMAND_END;
		return;
	}
	if (cmd == NULL || (frame->framing == PROTO_FRAME_BARE && !(cmd->flags & CMD_OLD)) ||
	    ((cmd->flags & CMD_END) && !cc->in_session)) {
		log_sanitize(logname, sizeof(logname), frame->cmd, frame->cmd_len);
		log_warn("conn %llu (%s): unknown command: %s", cc->serial, cc->peer, logname);
		buffer_append(&r->reply, command_unknown, sizeof(command_unknown) - 1);
		buffer_append(&r->reply, &r->term, 1);
		r->action = COMMAND_FAIL;
		return;
	}
	x.cmd = cmd;
	r->name = cmd->name;
	r->scan = cmd->scan;
	if (cc->in_session && !(cmd->flags & CMD_END))
		r->id = cc->next_id++;
	if ((cmd->flags & CMD_ADMIN) && !cc->is_unix &&
	    !config_num(CONF_SCAND_TCP_ADMIN_COMMANDS)) {
		command_reply_text(&x, "COMMAND UNAVAILABLE");
		return;
	}
	if ((cmd->flags & CMD_READY) && !(cmd->flags & CMD_PATH) && !command_engine_ready()) {
		/* Not ready: PING says so and the session goes on; a stream or
		 * descriptor request cannot be left half read. */
		command_reply_error(&r->reply, r->id, r->term,
				    cmd->flags & CMD_STREAM ? "stream" : NULL, command_not_ready);
		if (!(cmd->flags & CMD_KEEP))
			r->action = COMMAND_FAIL;
		return;
	}
	cmd->run(&x);
}
