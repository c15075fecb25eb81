/*
 * conversion.c - one part through the scanner and back to the channel:
 * the verdict (or, with a policy, the policy's decision) mapped onto
 * OUTPUT_FILE and OUTPUT_OPTIONS by conversion_infected_action and
 * conversion_failure_action.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "wrappers/conversion/conversion.h"
#include "wrappers/conversion/outputs.h"
#include "wrappers/conversion/partpolicy.h"

/* conversion_status - write "STATUS=N" (plus EXTRA lines) to OUTPUT_OPTIONS. */
int conversion_status(const struct part *p, long status, const char *what, const char *extra,
		      struct conversion_outcome *o)
{
	const char *err = NULL;
	char *text;
	int r;

	snprintf(o->status_action, sizeof(o->status_action), "STATUS=%ld(%s)", status, what);
	o->action = o->status_action;
	if (p->output_options == NULL) {
		log_error("OUTPUT_OPTIONS is not set: cannot return STATUS=%ld to the channel "
			  "(add override-option-file=1 to the conversions entry)", status);
		return -1;
	}
	text = xasprintf("STATUS=%ld\n%s", status, extra ? extra : "");
	r = outputs_options(p->output_options, text, &err);
	free(text);
	if (r < 0) {
		log_error("%s", err);
		return -1;
	}
	o->written = 1;
	return 0;
}

/* conversion_failure - the part could not be scanned. */
void conversion_failure(const struct part *p, int fd, struct conversion_outcome *o)
{
	const char *err = NULL;

	o->verdict = "ERROR";
	switch (config_conversion_failure_action()) {
	case CONF_CONVERSION_FAILURE_ACTION_PASS:
		if (fd >= 0 && outputs_copy(fd, p->output_file, &err) == 0) {
			char *text = xasprintf("OUTPUT_DESCRIPTION=\"NOT virus scanned: %s\"\n",
					       o->sig);

			o->action = "passed-unscanned";
			o->written = 1;
			if (p->output_options != NULL &&
			    outputs_options(p->output_options, text, &err) < 0)
				log_warn("%s", err);
			free(text);
			return;
		}
		if (err != NULL)
			log_error("%s", err);
		/* Cannot even pass it: keep the message instead. */
		/* fall through */
	case CONF_CONVERSION_FAILURE_ACTION_RETRY:
		conversion_status(p, OUTPUTS_STATUS_AGN, "retry", NULL, o);
		return;
	case CONF_CONVERSION_FAILURE_ACTION_HOLD:
		conversion_status(p, OUTPUTS_STATUS_FORCEHOLD, "hold", NULL, o);
		return;
	}
}

/* conversion_substitute - replace the part with a notice and relabel it. */
static void conversion_substitute(const struct part *p, struct conversion_outcome *o)
{
	const char *err = NULL;
	char *text;

	if (outputs_notice(p, o->sig, o->rule, p->output_file, &err) < 0) {
		log_error("%s", err);
		conversion_status(p, OUTPUTS_STATUS_FORCEHOLD, "hold: notice not written", NULL, o);
		return;
	}
	o->written = 1;
	o->action = "substituted";
	if (p->output_options == NULL) {
		log_warn("OUTPUT_OPTIONS is not set: the notice keeps the original part's labels");
		return;
	}
	text = xasprintf("OUTPUT_TYPE=text\nOUTPUT_SUBTYPE=plain\n"
			 "OUTPUT_DESCRIPTION=\"%s: %s\"\nOUTPUT_DISPOSITION=inline\n",
			 *o->rule ? "Removed by policy" : "Virus removed", o->sig);
	if (outputs_options(p->output_options, text, &err) < 0)
		log_warn("%s (the notice keeps the original part's labels)", err);
	free(text);
}

/* conversion_infected - apply ACT, conversion_infected_action's or the policy's. */
static void conversion_infected(const struct part *p, enum config_conversion_infected_action act,
				struct conversion_outcome *o)
{
	static const struct {
		long status;
		const char *what;
	} statuses[] = {
		[CONF_CONVERSION_INFECTED_ACTION_DELETE] = {OUTPUTS_STATUS_FORCEDELETE, "delete part"},
		[CONF_CONVERSION_INFECTED_ACTION_BOUNCE] = {OUTPUTS_STATUS_FORCERETURN, "bounce"},
		[CONF_CONVERSION_INFECTED_ACTION_HOLD] = {OUTPUTS_STATUS_FORCEHOLD, "hold"},
		[CONF_CONVERSION_INFECTED_ACTION_DISCARD] = {OUTPUTS_STATUS_FORCEDISCARD, "discard"},
	};
	char *diag;

	if (act == CONF_CONVERSION_INFECTED_ACTION_SUBSTITUTE || p->output_options == NULL) {
		/* Without OUTPUT_OPTIONS no STATUS can reach the channel; the
		 * notice at least keeps the virus out of the message. */
		conversion_substitute(p, o);
		return;
	}
	diag = xasprintf("OUTPUT_DIAGNOSTIC=\"%s: %s\"\n",
			 *o->rule ? "Refused by policy" : "Virus found", o->sig);
	if (conversion_status(p, statuses[act].status, statuses[act].what,
			      act == CONF_CONVERSION_INFECTED_ACTION_BOUNCE ? diag : NULL, o) < 0)
		conversion_substitute(p, o);
	free(diag);
}

enum policy_action conversion_infected_policy(void)
{
	static const enum policy_action acts[] = {
		[CONF_CONVERSION_INFECTED_ACTION_SUBSTITUTE] = POLICY_STRIP,
		[CONF_CONVERSION_INFECTED_ACTION_DELETE] = POLICY_STRIP,
		[CONF_CONVERSION_INFECTED_ACTION_BOUNCE] = POLICY_REJECT,
		[CONF_CONVERSION_INFECTED_ACTION_HOLD] = POLICY_QUARANTINE,
		[CONF_CONVERSION_INFECTED_ACTION_DISCARD] = POLICY_DISCARD,
	};

	return acts[config_conversion_infected_action()];
}

/* conversion_copy - OUTPUT_FILE is the part; OPTIONS (or NULL) relabel it. */
static void conversion_copy(const struct part *p, int fd, const char *options,
			    struct conversion_outcome *o)
{
	const char *err = NULL;

	if (outputs_copy(fd, p->output_file, &err) < 0) {
		log_error("%s", err);
		snprintf(o->sig, sizeof(o->sig), "cannot write OUTPUT_FILE");
		conversion_status(p, OUTPUTS_STATUS_AGN, "retry: output not written", NULL, o);
		return;
	}
	o->action = options != NULL ? "tagged" : "copied";
	o->written = 1;
	if (options != NULL && p->output_options != NULL &&
	    outputs_options(p->output_options, options, &err) < 0)
		log_warn("%s (the part is delivered without its tag)", err);
}

/* conversion_decided - the policy's decision D on the scanned part. */
static void conversion_decided(const struct part *p, int fd, enum client_status st,
			       const struct partpolicy_outcome *d, struct conversion_outcome *o)
{
	static const enum config_conversion_infected_action acts[] = {
		[POLICY_QUARANTINE] = CONF_CONVERSION_INFECTED_ACTION_HOLD,
		[POLICY_DISCARD] = CONF_CONVERSION_INFECTED_ACTION_DISCARD,
		[POLICY_REJECT] = CONF_CONVERSION_INFECTED_ACTION_BOUNCE,
	};
	char *text;

	part_safe_text(o->policy, sizeof(o->policy), d->reason);
	o->verdict = st == CLIENT_INFECTED || d->action != POLICY_PASS ? "FOUND" : "OK";
	if (d->action == POLICY_PASS) {
		conversion_copy(p, fd, NULL, o);
		return;
	}
	part_safe_text(o->sig, sizeof(o->sig), d->label);
	part_safe_text(o->rule, sizeof(o->rule), d->rule);
	switch (d->action) {
	case POLICY_TAG:
		text = xasprintf("OUTPUT_DESCRIPTION=\"Tagged by policy: %s%s%s\"\n", o->sig,
				 *o->rule ? ", " : "", o->rule);
		conversion_copy(p, fd, text, o);
		free(text);
		return;
	case POLICY_STRIP:
		conversion_infected(p, config_conversion_infected_action() ==
					   CONF_CONVERSION_INFECTED_ACTION_DELETE ?
					   CONF_CONVERSION_INFECTED_ACTION_DELETE :
					   CONF_CONVERSION_INFECTED_ACTION_SUBSTITUTE, o);
		return;
	case POLICY_QUARANTINE:
	case POLICY_DISCARD:
	case POLICY_REJECT:
		conversion_infected(p, acts[d->action], o);
		return;
	case POLICY_INFECTED:	/* never a decision's action */
	case POLICY_PASS:
		break;
	}
	conversion_copy(p, fd, NULL, o);
}

/* conversion_run - scan the part and write the outputs. */
void conversion_run(const struct part *p, const struct policy *pol, struct conversion_outcome *o,
		    struct client_result *r)
{
	struct partpolicy_outcome d;
	struct client_options opts;
	enum client_status st;
	struct stat st_in;
	int fd;

	fd = open(p->input_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st_in) < 0 || !S_ISREG(st_in.st_mode)) {
		snprintf(o->sig, sizeof(o->sig), "cannot read INPUT_FILE: %s",
			 fd < 0 ? strerror(errno) : "not a regular file");
		log_error("%s: %s", p->input_file, o->sig);
		if (fd >= 0)
			close(fd);
		conversion_failure(p, -1, o);
		return;
	}
	client_options_from_config(&opts);
	opts.timeout_ms = (int)config_num(CONF_CONVERSION_TIMEOUT);
	if (pol != NULL)
		st = partpolicy_scan(pol, &opts, fd, &d, r);
	else
		st = client_scan_fd(&opts, fd, p->input_file, r);
	switch (st) {
	case CLIENT_CLEAN:
	case CLIENT_INFECTED:
		if (pol != NULL) {
			if (st == CLIENT_INFECTED)
				part_safe_text(o->sig, sizeof(o->sig), r->detail);
			conversion_decided(p, fd, st, &d, o);
		} else if (st == CLIENT_CLEAN) {
			o->verdict = "OK";
			conversion_copy(p, fd, NULL, o);
		} else {
			o->verdict = "FOUND";
			part_safe_text(o->sig, sizeof(o->sig), r->detail);
			conversion_infected(p, config_conversion_infected_action(), o);
		}
		break;
	case CLIENT_SCAN_ERROR:
	case CLIENT_TEMPFAIL:
	case CLIENT_LIMIT:	/* over a limit: conversion_failure_action too */
		part_safe_text(o->sig, sizeof(o->sig), r->detail);
		conversion_failure(p, fd, o);
		break;
	}
	close(fd);
}
