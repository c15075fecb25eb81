/*
 * conversion.c - one part through the scanner and back to the channel:
 * the verdict mapped onto OUTPUT_FILE and OUTPUT_OPTIONS by
 * conversion_infected_action and conversion_failure_action.
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

	if (outputs_notice(p, o->sig, p->output_file, &err) < 0) {
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
			 "OUTPUT_DESCRIPTION=\"Virus removed: %s\"\nOUTPUT_DISPOSITION=inline\n",
			 o->sig);
	if (outputs_options(p->output_options, text, &err) < 0)
		log_warn("%s (the notice keeps the original part's labels)", err);
	free(text);
}

/* conversion_infected - apply conversion_infected_action. */
static void conversion_infected(const struct part *p, struct conversion_outcome *o)
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
	enum config_conversion_infected_action act = config_conversion_infected_action();
	char *diag;

	o->verdict = "FOUND";
	if (act == CONF_CONVERSION_INFECTED_ACTION_SUBSTITUTE || p->output_options == NULL) {
		/* Without OUTPUT_OPTIONS no STATUS can reach the channel; the
		 * notice at least keeps the virus out of the message. */
		conversion_substitute(p, o);
		return;
	}
	diag = xasprintf("OUTPUT_DIAGNOSTIC=\"Virus found: %s\"\n", o->sig);
	if (conversion_status(p, statuses[act].status, statuses[act].what,
			      act == CONF_CONVERSION_INFECTED_ACTION_BOUNCE ? diag : NULL, o) < 0)
		conversion_substitute(p, o);
	free(diag);
}

/* conversion_run - scan the part and write the outputs. */
void conversion_run(const struct part *p, struct conversion_outcome *o, struct client_result *r)
{
	struct client_options opts;
	const char *err = NULL;
	struct stat st;
	int fd;

	fd = open(p->input_file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
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
	switch (client_scan_fd(&opts, fd, p->input_file, r)) {
	case CLIENT_CLEAN:
		o->verdict = "OK";
		if (outputs_copy(fd, p->output_file, &err) == 0) {
			o->action = "copied";
			o->written = 1;
		} else {
			log_error("%s", err);
			snprintf(o->sig, sizeof(o->sig), "cannot write OUTPUT_FILE");
			conversion_status(p, OUTPUTS_STATUS_AGN, "retry: output not written", NULL, o);
		}
		break;
	case CLIENT_INFECTED:
		part_safe_text(o->sig, sizeof(o->sig), r->detail);
		conversion_infected(p, o);
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

