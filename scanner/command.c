/*
 * command.c - the command table and one handler per verb.
 *
 * The table order is clamd's (it is also the VERSIONCOMMANDS list), with
 * mxscan's additions at the end.  Every reply goes through conn_send_*()
 * and the proto_reply helpers, so framing and "<id>: " prefixes are
 * applied in one place.
 */
#include "auto-config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/engine.h"
#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "scanner/command.h"
#include "scanner/conn.h"
#include "scanner/generation.h"
#include "scanner/job.h"
#include "scanner/roots.h"
#include "scanner/server.h"
#include "scanner/stats.h"

enum {
	CMD_ARG = 1,		/* takes an argument after a separator */
	CMD_OLD = 2,		/* allowed in old (unprefixed) style */
	CMD_SESSION = 4,	/* allowed inside IDSESSION */
	CMD_ADMIN = 8,		/* RELOAD, SHUTDOWN: off on TCP by default */
	CMD_PATH = 16,		/* scans a path: confined, off on TCP */
	CMD_READY = 32,		/* needs a loaded engine */
};

struct command_ctx {
	struct conn *c;
	unsigned id;		/* IDSESSION request id or 0 */
	char term;
	const char *arg;	/* argument or NULL */
};

struct command {
	const char *name;
	unsigned flags;
	void (*run)(const struct command *cmd, struct command_ctx *x);
	int scan;		/* enum job_scan for path scans */
};

static void cmd_ping(const struct command *, struct command_ctx *);
static void cmd_version(const struct command *, struct command_ctx *);
static void cmd_versioncommands(const struct command *, struct command_ctx *);
static void cmd_reload(const struct command *, struct command_ctx *);
static void cmd_selfcheck(const struct command *, struct command_ctx *);
static void cmd_shutdown(const struct command *, struct command_ctx *);
static void cmd_scan(const struct command *, struct command_ctx *);
static void cmd_fildes(const struct command *, struct command_ctx *);
static void cmd_stats(const struct command *, struct command_ctx *);
static void cmd_idsession(const struct command *, struct command_ctx *);
static void cmd_end(const struct command *, struct command_ctx *);
static void cmd_instream(const struct command *, struct command_ctx *);
static void cmd_detstats(const struct command *, struct command_ctx *);
static void cmd_health(const struct command *, struct command_ctx *);

static const struct command command_table[] = {
	{"SCAN", CMD_ARG | CMD_OLD | CMD_SESSION | CMD_PATH | CMD_READY, cmd_scan, JOB_SCAN},
	{"QUIT", CMD_OLD | CMD_ADMIN, cmd_shutdown, 0},
	{"RELOAD", CMD_OLD | CMD_ADMIN, cmd_reload, 0},
	{"SELFCHECK", CMD_OLD, cmd_selfcheck, 0},
	{"PING", CMD_OLD | CMD_SESSION | CMD_READY, cmd_ping, 0},
	{"CONTSCAN", CMD_ARG | CMD_OLD | CMD_PATH | CMD_READY, cmd_scan, JOB_CONTSCAN},
	{"VERSIONCOMMANDS", CMD_SESSION, cmd_versioncommands, 0},
	{"VERSION", CMD_OLD | CMD_SESSION, cmd_version, 0},
	{"END", CMD_SESSION, cmd_end, 0},
	{"SHUTDOWN", CMD_OLD | CMD_ADMIN, cmd_shutdown, 0},
	{"MULTISCAN", CMD_ARG | CMD_OLD | CMD_PATH | CMD_READY, cmd_scan, JOB_MULTISCAN},
	{"FILDES", CMD_OLD | CMD_SESSION | CMD_READY, cmd_fildes, 0},
	{"STATS", CMD_SESSION, cmd_stats, 0},
	{"IDSESSION", 0, cmd_idsession, 0},
	{"INSTREAM", CMD_SESSION | CMD_READY, cmd_instream, 0},
	{"DETSTATSCLEAR", CMD_OLD, cmd_detstats, 0},
	{"DETSTATS", CMD_OLD, cmd_detstats, 0},
	{"ALLMATCHSCAN", CMD_ARG | CMD_PATH | CMD_READY, cmd_scan, JOB_ALLMATCHSCAN},
	{"HEALTH", CMD_SESSION, cmd_health, 0},
	{"MIMESCAN", CMD_SESSION | CMD_READY, cmd_instream, JOB_MIME},
};

#define COMMAND_COUNT (sizeof(command_table) / sizeof(command_table[0]))

static const char command_not_ready[] = "Signature database not loaded yet.";

/* command_lookup - clamd's prefix match; *arg_r gets the argument. */
static const struct command *command_lookup(const char *cmd, size_t len, const char **arg_r)
{
	size_t i;

	*arg_r = NULL;
	for (i = 0; i < COMMAND_COUNT; i++) {
		const struct command *e = &command_table[i];
		size_t n = strlen(e->name);

		if (len < n || memcmp(cmd, e->name, n) != 0)
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

/* command_reply_close - a reply that ends the conversation outside a session. */
static void command_done(struct command_ctx *x)
{
	conn_finish_request(x->c);
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

static void cmd_ping(const struct command *cmd, struct command_ctx *x)
{
	conn_send_text(x->c, x->id, x->term, "PONG");
	command_done(x);
}

static void cmd_version(const struct command *cmd, struct command_ctx *x)
{
	char buf[256];

	command_version_text(buf, sizeof(buf));
	conn_send_text(x->c, x->id, x->term, buf);
	command_done(x);
}

static void cmd_versioncommands(const struct command *cmd, struct command_ctx *x)
{
	char buf[1024];
	size_t i, n;

	command_version_text(buf, sizeof(buf));
	n = strlen(buf);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "| COMMANDS:");
	for (i = 0; i < COMMAND_COUNT && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s", command_table[i].name);
	conn_send_text(x->c, x->id, x->term, buf);
	command_done(x);
}

static void cmd_reload(const struct command *cmd, struct command_ctx *x)
{
	generation_request_reload("RELOAD command");
	conn_send_text(x->c, x->id, x->term, "RELOADING");
	command_done(x);
}

static void cmd_selfcheck(const struct command *cmd, struct command_ctx *x)
{
	struct generation_status st;
	char dir[PATH_MAX];

	generation_status(&st);
	generation_db_dir(dir, sizeof(dir));
	if (st.reload_pending || strcmp(dir, st.path) != 0) {
		generation_request_reload("SELFCHECK command");
		conn_send_text(x->c, x->id, x->term, "RELOADING");
	} else {
		conn_send_text(x->c, x->id, x->term, "DBUPTODATE");
	}
	command_done(x);
}

static void cmd_shutdown(const struct command *cmd, struct command_ctx *x)
{
	log_info("SHUTDOWN requested by %s", x->c->peer);
	server_stop();
	command_done(x);
}

static void cmd_detstats(const struct command *cmd, struct command_ctx *x)
{
	conn_close(x->c, "DETSTATS");
}

/* command_send_report - a multi-line report plus the command's terminator. */
static void command_send_report(struct command_ctx *x, char *text)
{
	conn_send(x->c, text, strlen(text));
	conn_send(x->c, &x->term, 1);
	free(text);
	command_done(x);
}

static void cmd_stats(const struct command *cmd, struct command_ctx *x)
{
	command_send_report(x, stats_format_stats(x->id));
}

static void cmd_health(const struct command *cmd, struct command_ctx *x)
{
	command_send_report(x, stats_format_health(x->id));
}

static void cmd_idsession(const struct command *cmd, struct command_ctx *x)
{
	x->c->in_session = 1;
	x->c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
}

static void cmd_end(const struct command *cmd, struct command_ctx *x)
{
	x->c->session_ended = 1;
	x->c->state = CONN_REPLYING;
	x->c->read_deadline = 0;
	server_mark_dirty(x->c);
}

static void cmd_instream(const struct command *cmd, struct command_ctx *x)
{
	struct conn *c = x->c;

	c->job = job_new(c, JOB_STREAM_MEM, cmd->name, x->id, x->term);
	c->job->scan = (enum job_scan)cmd->scan;	/* JOB_MIME for MIMESCAN */
	c->job->path = xstrdup("stream");
	c->stream_left = (unsigned long long)config_num(CONF_SCAND_STREAM_MAX_LENGTH);
	c->state = CONN_CHUNK_LEN;
	c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
}

static void cmd_fildes(const struct command *cmd, struct command_ctx *x)
{
	struct conn *c = x->c;

	if (!c->is_unix) {
		conn_send_error(c, x->id, x->term, NULL, "No file descriptor received.");
		command_done(x);
		return;
	}
	c->job = job_new(c, JOB_FILDES, "FILDES", x->id, x->term);
	c->state = CONN_WAIT_FD;
	c->read_deadline = sock_now_ms() + config_num(CONF_SCAND_IDLE_TIMEOUT);
}

void command_fildes_ready(struct conn *c, int fd)
{
	struct job *job = c->job;
	char name[32];

	c->job = NULL;
	job->fd = fd;
	snprintf(name, sizeof(name), "fd[%d]", fd);
	job->path = xstrdup(name);
	conn_finish_request(c);
	conn_submit(c, job);
}

static void cmd_scan(const struct command *cmd, struct command_ctx *x)
{
	struct conn *c = x->c;
	const char *why = NULL;
	struct job *job;

	if (c->is_tcp && !config_num(CONF_SCAND_TCP_PATH_SCANS)) {
		conn_send_error(c, x->id, x->term, x->arg, "Path scans are disabled on TCP.");
		command_done(x);
		return;
	}
	if (cmd->scan == JOB_ALLMATCHSCAN && !config_num(CONF_SCAND_ALLMATCHSCAN)) {
		conn_send_error(c, x->id, x->term, x->arg,
				"ALLMATCHSCAN command disabled by clamd configuration.");
		command_done(x);
		return;
	}
	if (roots_check_path(x->arg, &why) < 0) {
		char reason[256];

		if (why == NULL) {
			snprintf(reason, sizeof(reason), "File path check failure: %s.",
				 strerror(errno));
			why = reason;
		}
		conn_send_error(c, x->id, x->term, x->arg, why);
		command_done(x);
		return;
	}
	job = job_new(c, JOB_PATH, cmd->name, x->id, x->term);
	job->scan = (enum job_scan)cmd->scan;
	job->path = xstrdup(x->arg);
	conn_finish_request(c);
	conn_submit(c, job);
}

void command_dispatch(struct conn *c, const struct proto_frame *frame)
{
	struct command_ctx x = {.c = c, .term = proto_terminator(frame->framing)};
	const struct command *cmd;
	char logname[LOG_SAFE_MAX];

	if (c->in_session && frame->framing == PROTO_FRAME_BARE) {
		static const char only[] =
			"Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR\n";

		conn_error_close(c, only, sizeof(only) - 1);
		return;
	}
	cmd = command_lookup(frame->cmd, frame->cmd_len, &x.arg);
	if (c->in_session && (cmd == NULL || !(cmd->flags & CMD_SESSION))) {
		/* clamd answers this with the request's id and ends the session. */
		conn_send_error(c, c->next_id++, x.term, NULL, "Command invalid inside IDSESSION.");
		c->session_ended = 1;
		c->state = CONN_REPLYING;
		c->read_deadline = 0;
		return;
	}
	if (cmd == NULL || (frame->framing == PROTO_FRAME_BARE && !(cmd->flags & CMD_OLD)) ||
	    (cmd->run == cmd_end && !c->in_session)) {
		log_sanitize(logname, sizeof(logname), frame->cmd, frame->cmd_len);
		log_warn("conn %llu (%s): unknown command: %s", c->serial, c->peer, logname);
		conn_error_close(c, x.term == '\0' ? "UNKNOWN COMMAND" : "UNKNOWN COMMAND\n",
				 16);
		return;
	}
	if (c->in_session && cmd->run != cmd_end)
		x.id = c->next_id++;
	if ((cmd->flags & CMD_ADMIN) && c->is_tcp && !config_num(CONF_SCAND_TCP_ADMIN_COMMANDS)) {
		conn_send_text(c, x.id, x.term, "COMMAND UNAVAILABLE");
		command_done(&x);
		return;
	}
	if ((cmd->flags & CMD_READY) && cmd->run != cmd_scan) {
		struct generation *g = generation_acquire();

		generation_release(g);
		if (g == NULL) {
			/* Not ready: PING says so and the session goes on; a
			 * stream or descriptor request cannot be left half read. */
			conn_send_error(c, x.id, x.term, cmd->run == cmd_instream ? "stream" : NULL,
					command_not_ready);
			if (cmd->run == cmd_ping)
				command_done(&x);
			else
				conn_error_close(c, "", 0);
			return;
		}
	}
	cmd->run(cmd, &x);
}
