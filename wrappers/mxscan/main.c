/*
 * main.c - mxscan: the command-line client (clamdscan-like) for mxscand
 * or any clamd-protocol scanner.
 *
 * Each FILE is scanned through the scanner client (common/client.c) and
 * reported as "NAME: OK", "NAME: SIG FOUND" or "NAME: reason ERROR".
 * Exit status: 0 all clean, 1 something infected, 2 an error.
 */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/client.h"
#include "common/config.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "wrappers/mxscan/view.h"

/* Room for the reply to a command (HEALTH and STATS are the longest),
 * and for a MIMESCAN reply: the part lines and the verdict. */
#define MXSCAN_REPLY_MAX 65536
#define MXSCAN_MIME_REPLY_MAX (1 << 20)

enum mxscan_action {
	ACT_SCAN,
	ACT_PING,
	ACT_RELOAD,
	ACT_HEALTH,
	ACT_STATS,
	ACT_VERSION,
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan [options] FILE...|-\n"
		"Scan files with mxscand (or any clamd-protocol scanner).\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -o, --option N=V      override one parameter (repeatable)\n"
		"      --stream          send the data (INSTREAM)\n"
		"      --fdpass          pass the open file (FILDES; UNIX sockets only)\n"
		"      --path            ask the scanner to open the path itself (SCAN)\n"
		"      --mime            scan each FILE as a mail message, part by part (MIMESCAN)\n"
		"      --policy          with --mime: show what the mail policy would do (MIMEFACTS):\n"
		"                        every part's names, true type, archive members, hits, decision\n"
		"  -q, --quiet           print only infected files and errors\n"
		"      --ping            check that a scanner answers PING\n"
		"      --reload          ask the scanner to reload its database\n"
		"      --health          print the scanner's HEALTH report\n"
		"      --stats           print the scanner's STATS report\n"
		"      --scanner-version print the scanner's VERSION\n"
		"  -n, --print-config    print non-default settings and exit\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version and exit\n"
		"Exit status: 0 clean, 1 infected, 2 error; with --policy 0 delivered,\n"
		"1 refused, quarantined, discarded or stripped, 2 error.\n",
		config_default_file);
}

/* mxscan_ends_with - whether S ends in SUFFIX. */
static int mxscan_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* mxscan_command - PING, RELOAD, HEALTH, STATS, VERSION. */
static int mxscan_command(const struct client_options *opts, enum mxscan_action act)
{
	static const char *const cmds[] = {
		[ACT_PING] = "PING",     [ACT_RELOAD] = "RELOAD", [ACT_HEALTH] = "HEALTH",
		[ACT_STATS] = "STATS",   [ACT_VERSION] = "VERSION",
	};
	struct client_result r;
	char reply[MXSCAN_REPLY_MAX];

	if (client_command(opts, cmds[act], reply, sizeof(reply), &r) < 0) {
		fprintf(stderr, "mxscan: %s: %s\n", r.endpoint, r.detail);
		return 2;
	}
	printf("%s%s", reply, reply[0] && reply[strlen(reply) - 1] == '\n' ? "" : "\n");
	if (act == ACT_PING && strcmp(reply, "PONG") != 0)
		return 2;
	if (act == ACT_RELOAD && strcmp(reply, "RELOADING") != 0)
		return 2;
	/* HEALTH and STATS end with END; anything else (UNKNOWN COMMAND from
	 * a scanner without the command, an error) is a failure. */
	if ((act == ACT_HEALTH || act == ACT_STATS) && !mxscan_ends_with(reply, "END"))
		return 2;
	if (act == ACT_VERSION && strncmp(reply, "ClamAV ", strlen("ClamAV ")) != 0)
		return 2;
	return 0;
}

/* mxscan_one - scan one FILE ("-" is standard input); returns its exit code. */
static int mxscan_one(const struct client_options *opts, const char *file, int quiet, int mime,
		      int policy)
{
	struct client_options o = *opts;
	struct client_result r;
	char abspath[PATH_MAX] = "";
	int fd, stdin_input = strcmp(file, "-") == 0;

	if (stdin_input) {
		fd = 0;
		if (o.mode == CLIENT_MODE_PATH || o.mode == CLIENT_MODE_FDPASS)
			o.mode = CLIENT_MODE_STREAM;
		if (o.mode == CLIENT_MODE_AUTO)
			o.mode = CLIENT_MODE_STREAM;
		file = "stream";
	} else {
		fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			printf("%s: %s ERROR\n", file, strerror(errno));
			return 2;
		}
	}
	if (o.mode == CLIENT_MODE_PATH && !stdin_input) {
		if (realpath(file, abspath) == NULL) {
			printf("%s: %s ERROR\n", file, strerror(errno));
			close(fd);
			return 2;
		}
	}
	if (mime && policy) {
		int ret = view_message(&o, fd, file);

		if (!stdin_input)
			close(fd);
		return ret;
	}
	if (mime) {
		/* MIMESCAN: print the scanner's part lines, then the verdict. */
		char *reply = malloc(MXSCAN_MIME_REPLY_MAX);
		char *nl;

		if (reply == NULL) {
			printf("%s: out of memory ERROR\n", file);
			if (!stdin_input)
				close(fd);
			return 2;
		}
		reply[0] = '\0';
		client_scan_mime(&o, fd, reply, MXSCAN_MIME_REPLY_MAX, &r);
		nl = strrchr(reply, '\n');
		if (!quiet && nl != NULL && r.status != CLIENT_TEMPFAIL)
			printf("%.*s", (int)(nl - reply + 1), reply);
		free(reply);
	} else {
		client_scan_fd(&o, fd, o.mode == CLIENT_MODE_PATH ? abspath : file, &r);
	}
	if (!stdin_input)
		close(fd);
	switch (r.status) {
	case CLIENT_CLEAN:
		if (!quiet)
			printf("%s: OK\n", file);
		return 0;
	case CLIENT_INFECTED:
		printf("%s: %s FOUND\n", file, r.detail);
		return 1;
	case CLIENT_SCAN_ERROR:
	case CLIENT_TEMPFAIL:
	case CLIENT_LIMIT:
		printf("%s: %s ERROR\n", file, r.detail);
		return 2;
	}
	return 2;
}

int main(int argc, char **argv)
{
	enum { OPT_STREAM = 256, OPT_FDPASS, OPT_PATH, OPT_MIME, OPT_PING, OPT_RELOAD, OPT_HEALTH,
	       OPT_STATS, OPT_SVER, OPT_POLICY };
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"option", required_argument, NULL, 'o'},
		{"stream", no_argument, NULL, OPT_STREAM},
		{"fdpass", no_argument, NULL, OPT_FDPASS},
		{"path", no_argument, NULL, OPT_PATH},
		{"mime", no_argument, NULL, OPT_MIME},
		{"policy", no_argument, NULL, OPT_POLICY},
		{"quiet", no_argument, NULL, 'q'},
		{"ping", no_argument, NULL, OPT_PING},
		{"reload", no_argument, NULL, OPT_RELOAD},
		{"health", no_argument, NULL, OPT_HEALTH},
		{"stats", no_argument, NULL, OPT_STATS},
		{"scanner-version", no_argument, NULL, OPT_SVER},
		{"print-config", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static char **overrides;	/* static: reachable until exit */
	int noverrides = 0, quiet = 0, print = 0, mime = 0, policy = 0, opt, i, worst = 0;
	enum client_mode mode = CLIENT_MODE_AUTO;
	enum mxscan_action act = ACT_SCAN;
	struct client_options opts;
	const char *file = NULL, *err = NULL;

	overrides = xcalloc((size_t)argc, sizeof(char *));
	log_init("mxscan", LOG_DEST_STDERR);
	while ((opt = getopt_long(argc, argv, "c:o:qnhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': file = optarg; break;
		case 'o': overrides[noverrides++] = optarg; break;
		case 'q': quiet = 1; break;
		case 'n': print = 1; break;
		case OPT_STREAM: mode = CLIENT_MODE_STREAM; break;
		case OPT_FDPASS: mode = CLIENT_MODE_FDPASS; break;
		case OPT_PATH: mode = CLIENT_MODE_PATH; break;
		case OPT_MIME: mime = 1; break;
		case OPT_POLICY: policy = 1; break;
		case OPT_PING: act = ACT_PING; break;
		case OPT_RELOAD: act = ACT_RELOAD; break;
		case OPT_HEALTH: act = ACT_HEALTH; break;
		case OPT_STATS: act = ACT_STATS; break;
		case OPT_SVER: act = ACT_VERSION; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("mxscan %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (config_load(file, overrides, noverrides, &err) < 0) {
		fprintf(stderr, "mxscan: %s\n", err);
		return 2;
	}
	if (print) {
		config_print_nondefaults(stdout);
		return 0;
	}
	client_options_from_config(&opts);
	opts.mode = mode;
	if (act != ACT_SCAN)
		return mxscan_command(&opts, act);
	if (optind >= argc || (policy && !mime)) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = optind; i < argc; i++) {
		int r = mxscan_one(&opts, argv[i], quiet, mime, policy);

		if (r == 2 || (r == 1 && worst == 0))
			worst = r;
	}
	config_free();
	free(overrides);
	return worst;
}
