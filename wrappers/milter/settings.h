/*
 * settings.h - the milter's parameters, read once from mxscan.conf after
 * config_load(), turned into enums and plain values that every libmilter
 * thread reads without locking.
 */
#ifndef MX_MILTER_SETTINGS_H
#define MX_MILTER_SETTINGS_H

#include <stddef.h>

#include "common/client.h"
#include "common/config.h"
#include "common/policy.h"

struct settings {
	enum config_milter_infected_action infected;	/* the CHOICE enums of config.h */
	enum config_milter_failure_action failure;
	enum config_milter_limit_action limit;
	const char *socket;		/* libmilter syntax */
	const char *reject_reply;	/* template, %v: signature */
	const char *hostname;		/* milter_hostname, or the host's name */
	int add_headers;
	int skip_authenticated;
	size_t memory_max;
	int mta_timeout_s;
	struct client_options client;	/* timeout_ms: milter_scan_timeout */
	struct policy *policy;		/* the mail policy (NULL: none, in unit tests) */
	int facts;			/* it needs MIMEFACTS (policy_active) */
};

/*
 * settings_load - fill the settings from the loaded configuration.
 * Returns 0, or -1 with *error_r for a value the milter cannot use (an
 * empty milter_socket, a reply template that is not one line, a policy
 * setting that does not compile).
 */
int settings_load(const char **error_r);

/* settings - the loaded settings (read-only). */
const struct settings *settings(void);

#endif
