/*
 * main.c - mxscan-filter: wire the pieces together (init, run, shutdown).
 *
 * The Postfix SMTP content filter: Postfix hands each message to
 * filter_listen (after-queue content_filter or before-queue
 * smtpd_proxy_filter), the filter scans it with mxscand's MIMESCAN and
 * relays it to filter_forward, answering Postfix only after the forward
 * server has answered.
 */
#include "auto-config.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "common/privs.h"
#include "common/xalloc.h"
#include "wrappers/filter/body.h"
#include "wrappers/filter/server.h"
#include "wrappers/filter/session.h"
#include "wrappers/filter/strip.h"
#include "wrappers/quarantine/qstore.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mxscan-filter [options]\n"
		"Postfix SMTP content filter scanning mail with mxscand.\n\n"
		"  -c, --config FILE     configuration file (default %s)\n"
		"  -o, --option N=V      override one parameter (repeatable)\n"
		"  -f, --foreground      stay in the foreground and log to stderr too\n"
		"  -n, --print-config    check the settings, print non-default ones and exit\n"
		"  -v, --verbose         log debugging detail\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version and exit\n",
		config_default_file);
}

/* daemonize - detach from the terminal; the parent exits. */
static void daemonize(void)
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

static void write_pid_file(void)
{
	const char *path = config_str(CONF_FILTER_PID_FILE);
	FILE *fp;

	if (*path == '\0')
		return;
	fp = fopen(path, "w");
	if (fp == NULL)
		log_fatal("filter_pid_file %s: %m", path);
	fprintf(fp, "%ld\n", (long)getpid());
	fclose(fp);
}

/*
 * settings_check - the settings as the sessions use them; a combination
 * that would harm mail is a start-up error.
 */
static void settings_check(struct session_settings *s, char *hostbuf, size_t hostsize)
{
	memset(s, 0, sizeof(*s));
	s->mode = (enum session_mode)config_num(CONF_FILTER_MODE);
	s->infected = (enum session_infected)config_num(CONF_FILTER_INFECTED_ACTION);
	s->failure = (enum session_failure)config_num(CONF_FILTER_FAILURE_ACTION);
	if (s->mode == SESSION_AFTER_QUEUE && s->infected == INFECTED_REJECT)
		log_fatal("filter_infected_action = reject needs filter_mode = before-queue: after "
			  "the queue a rejection makes Postfix bounce the virus to a (forged) sender");
	s->forward = config_str(CONF_FILTER_FORWARD);
	if (*s->forward == '\0')
		log_fatal("filter_forward is empty");
	s->quarantine_dir = config_str(CONF_FILTER_QUARANTINE_DIR);
	s->max_size = (size_t)config_num(CONF_FILTER_MAX_MESSAGE_SIZE);
	s->memory_max = (size_t)config_num(CONF_FILTER_MEMORY_MAX);
	s->client_timeout_ms = (int)config_num(CONF_FILTER_CLIENT_TIMEOUT);
	s->forward_timeout_ms = (int)config_num(CONF_FILTER_FORWARD_TIMEOUT);
	s->message_timeout_ms = (int)config_num(CONF_FILTER_MESSAGE_TIMEOUT);
	s->add_headers = (int)config_num(CONF_FILTER_ADD_HEADERS);
	snprintf(hostbuf, hostsize, "%s", config_str(CONF_FILTER_HOSTNAME));
	if (*hostbuf == '\0' && gethostname(hostbuf, hostsize) < 0)
		snprintf(hostbuf, hostsize, "localhost");
	hostbuf[hostsize - 1] = '\0';
	hostbuf[strcspn(hostbuf, " \t\r\n")] = '\0';
	s->hostname = hostbuf;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"option", required_argument, NULL, 'o'},
		{"foreground", no_argument, NULL, 'f'},   {"print-config", no_argument, NULL, 'n'},
		{"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	const char *file = NULL, *err = NULL;
	static char **overrides;	/* static: reachable until exit */
	static char hostname[256];
	int noverrides = 0, foreground = 0, print = 0, opt;
	struct session_settings settings;
	sigset_t sigs;

	overrides = xcalloc((size_t)argc, sizeof(char *));
	log_init("mxscan-filter", LOG_DEST_STDERR);
	while ((opt = getopt_long(argc, argv, "c:o:fnvhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'o':
			overrides[noverrides++] = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			print = 1;
			break;
		case 'v':
			log_set_verbose(1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("mxscan-filter %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (config_load(file, overrides, noverrides, &err) < 0)
		log_fatal("%s", err);
	settings_check(&settings, hostname, sizeof(hostname));
	if (print) {
		config_print_nondefaults(stdout);
		return 0;
	}

	/* The stop signals come through the accept loop's signalfd: block
	 * them before any thread starts so every thread inherits the mask. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);	/* nothing to reload: settings need a restart */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	if (!foreground)
		daemonize();
	log_init("mxscan-filter", LOG_DEST_SYSLOG | (foreground ? LOG_DEST_STDERR : 0));
	server_open(config_str(CONF_FILTER_LISTEN), (int)config_num(CONF_FILTER_MAX_CONNECTIONS));
	write_pid_file();
	if (privs_drop(config_str(CONF_FILTER_USER), &err) < 0)
		log_fatal("filter_user: %s", err);
	if (body_spool_init(config_str(CONF_FILTER_TEMP_DIR), &err) < 0)
		log_fatal("filter_temp_dir: %s", err);
	if ((settings.infected == INFECTED_QUARANTINE || settings.infected == INFECTED_STRIP) &&
	    qstore_init_dir(settings.quarantine_dir, &err) < 0)
		log_fatal("filter_quarantine_dir: %s", err);
	strip_init();
	session_configure(&settings);
	log_info("mxscan-filter %s started: %s -> %s, %s, infected: %s, scan failure: %s",
		 PACKAGE_VERSION, config_str(CONF_FILTER_LISTEN), settings.forward,
		 settings.mode == SESSION_BEFORE_QUEUE ? "before-queue" : "after-queue",
		 config_str(CONF_FILTER_INFECTED_ACTION), config_str(CONF_FILTER_FAILURE_ACTION));

	server_run();

	server_close();
	body_spool_cleanup();
	strip_shutdown();
	config_free();
	free(overrides);
	log_info("stopped");
	return 0;
}
