/*
 * report.h - the one log line per message: the MTA's queue id (the `i`
 * macro), client, sender, recipient count, size, verdict, signature,
 * scanner endpoint, milliseconds and action (and the policy's reason when
 * it decided or excluded the message).  Every field that came from
 * the MTA or the message is sanitised (common/log.h).
 */
#ifndef MX_MILTER_REPORT_H
#define MX_MILTER_REPORT_H

#include <stddef.h>

#include "common/client.h"

struct report {
	const char *queue_id;	/* NULL: "NOQUEUE" */
	const char *client;	/* "name[addr]" */
	const char *sender;
	int rcpts;
	size_t size;
	const char *verdict;	/* clean, infected, limit, error, unavailable, skipped */
	const char *signature;	/* or the reason; "" for none */
	const struct client_result *res;	/* NULL when not scanned */
	const char *action;
	const char *note;	/* what went wrong carrying it out, or NULL */
	const char *policy;	/* the policy's reason or exclusion, or NULL */
};

/* report_message - log R at info level. */
void report_message(const struct report *r);

#endif
