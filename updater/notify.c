/*
 * notify.c - RELOAD and HEALTH against the local daemon (see notify.h).
 */
#include "auto-config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/client.h"
#include "common/log.h"
#include "common/sock.h"
#include "updater/notify.h"
#include "updater/reason.h"

#define NOTIFY_REPLY_MAX 8192	/* a HEALTH reply */
#define NOTIFY_RELOAD_REPLY_MAX 256
#define NOTIFY_STATE_MAX 32	/* a reload_state value: idle, loading, failed */
#define NOTIFY_POLL_MS 200	/* between two HEALTH requests */

static __thread char notify_why[REASON_MAX];

void notify_health_value(const char *reply, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = reply;

	buf[0] = '\0';
	while (p != NULL && *p) {
		/* A session id prefix ("<id>: ") only precedes the first line. */
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			const char *v = p + klen + 1;
			size_t n;

			while (*v == ' ')
				v++;
			n = strcspn(v, "\n");
			snprintf(buf, size, "%.*s", (int)n, v);
			return;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
}

int notify_serving(const char *dir)
{
	struct client_options opts;
	struct client_result res;
	char want[PATH_MAX], path[PATH_MAX], state[NOTIFY_STATE_MAX];
	char *reply = malloc(NOTIFY_REPLY_MAX);
	int ret = -1;

	if (reply == NULL)
		return -1;
	if (realpath(dir, want) == NULL)
		snprintf(want, sizeof(want), "%s", dir);
	client_options_from_config(&opts);
	if (client_command(&opts, "HEALTH", reply, NOTIFY_REPLY_MAX, &res) == 0) {
		notify_health_value(reply, "database_path", path, sizeof(path));
		notify_health_value(reply, "reload_state", state, sizeof(state));
		ret = strcmp(path, want) == 0 && strcmp(state, "idle") == 0;
	}
	free(reply);
	return ret;
}

int notify_send_reload(const char **error_r)
{
	struct client_options opts;
	struct client_result res;
	char reply[NOTIFY_RELOAD_REPLY_MAX], safe[LOG_SAFE_MAX];

	client_options_from_config(&opts);
	if (client_command(&opts, "RELOAD", reply, sizeof(reply), &res) < 0) {
		reason_set(notify_why, error_r, "no daemon reachable (%s: %s)", res.endpoint, res.detail);
		return -1;
	}
	log_sanitize(safe, sizeof(safe), reply, strlen(reply));
	if (strncmp(reply, "RELOADING", strlen("RELOADING")) != 0) {
		reason_set(notify_why, error_r, "%s answered RELOAD with \"%s\"", res.endpoint, safe);
		return 1;
	}
	log_debug("RELOAD sent to %s: %s", res.endpoint, safe);
	return 0;
}

enum notify_status notify_reload(const char *dir, long long timeout_ms, const char **error_r)
{
	long long deadline = sock_now_ms() + timeout_ms;
	struct client_options opts;
	struct client_result res;
	char want[PATH_MAX], *reply = malloc(NOTIFY_REPLY_MAX);
	int refused;

	if (reply == NULL) {
		*error_r = "out of memory";
		return NOTIFY_TIMEOUT;
	}
	if (realpath(dir, want) == NULL)
		snprintf(want, sizeof(want), "%s", dir);
	refused = notify_send_reload(error_r);
	if (refused < 0) {
		free(reply);
		return NOTIFY_NODAEMON;
	}
	if (refused)
		log_warn("%s; waiting for the daemon to notice the change itself", *error_r);
	client_options_from_config(&opts);
	for (;;) {
		char path[PATH_MAX], state[NOTIFY_STATE_MAX], err[1024];
		struct timespec ts = {0, NOTIFY_POLL_MS * 1000000L};

		if (client_command(&opts, "HEALTH", reply, NOTIFY_REPLY_MAX, &res) == 0) {
			notify_health_value(reply, "database_path", path, sizeof(path));
			notify_health_value(reply, "reload_state", state, sizeof(state));
			notify_health_value(reply, "reload_last_error", err, sizeof(err));
			if (strcmp(path, want) == 0 && strcmp(state, "idle") == 0) {
				free(reply);
				return NOTIFY_LOADED;
			}
			if (strcmp(state, "failed") == 0 && strncmp(err, want, strlen(want)) == 0 &&
			    err[strlen(want)] == ':') {
				reason_set(notify_why, error_r, "the daemon rejected %s: %s", want,
					 err + strlen(want) + 1);
				free(reply);
				return NOTIFY_REJECTED;
			}
		}
		if (sock_now_ms() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	free(reply);
	if (refused) {
		/* It cannot be told: like no daemon, the proven set stays. */
		reason_set(notify_why, error_r,
			 "the daemon refused RELOAD and did not load %s within "
			 "update_reload_timeout", want);
		return NOTIFY_NODAEMON;
	}
	reason_set(notify_why, error_r, "the daemon did not report %s loaded within update_reload_timeout",
		 want);
	return NOTIFY_TIMEOUT;
}
