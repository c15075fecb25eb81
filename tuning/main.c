/*
 * NAME
 *	mxscan-tune - measure the host and size the MTA's scanning jobs
 * SUMMARY
 *	main() dispatches to one subcommand: corpus, gendb, sweep, plan,
 *	compare.  Each takes its own options and -h.
 */
#include "auto-config.h"

#include <stdio.h>
#include <string.h>

#include "tuning/compare.h"
#include "tuning/corpus.h"
#include "tuning/gendb.h"
#include "tuning/plan.h"
#include "tuning/sweep.h"
#include "tuning/tune.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} main_commands[] = {
	{"corpus", corpus_main, "write mail-like test parts (unique, part infected)"},
	{"gendb", gendb_main, "write a synthetic database as heavy as ClamAV's"},
	{"sweep", sweep_main, "measure a scanner per concurrency; recommend job counts"},
	{"plan", plan_main, "Erlang C capacity plan from a sweep or a service time"},
	{"compare", compare_main, "mxscand vs clamd, per-part commands, storm: one table"},
};

static void main_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "Usage: mxscan-tune COMMAND [options]   (mxscan-tune COMMAND -h for its options)\n\n");
	for (i = 0; i < sizeof(main_commands) / sizeof(main_commands[0]); i++)
		fprintf(fp, "  %-8s %s\n", main_commands[i].name, main_commands[i].what);
}

int main(int argc, char **argv)
{
	size_t i;

	(void)tune_eicar();	/* built once, before any thread */
	if (argc < 2) {
		main_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		main_usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(main_commands) / sizeof(main_commands[0]); i++)
		if (strcmp(argv[1], main_commands[i].name) == 0)
			return main_commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mxscan-tune: unknown command \"%s\"\n", argv[1]);
	main_usage(stderr);
	return 2;
}
