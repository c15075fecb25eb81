/*
 * main.c - mxscan-conversion: the conversion-channel command.
 *
 * The channel execs it once per matching MIME part.  It hands the part
 * to mxscand (FILDES on a UNIX socket, INSTREAM over TCP), then writes
 * the channel's outputs: a byte-exact copy for a clean part; for an
 * infected part what conversion_infected_action says; when the part
 * cannot be scanned what conversion_failure_action says (by default
 * STATUS=PMDF__AGN, so the MTA keeps the message and retries).  It links
 * neither libclamav nor GMime and starts no other process.
 * Exit status: 0 when the outputs were written, 2 when nothing could be.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/client.h"
#include "common/config.h"
#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "wrappers/conversion/outputs.h"
#include "wrappers/conversion/part.h"

/* Indexes of the CHOICE words in config_table.h. */
enum infected_action { INF_SUBSTITUTE, INF_DELETE, INF_BOUNCE, INF_HOLD, INF_DISCARD };
enum failure_action { FAIL_RETRY, FAIL_HOLD, FAIL_PASS };

/* What happened to the part, for the log line. */
struct outcome {
	const char *verdict;	/* OK, FOUND, ERROR */
	char sig[256];		/* signature or failure reason, sanitised */
	const char *action;	/* copied, substituted, STATUS=..., ... */
	int written;		/* the channel got its outputs */
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan-conversion [options] [INPUT_FILE OUTPUT_FILE]\n"
		"Conversion-channel command: scan one MIME part with mxscand.\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -o, --option N=V      override one parameter (repeatable)\n"
		"      --log-stderr      also log to standard error\n"
		"  -n, --print-config    print non-default settings and exit\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version and exit\n"
		"The part comes from INPUT_FILE, OUTPUT_FILE and OUTPUT_OPTIONS in the\n"
		"environment (as the channel sets them) or from the two arguments.\n",
		config_default_file);
}

/* conversion_status - write "STATUS=N" (plus EXTRA lines) to OUTPUT_OPTIONS. */
static int conversion_status(const struct part *p, long status, const char *extra,
			     struct outcome *o)
{
	const char *err = NULL;
	char *text;
	int r;

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
static void conversion_failure(const struct part *p, int fd, struct outcome *o)
{
	const char *err = NULL;

	o->verdict = "ERROR";
	switch ((enum failure_action)config_num(CONF_CONVERSION_FAILURE_ACTION)) {
	case FAIL_PASS:
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
	case FAIL_RETRY:
		o->action = "STATUS=178028698(retry)";
		conversion_status(p, OUTPUTS_STATUS_AGN, NULL, o);
		return;
	case FAIL_HOLD:
		o->action = "STATUS=178030250(hold)";
		conversion_status(p, OUTPUTS_STATUS_FORCEHOLD, NULL, o);
		return;
	}
}

/* conversion_substitute - replace the part with a notice and relabel it. */
static void conversion_substitute(const struct part *p, struct outcome *o)
{
	const char *err = NULL;
	char *text;

	if (outputs_notice(p, o->sig, p->output_file, &err) < 0) {
		log_error("%s", err);
		o->action = "STATUS=178030250(hold: notice not written)";
		conversion_status(p, OUTPUTS_STATUS_FORCEHOLD, NULL, o);
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
static void conversion_infected(const struct part *p, struct outcome *o)
{
	static const struct {
		long status;
		const char *action;
	} statuses[] = {
		[INF_DELETE] = {OUTPUTS_STATUS_FORCEDELETE, "STATUS=178030178(delete part)"},
		[INF_BOUNCE] = {OUTPUTS_STATUS_FORCERETURN, "STATUS=178029946(bounce)"},
		[INF_HOLD] = {OUTPUTS_STATUS_FORCEHOLD, "STATUS=178030250(hold)"},
		[INF_DISCARD] = {OUTPUTS_STATUS_FORCEDISCARD, "STATUS=178030259(discard)"},
	};
	enum infected_action act = (enum infected_action)config_num(CONF_CONVERSION_INFECTED_ACTION);
	char *diag;

	o->verdict = "FOUND";
	if (act == INF_SUBSTITUTE || p->output_options == NULL) {
		/* Without OUTPUT_OPTIONS no STATUS can reach the channel; the
		 * notice at least keeps the virus out of the message. */
		conversion_substitute(p, o);
		return;
	}
	diag = xasprintf("OUTPUT_DIAGNOSTIC=\"Virus found: %s\"\n", o->sig);
	o->action = statuses[act].action;
	if (conversion_status(p, statuses[act].status, act == INF_BOUNCE ? diag : NULL, o) < 0)
		conversion_substitute(p, o);
	free(diag);
}

/* conversion_run - scan the part and write the outputs. */
static void conversion_run(const struct part *p, struct outcome *o, struct client_result *r)
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
			o->action = "STATUS=178028698(retry: output not written)";
			conversion_status(p, OUTPUTS_STATUS_AGN, NULL, o);
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

int main(int argc, char **argv)
{
	enum { OPT_LOG_STDERR = 256 };
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"option", required_argument, NULL, 'o'},
		{"log-stderr", no_argument, NULL, OPT_LOG_STDERR},
		{"print-config", no_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	static char **overrides;	/* static: reachable until exit */
	int noverrides = 0, print = 0, dests = LOG_DEST_SYSLOG, opt;
	struct outcome o = {.verdict = "ERROR", .action = "none"};
	struct client_result r;
	const char *file = NULL, *err = NULL;
	char name[128], type[128];
	long long t0 = sock_now_ms();
	struct part p;

	overrides = xcalloc((size_t)argc, sizeof(char *));
	while ((opt = getopt_long(argc, argv, "c:o:nhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': file = optarg; break;
		case 'o': overrides[noverrides++] = optarg; break;
		case 'n': print = 1; break;
		case OPT_LOG_STDERR: dests |= LOG_DEST_STDERR; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("mxscan-conversion %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	log_init("mxscan-conversion", dests);
	memset(&r, 0, sizeof(r));
	if (config_load(file, overrides, noverrides, &err) < 0) {
		/* Without a configuration the safe answer is "retry later". */
		log_error("%s", err);
		config_load("/dev/null", NULL, 0, &err);
		part_from_environment(&p, argc - optind, argv + optind, &err);
		snprintf(o.sig, sizeof(o.sig), "configuration error");
		o.action = "STATUS=178028698(retry: configuration error)";
		conversion_status(&p, OUTPUTS_STATUS_AGN, NULL, &o);
		return o.written ? 0 : 2;
	}
	if (print) {
		config_print_nondefaults(stdout);
		return 0;
	}
	if (part_from_environment(&p, argc - optind, argv + optind, &err) < 0) {
		log_error("%s", err);
		snprintf(o.sig, sizeof(o.sig), "%s", err);
		conversion_failure(&p, -1, &o);
	} else {
		conversion_run(&p, &o, &r);
	}
	part_safe_text(name, sizeof(name), p.name);
	snprintf(type, sizeof(type), "%s/%s", *p.type ? p.type : "-", *p.subtype ? p.subtype : "-");
	part_safe_text(type, sizeof(type), type);
	log_info("msgid=%s part=%s type=%s name=\"%s\" verdict=%s sig=\"%s\" action=\"%s\" "
		 "scanner=%s ms=%lld",
		 *p.message_id ? p.message_id : "-", *p.part_number ? p.part_number : "-", type,
		 name, o.verdict, o.sig, o.action, *r.endpoint ? r.endpoint : "-",
		 sock_now_ms() - t0);
	free(overrides);
	return o.written ? 0 : 2;
}
