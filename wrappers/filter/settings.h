/*
 * settings.h - the filter's parameters, read once from mxscan.conf after
 * config_load(), checked, and turned into enums and plain numbers that
 * every session reads without locking.
 */
#ifndef MX_FILTER_SETTINGS_H
#define MX_FILTER_SETTINGS_H

#include <stddef.h>

#include "common/config.h"
#include "common/policy.h"

/* Before the queue every reply, the end of data's included, must come
 * within Postfix's smtpd_proxy_timeout (100s). */
#define SETTINGS_BEFORE_QUEUE_MAX_MS 90000

struct settings {
	enum config_filter_mode mode;	/* the CHOICE enums of config.h */
	enum config_filter_infected_action infected;
	enum config_filter_failure_action failure;
	enum config_filter_limit_action limit;
	const char *listen;
	const char *forward;
	const char *quarantine_dir;
	const char *hostname;	/* filter_hostname, or the host's name */
	size_t max_size, memory_max;
	int max_connections;
	int client_timeout_ms;
	int forward_timeout_ms;	/* cut for before-queue mode */
	int message_timeout_ms;	/* cut for before-queue mode */
	int add_headers;
	struct policy *policy;	/* common/policy.h, built from the policy settings */
	int facts;		/* the policy needs MIMEFACTS */
};

/*
 * settings_load - fill the settings from the loaded configuration.
 * Returns 0, or -1 with *error_r for a combination that would harm mail
 * (reject after the queue, an empty filter_forward).
 */
int settings_load(const char **error_r);

/* settings - the loaded settings (read-only). */
const struct settings *settings(void);

#endif
