/*
 * notify.h - tell the local mxscand (the first reachable endpoint of
 * scanner_endpoints) to reload, and watch HEALTH until it serves the
 * expected directory or says it cannot.
 */
#ifndef MX_UPDATE_NOTIFY_H
#define MX_UPDATE_NOTIFY_H

#include <stddef.h>

enum notify_status {
	NOTIFY_LOADED,		/* HEALTH shows DIR, reload_state idle */
	NOTIFY_NODAEMON,	/* no endpoint reachable, or RELOAD refused
				 * (COMMAND UNAVAILABLE) and no load seen */
	NOTIFY_REJECTED,	/* reload_state failed for DIR */
	NOTIFY_TIMEOUT,		/* neither within the time */
};

/*
 * notify_reload - RELOAD, then poll HEALTH until the daemon serves DIR
 * (compared resolved) or TIMEOUT_MS pass.  *error_r gets a reason for
 * every status but LOADED: a static string or a per-thread buffer, valid
 * until the next notify_reload() or notify_send_reload() in the thread.
 */
enum notify_status notify_reload(const char *dir, long long timeout_ms, const char **error_r);

/* notify_serving - 1 when the daemon's HEALTH shows DIR loaded and idle,
 * 0 when it shows something else, -1 when no daemon answers. */
int notify_serving(const char *dir);

/* notify_send_reload - just RELOAD: 0 when a daemon answered RELOADING,
 * 1 when it answered something else, -1 when none was reachable
 * (*error_r says what, as for notify_reload). */
int notify_send_reload(const char **error_r);

/* notify_health_value - the value of KEY in a HEALTH REPLY into BUF
 * ("" when absent).  Exposed for tests. */
void notify_health_value(const char *reply, const char *key, char *buf, size_t size);

#endif
