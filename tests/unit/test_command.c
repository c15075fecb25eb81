/*
 * test_command - unit tests of scanner/command.c, table-driven: a framed
 * command on a connection in a given state (session or not, UNIX or
 * TCP, engine loaded or not) must give exactly the reply bytes, the
 * action and the request id that clamd's protocol prescribes.  The
 * engine, generations and path roots are stubs (scanner_stubs.c).
 */
#include "auto-config.h"

#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/buffer.h"
#include "common/config.h"
#include "common/proto.h"
#include "scanner/command.h"
#include "scanner/events.h"
#include "scanner/pool.h"
#include "tests/unit/scanner_stubs.h"

/* S - a string literal and its length without the final NUL. */
#define S(lit) (lit), (sizeof(lit) - 1)

struct row {
	const char *name;	/* what the row shows */
	int in_session, is_unix, ready;
	enum proto_framing framing;
	const char *cmd;
	enum command_action action;
	const char *reply;	/* exact bytes (NUL terminators included) */
	size_t reply_len;
	unsigned id;		/* the request id given */
	unsigned next_id;	/* the session's next id afterwards (starts at 5) */
	enum job_scan scan;	/* STREAM, FILDES, PATH */
	const char *arg;	/* PATH */
};

#define ZERO "\0"

static const struct row rows[] = {
	{"z PING", 0, 1, 1, PROTO_FRAME_Z, "PING", COMMAND_DONE, S("PONG" ZERO), 0, 5, 0, NULL},
	{"n PING", 0, 1, 1, PROTO_FRAME_N, "PING", COMMAND_DONE, S("PONG\n"), 0, 5, 0, NULL},
	{"old-style PING", 0, 1, 1, PROTO_FRAME_BARE, "PING", COMMAND_DONE, S("PONG\n"), 0, 5, 0,
	 NULL},
	{"PING in a session takes the next id", 1, 1, 1, PROTO_FRAME_Z, "PING", COMMAND_DONE,
	 S("5: PONG" ZERO), 5, 6, 0, NULL},
	{"old style inside a session ends the conversation", 1, 1, 1, PROTO_FRAME_BARE, "PING",
	 COMMAND_FAIL, S("Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR\n"), 0,
	 5, 0, NULL},
	{"IDSESSION inside a session: an error with its id, and the end", 1, 1, 1, PROTO_FRAME_Z,
	 "IDSESSION", COMMAND_END, S("5: Command invalid inside IDSESSION. ERROR" ZERO), 0, 6, 0,
	 NULL},
	{"CONTSCAN inside a session is invalid", 1, 1, 1, PROTO_FRAME_N, "CONTSCAN /tmp",
	 COMMAND_END, S("5: Command invalid inside IDSESSION. ERROR\n"), 0, 6, 0, NULL},
	{"IDSESSION starts a session, no reply", 0, 1, 1, PROTO_FRAME_Z, "IDSESSION",
	 COMMAND_SESSION, S(""), 0, 5, 0, NULL},
	{"old-style IDSESSION is unknown", 0, 1, 1, PROTO_FRAME_BARE, "IDSESSION", COMMAND_FAIL,
	 S("UNKNOWN COMMAND\n"), 0, 5, 0, NULL},
	{"END outside a session is unknown", 0, 1, 1, PROTO_FRAME_Z, "END", COMMAND_FAIL,
	 S("UNKNOWN COMMAND" ZERO), 0, 5, 0, NULL},
	{"END in a session takes no id", 1, 1, 1, PROTO_FRAME_Z, "END", COMMAND_END, S(""), 0, 5, 0,
	 NULL},
	{"an unknown verb", 0, 1, 1, PROTO_FRAME_N, "FOO", COMMAND_FAIL, S("UNKNOWN COMMAND\n"), 0,
	 5, 0, NULL},
	{"a known verb with a suffix is unknown", 0, 1, 1, PROTO_FRAME_Z, "PINGX", COMMAND_FAIL,
	 S("UNKNOWN COMMAND" ZERO), 0, 5, 0, NULL},
	{"SCAN without its argument is unknown", 0, 1, 1, PROTO_FRAME_Z, "SCAN", COMMAND_FAIL,
	 S("UNKNOWN COMMAND" ZERO), 0, 5, 0, NULL},
	{"old-style INSTREAM is unknown", 0, 1, 1, PROTO_FRAME_BARE, "INSTREAM", COMMAND_FAIL,
	 S("UNKNOWN COMMAND\n"), 0, 5, 0, NULL},
	{"INSTREAM starts a stream", 0, 1, 1, PROTO_FRAME_Z, "INSTREAM", COMMAND_STREAM, S(""), 0, 5,
	 JOB_INSTREAM, NULL},
	{"MIMESCAN starts a MIME stream", 0, 0, 1, PROTO_FRAME_Z, "MIMESCAN", COMMAND_STREAM, S(""),
	 0, 5, JOB_MIME, NULL},
	{"INSTREAM in a session takes an id", 1, 1, 1, PROTO_FRAME_Z, "INSTREAM", COMMAND_STREAM,
	 S(""), 5, 6, JOB_INSTREAM, NULL},
	{"INSTREAM without an engine: refused, conversation over", 0, 1, 0, PROTO_FRAME_Z,
	 "INSTREAM", COMMAND_FAIL, S("stream: Signature database not loaded yet. ERROR" ZERO), 0, 5,
	 0, NULL},
	{"FILDES without an engine: refused, conversation over", 0, 1, 0, PROTO_FRAME_Z, "FILDES",
	 COMMAND_FAIL, S("Signature database not loaded yet. ERROR" ZERO), 0, 5, 0, NULL},
	{"PING without an engine: refused, conversation goes on", 1, 1, 0, PROTO_FRAME_Z, "PING",
	 COMMAND_DONE, S("5: Signature database not loaded yet. ERROR" ZERO), 5, 6, 0, NULL},
	{"VERSION without an engine still answers", 0, 1, 0, PROTO_FRAME_Z, "VERSION", COMMAND_DONE,
	 S("ClamAV 1.0.test" ZERO), 0, 5, 0, NULL},
	{"FILDES over TCP: no descriptor", 0, 0, 1, PROTO_FRAME_Z, "FILDES", COMMAND_DONE,
	 S("No file descriptor received. ERROR" ZERO), 0, 5, 0, NULL},
	{"FILDES on a UNIX socket waits for its descriptor", 0, 1, 1, PROTO_FRAME_N, "FILDES",
	 COMMAND_FILDES, S(""), 0, 5, JOB_INSTREAM, NULL},
	{"SCAN of a path", 0, 1, 1, PROTO_FRAME_Z, "SCAN /tmp/x y", COMMAND_PATH, S(""), 0, 5,
	 JOB_SCAN, "/tmp/x y"},
	{"CONTSCAN of a path", 0, 1, 1, PROTO_FRAME_BARE, "CONTSCAN /tmp", COMMAND_PATH, S(""), 0,
	 5, JOB_CONTSCAN, "/tmp"},
	{"MULTISCAN of a path", 0, 1, 1, PROTO_FRAME_N, "MULTISCAN /tmp", COMMAND_PATH, S(""), 0, 5,
	 JOB_MULTISCAN, "/tmp"},
	{"ALLMATCHSCAN of a path", 0, 1, 1, PROTO_FRAME_Z, "ALLMATCHSCAN /tmp", COMMAND_PATH, S(""),
	 0, 5, JOB_ALLMATCHSCAN, "/tmp"},
	{"SCAN over TCP is refused by default", 0, 0, 1, PROTO_FRAME_Z, "SCAN /tmp/x", COMMAND_DONE,
	 S("/tmp/x: Path scans are disabled on TCP. ERROR" ZERO), 0, 5, 0, NULL},
	{"RELOAD over TCP is unavailable by default", 0, 0, 1, PROTO_FRAME_Z, "RELOAD",
	 COMMAND_DONE, S("COMMAND UNAVAILABLE" ZERO), 0, 5, 0, NULL},
	{"SHUTDOWN over TCP is unavailable by default", 0, 0, 1, PROTO_FRAME_N, "SHUTDOWN",
	 COMMAND_DONE, S("COMMAND UNAVAILABLE\n"), 0, 5, 0, NULL},
	{"SHUTDOWN on the UNIX socket stops the daemon", 0, 1, 1, PROTO_FRAME_Z, "SHUTDOWN",
	 COMMAND_SHUTDOWN, S(""), 0, 5, 0, NULL},
	{"QUIT is SHUTDOWN", 0, 1, 1, PROTO_FRAME_BARE, "QUIT", COMMAND_SHUTDOWN, S(""), 0, 5, 0,
	 NULL},
	{"DETSTATS closes without a reply", 0, 1, 1, PROTO_FRAME_BARE, "DETSTATS", COMMAND_CLOSE,
	 S(""), 0, 5, 0, NULL},
	{"SELFCHECK with the database current", 0, 1, 1, PROTO_FRAME_Z, "SELFCHECK", COMMAND_DONE,
	 S("DBUPTODATE" ZERO), 0, 5, 0, NULL},
};

/* dispatch - command_dispatch() of ROW's command; returns the result. */
static void dispatch(const struct row *row, struct command_conn *cc, struct command_result *r)
{
	struct proto_frame frame = {.framing = row->framing, .cmd = row->cmd,
				    .cmd_len = strlen(row->cmd)};

	stub_engine_ready = row->ready;
	cc->in_session = row->in_session;
	cc->is_unix = row->is_unix;
	cc->next_id = 5;
	cc->peer = "test";
	cc->serial = 1;
	memset(r, 0, sizeof(*r));
	command_dispatch(cc, &frame, r);
}

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *row = &rows[i];
		struct command_conn cc;
		struct command_result r;

		dispatch(row, &cc, &r);
		if (r.action != row->action)
			fail_msg("%s: action %d, want %d", row->name, r.action, row->action);
		if (buffer_len(&r.reply) != row->reply_len ||
		    memcmp(buffer_data(&r.reply), row->reply, row->reply_len) != 0)
			fail_msg("%s: reply \"%.*s\" (%zu bytes), want \"%s\" (%zu)", row->name,
				 (int)buffer_len(&r.reply), buffer_data(&r.reply),
				 buffer_len(&r.reply), row->reply, row->reply_len);
		if (r.id != row->id || cc.next_id != row->next_id)
			fail_msg("%s: id %u next %u, want %u next %u", row->name, r.id, cc.next_id,
				 row->id, row->next_id);
		if ((r.action == COMMAND_STREAM || r.action == COMMAND_FILDES ||
		     r.action == COMMAND_PATH) && r.scan != row->scan)
			fail_msg("%s: scan %d, want %d", row->name, r.scan, row->scan);
		if (row->arg != NULL && (r.arg == NULL || strcmp(r.arg, row->arg) != 0))
			fail_msg("%s: argument \"%s\", want \"%s\"", row->name, r.arg ? r.arg : "",
				 row->arg);
		buffer_free(&r.reply);
	}
}

/* test_reload - RELOAD asks for a reload and says so. */
static void test_reload(void **state)
{
	static const struct row row = {"RELOAD", 0, 1, 1, PROTO_FRAME_Z, "RELOAD", COMMAND_DONE,
				       S("RELOADING" ZERO), 0, 5, 0, NULL};
	struct command_conn cc;
	struct command_result r;
	int before = stub_reloads;

	(void)state;
	dispatch(&row, &cc, &r);
	assert_int_equal(stub_reloads, before + 1);
	assert_memory_equal(buffer_data(&r.reply), "RELOADING", 10);
	buffer_free(&r.reply);
}

/* test_roots - a path outside scand_scan_roots is refused with the reason. */
static void test_roots(void **state)
{
	static const struct row row = {"SCAN", 0, 1, 1, PROTO_FRAME_Z, "SCAN /etc/passwd",
				       COMMAND_DONE, S(""), 0, 5, 0, NULL};
	static const char want[] = "/etc/passwd: Access denied. ERROR";
	struct command_conn cc;
	struct command_result r;

	(void)state;
	stub_roots_ok = 0;
	dispatch(&row, &cc, &r);
	stub_roots_ok = 1;
	assert_int_equal(r.action, COMMAND_DONE);
	assert_int_equal(buffer_len(&r.reply), sizeof(want));
	assert_memory_equal(buffer_data(&r.reply), want, sizeof(want));
	buffer_free(&r.reply);
}

/* test_reports - STATS keeps clamd's layout, HEALTH its keys; both end in END + terminator. */
static void test_reports(void **state)
{
	static const struct row stats = {"STATS", 1, 1, 1, PROTO_FRAME_N, "STATS", COMMAND_DONE,
					 S(""), 5, 6, 0, NULL};
	static const struct row health = {"HEALTH", 0, 0, 1, PROTO_FRAME_Z, "HEALTH",
					  COMMAND_DONE, S(""), 0, 5, 0, NULL};
	struct command_conn cc;
	struct command_result r;
	char *text;
	size_t len;

	(void)state;
	dispatch(&stats, &cc, &r);
	text = buffer_steal(&r.reply, &len);
	assert_true(strncmp(text, "5: POOLS: 1\n\nSTATE: VALID PRIMARY\nTHREADS: live ", 48) == 0);
	assert_non_null(strstr(text, "\nQUEUE: 0 items\n"));
	assert_non_null(strstr(text, "\nMEMSTATS: "));
	assert_true(len > 4 && memcmp(text + len - 4, "END\n", 4) == 0);
	free(text);
	dispatch(&health, &cc, &r);
	text = buffer_steal(&r.reply, &len);
	assert_true(strncmp(text, "status: ready\nengine_generation: 1\n", 35) == 0);
	assert_non_null(strstr(text, "\nthreads_busy: 0\n"));
	assert_true(len > 4 && memcmp(text + len - 4, "END", 4) == 0);
	free(text);
}

static sem_t held_release;

/* held_run - a scan thread's work that waits until the test releases it. */
static void held_run(struct pool_work *w)
{
	(void)w;
	while (sem_wait(&held_release) != 0)
		;
}

static void held_done(struct pool_work *w)
{
	(void)w;
}

/*
 * test_stats_threads - THREADS counts as clamd's thrmgr: live is every
 * thread alive, idle those waiting (idle <= live, or clamdtop's thread
 * bar asserts), with one tab line per running item.
 */
static void test_stats_threads(void **state)
{
	static const struct row stats = {"STATS", 0, 1, 1, PROTO_FRAME_N, "STATS", COMMAND_DONE,
					 S(""), 0, 5, 0, NULL};
	struct pool_work w = {.run = held_run, .done = held_done, .what = "HELD",
			      .name = "held.txt"};
	struct timespec tick = {0, 1000000};
	struct command_conn cc;
	struct command_result r;
	char want[200];
	int queued, busy, total;
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(sem_init(&held_release, 0, 0), 0);
	events_init();
	pool_start(3, 4);
	assert_int_equal(pool_submit(&w), 0);
	do {	/* readiness probe: the item is running */
		nanosleep(&tick, NULL);
		pool_counts(&queued, &busy, &total);
	} while (busy != 1);
	dispatch(&stats, &cc, &r);
	text = buffer_steal(&r.reply, &len);
	snprintf(want, sizeof(want), "\nTHREADS: live 3  idle 2 max 3 idle-timeout %lld\n"
		 "QUEUE: 0 items\n\tHELD ", config_num(CONF_SCAND_IDLE_TIMEOUT) / 1000);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, " held.txt\n\nMEMSTATS: "));
	free(text);
	sem_post(&held_release);
	pool_stop();
	events_drain();
	events_free();
	sem_destroy(&held_release);
}

/* test_versioncommands - the table order is clamd's, with mxscan's verbs after. */
static void test_versioncommands(void **state)
{
	static const struct row row = {"VERSIONCOMMANDS", 0, 1, 1, PROTO_FRAME_Z,
				       "VERSIONCOMMANDS", COMMAND_DONE, S(""), 0, 5, 0, NULL};
	static const char want[] =
		"ClamAV 1.0.test| COMMANDS: SCAN QUIT RELOAD SELFCHECK PING CONTSCAN "
		"VERSIONCOMMANDS VERSION END SHUTDOWN MULTISCAN FILDES STATS IDSESSION INSTREAM "
		"DETSTATSCLEAR DETSTATS ALLMATCHSCAN HEALTH MIMESCAN MIMEFACTS PARTFACTS";
	struct command_conn cc;
	struct command_result r;

	(void)state;
	dispatch(&row, &cc, &r);
	assert_int_equal(buffer_len(&r.reply), sizeof(want));
	assert_memory_equal(buffer_data(&r.reply), want, sizeof(want));
	buffer_free(&r.reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_stats_threads),
		cmocka_unit_test(test_versioncommands),
	};
	const char *err = NULL;

	if (config_load("/dev/null", NULL, 0, &err) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
