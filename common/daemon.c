/*
 * daemon.c - options and configuration, detaching from the terminal and the
 * pid file, for mxscand and mxscan-filter (see daemon.h).
 */
#include "auto-config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/xalloc.h"

/* The -o values: the configuration refers to them until config_free. */
static char **daemon_overrides;
static char *daemon_clamd_override;	/* -C FILE as scand_clamd_config=FILE */
static int (*daemon_clamd_apply)(const char *file, const char **error_r);

void daemon_options_free(void)
{
	free(daemon_overrides);
	daemon_overrides = NULL;
	free(daemon_clamd_override);
	daemon_clamd_override = NULL;
}

void daemon_clamd_config(int (*apply)(const char *file, const char **error_r))
{
	daemon_clamd_apply = apply;
}

/* daemon_usage - the help of PROG: its SUMMARY, then the options every daemon takes. */
static void daemon_usage(FILE *fp, const char *prog, const char *summary)
{
	fprintf(fp,
		"Usage: %s [options]\n%s\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -o, --option N=V      override one parameter (repeatable)\n",
		prog, summary, config_default_file);
	if (daemon_clamd_apply != NULL)
		fputs("  -C, --clamd-config FILE  also read clamd's clamd.conf (see mxscand(8))\n", fp);
	fputs("  -f, --foreground      stay in the foreground and log to stderr too\n"
	      "  -n, --print-config    check the settings, print non-default ones and exit\n"
	      "  -v, --verbose         log debugging detail\n"
	      "  -h, --help            this help\n"
	      "  -V, --version         print the version and exit\n",
	      fp);
}

int daemon_options(int argc, char **argv, const char *prog, const char *summary,
		   struct daemon_options *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"option", required_argument, NULL, 'o'},
		{"foreground", no_argument, NULL, 'f'},   {"print-config", no_argument, NULL, 'n'},
		{"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},      {"clamd-config", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL, *err = NULL;
	int noverrides = 0, opt;

	o->foreground = o->print = 0;
	daemon_overrides = xcalloc((size_t)argc, sizeof(char *));
	while ((opt = getopt_long(argc, argv, daemon_clamd_apply ? "c:o:fnvhVC:" : "c:o:fnvhV",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			if (daemon_clamd_apply == NULL) {
				daemon_usage(stderr, prog, summary);
				return 2;
			}
			free(daemon_clamd_override);
			daemon_clamd_override = xasprintf("scand_clamd_config=%s", optarg);
			daemon_overrides[noverrides++] = daemon_clamd_override;
			break;
		case 'c':
			file = optarg;
			break;
		case 'o':
			daemon_overrides[noverrides++] = optarg;
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'n':
			o->print = 1;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case 'h':
			daemon_usage(stdout, prog, summary);
			return 0;
		case 'V':
			printf("%s %s\n", prog, PACKAGE_VERSION);
			return 0;
		default:
			daemon_usage(stderr, prog, summary);
			return 2;
		}
	}
	if (optind < argc) {
		daemon_usage(stderr, prog, summary);
		return 2;
	}
	if (config_load(file, daemon_overrides, noverrides, &err) < 0)
		log_fatal("%s", err);
	/* clamd's own file, then the -o overrides again: they win over it. */
	if (daemon_clamd_apply != NULL && *config_str(CONF_SCAND_CLAMD_CONFIG) != '\0' &&
	    (daemon_clamd_apply(config_str(CONF_SCAND_CLAMD_CONFIG), &err) < 0 ||
	     config_apply_overrides(daemon_overrides, noverrides, &err) < 0))
		log_fatal("%s", err);
	return -1;
}

void daemon_detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		log_fatal("fork: %m");
	if (pid > 0)
		_exit(0);
	setsid();
	pid = fork();
	if (pid < 0)
		log_fatal("fork: %m");
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		log_fatal("chdir /: %m");
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

void daemon_write_pid(const char *path, const char *param)
{
	FILE *fp;

	if (*path == '\0')
		return;
	fp = fopen(path, "w");
	if (fp == NULL)
		log_fatal("%s %s: %m", param, path);
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0)
		log_fatal("%s %s: %m", param, path);
}

/* daemon_hostname - the host name for mail headers (see daemon.h). */
void daemon_hostname(const char *configured, char *buf, size_t size)
{
	if (size == 0)
		return;
	snprintf(buf, size, "%s", configured);
	if (buf[0] == '\0' && gethostname(buf, size - 1) < 0)
		buf[0] = '\0';
	buf[size - 1] = '\0';
	buf[strcspn(buf, " \t\r\n")] = '\0';
	if (buf[0] == '\0')
		snprintf(buf, size, "localhost");
}
