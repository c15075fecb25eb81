/*
 * main.c - mxscan-conversion: the conversion-channel command (options,
 * configuration, one part through conversion_run, one log line).
 *
 * The channel execs it once per matching MIME part.  It hands the part
 * to mxscand (FILDES on a UNIX socket, INSTREAM over TCP; PARTFACTS
 * when a mail policy is set, partpolicy.h), then writes the channel's
 * outputs: a byte-exact copy for a clean part; for an infected part what
 * conversion_infected_action says (with a policy, what the policy says
 * for the part, its names and its true type); when the part
 * cannot be scanned what conversion_failure_action says (by default
 * STATUS=PMDF__AGN, so the MTA keeps the message and retries).  It links
 * neither libclamav nor GMime and starts no other process.
 * Exit status: 0 when the outputs were written, 2 when nothing could be.
 */
#include "auto-config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sock.h"
#include "common/xalloc.h"
#include "wrappers/conversion/conversion.h"
#include "wrappers/conversion/outputs.h"
#include "wrappers/conversion/part.h"
#include "wrappers/conversion/partpolicy.h"

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
	struct conversion_outcome o = {.verdict = "ERROR", .action = "none"};
	struct client_result r;
	const char *file = NULL, *err = NULL;
	char name[128], type[128];
	long long t0 = sock_now_ms();
	struct policy *pol = NULL;
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
	if (config_load(file, overrides, noverrides, &err) < 0 ||
	    ((pol = partpolicy_load(conversion_infected_policy(), &err)) == NULL && err != NULL)) {
		/* Without a configuration the safe answer is "retry later". */
		log_error("%s", err);
		config_load("/dev/null", NULL, 0, &err);
		part_from_environment(&p, argc - optind, argv + optind, &err);
		snprintf(o.sig, sizeof(o.sig), "configuration error");
		conversion_status(&p, OUTPUTS_STATUS_AGN, "retry: configuration error", NULL, &o);
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
		conversion_run(&p, pol, &o, &r);
	}
	part_safe_text(name, sizeof(name), p.name);
	snprintf(type, sizeof(type), "%s/%s", *p.type ? p.type : "-", *p.subtype ? p.subtype : "-");
	part_safe_text(type, sizeof(type), type);
	log_info("msgid=%s part=%s type=%s name=\"%s\" verdict=%s sig=\"%s\" action=\"%s\" "
		 "scanner=%s ms=%lld%s%s%s",
		 *p.message_id ? p.message_id : "-", *p.part_number ? p.part_number : "-", type,
		 name, o.verdict, o.sig, o.action, *r.endpoint ? r.endpoint : "-",
		 sock_now_ms() - t0, *o.policy ? " policy=\"" : "", o.policy, *o.policy ? "\"" : "");
	policy_free(&pol);
	free(overrides);
	return o.written ? 0 : 2;
}
