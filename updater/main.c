/*
 * main.c - mxscan-update: wire the pieces together (options, one run or
 * --status / --rollback, --publish, exit status).
 */
#include "auto-config.h"

#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/engine.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "updater/fetch.h"
#include "updater/run.h"

/* The longest --random-delay, in seconds: a day. */
#define MAIN_RANDOM_DELAY_MAX 86400

enum {
	OPT_DRY_RUN = 256,
	OPT_FORCE,
	OPT_RANDOM_DELAY,
	OPT_PUBLISH,
	OPT_STATUS,
	OPT_ROLLBACK,
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan-update [options]\n"
		"       mxscan-update --status | --rollback [ID] [options]\n"
		"Fetch, verify, self-test and install signature databases for mxscand.\n\n"
		"  -c, --config FILE         configuration file (default %s)\n"
		"  -o, --option N=V          override one parameter (repeatable)\n"
		"  -n, --print-config        print non-default settings and exit\n"
		"  -v, --verbose             log debugging detail\n"
		"  -q, --quiet               log to syslog only; one line on failure\n"
		"      --dry-run             everything up to the self-test, install nothing\n"
		"      --force               no signature-drop check, no conditional requests\n"
		"      --random-delay SECS   sleep up to SECS before starting\n"
		"      --publish DIR         write the current set to DIR as a private mirror\n"
		"      --status              print the state of database_root and exit\n"
		"      --rollback [ID]       make version ID (default: the previous) current\n"
		"  -h, --help                this help\n"
		"  -V, --version             print the version and exit\n"
		"Exit status: see mxscan-update(8).\n",
		config_default_file);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"option", required_argument, NULL, 'o'},
		{"print-config", no_argument, NULL, 'n'},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"force", no_argument, NULL, OPT_FORCE},
		{"random-delay", required_argument, NULL, OPT_RANDOM_DELAY},
		{"publish", required_argument, NULL, OPT_PUBLISH},
		{"status", no_argument, NULL, OPT_STATUS},
		{"rollback", optional_argument, NULL, OPT_ROLLBACK},
		{NULL, 0, NULL, 0},
	};
	static char **overrides;
	static struct run run;
	const char *file = NULL, *err = NULL, *rollback_id = NULL;
	int noverrides = 0, print = 0, quiet = 0, status = 0, rollback = 0, opt;
	long delay = 0;
	enum update_result res;
	char *end;

	overrides = xcalloc((size_t)argc + 1, sizeof(char *));
	log_init("mxscan-update", LOG_DEST_STDERR);
	while ((opt = getopt_long(argc, argv, "c:o:nvqhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'o':
			overrides[noverrides++] = optarg;
			break;
		case 'n':
			print = 1;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mxscan-update %s\n", PACKAGE_VERSION);
			return 0;
		case OPT_DRY_RUN:
			run.opts.dry_run = 1;
			break;
		case OPT_FORCE:
			run.opts.force = 1;
			break;
		case OPT_RANDOM_DELAY:
			delay = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || delay < 0 ||
			    delay > MAIN_RANDOM_DELAY_MAX) {
				fprintf(stderr, "mxscan-update: --random-delay: 0 to %d seconds\n",
					MAIN_RANDOM_DELAY_MAX);
				return UPDATE_USAGE;
			}
			break;
		case OPT_PUBLISH:
			run.opts.publish = optarg;
			break;
		case OPT_STATUS:
			status = 1;
			break;
		case OPT_ROLLBACK:
			rollback = 1;
			rollback_id = optarg;
			break;
		default:
			usage(stderr);
			return UPDATE_USAGE;
		}
	}
	/* "--rollback ID": the id may also follow as an operand. */
	if (rollback && rollback_id == NULL && optind < argc)
		rollback_id = argv[optind++];
	if (optind < argc || status + rollback > 1) {
		usage(stderr);
		return UPDATE_USAGE;
	}
	if (config_load(file, overrides, noverrides, &err) < 0) {
		fprintf(stderr, "mxscan-update: %s\n", err);
		return UPDATE_CONFIG;
	}
	if (print) {
		config_print_nondefaults(stdout);
		return 0;
	}
	if (status)
		return update_result_exit(admin_status(config_str(CONF_DATABASE_ROOT)));

	log_init("mxscan-update", LOG_DEST_SYSLOG | (quiet ? 0 : LOG_DEST_STDERR));
	signal(SIGPIPE, SIG_IGN);
	/* The daemon (another user) must be able to read what is installed. */
	umask(022);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid() << 16);
	if (engine_init(&err) < 0) {
		log_error("%s", err);
		return UPDATE_INTERNAL;
	}
	if (delay > 0) {
		unsigned s = (unsigned)(random() % (delay + 1));

		log_info("waiting %u s (--random-delay)", s);
		sleep(s);
	}
	if (rollback)
		res = admin_rollback(&run, rollback_id);
	else
		res = pipeline_run(&run);
	if (run.opts.publish != NULL && !run.opts.dry_run && !rollback &&
	    (res == UPDATE_OK || res == UPDATE_UPTODATE || res == UPDATE_NODAEMON)) {
		enum update_result pr = admin_publish(&run, run.opts.publish);

		if (pr != UPDATE_OK)
			res = pr;
	}
	if (res != UPDATE_OK && res != UPDATE_UPTODATE && res != UPDATE_NODAEMON) {
		log_error("%s failed: %s", update_result_str(res), run.why);
		if (quiet)
			fprintf(stderr, "mxscan-update: %s failed: %s\n", update_result_str(res),
				run.why);
	} else if (res == UPDATE_NODAEMON && quiet) {
		fprintf(stderr, "mxscan-update: installed, but no daemon reloaded it: %s\n",
			run.why);
	}
	pipeline_free(&run);
	fetch_shutdown();
	config_free();
	free(overrides);
	return update_result_exit(res);
}
