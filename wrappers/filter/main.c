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

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/privs.h"
#include "common/xalloc.h"
#include "wrappers/filter/body.h"
#include "wrappers/filter/exporter.h"
#include "wrappers/filter/server.h"
#include "wrappers/filter/settings.h"
#include "wrappers/filter/strip.h"
#include "wrappers/quarantine/qstore.h"

int main(int argc, char **argv)
{
	struct daemon_options opts;
	const char *err = NULL;
	const struct settings *cfg;
	sigset_t sigs;
	int rc;

	log_init("mxscan-filter", LOG_DEST_STDERR);
	rc = daemon_options(argc, argv, "mxscan-filter",
			    "Postfix SMTP content filter scanning mail with mxscand.",
			    &opts);
	if (rc >= 0)
		return rc;
	if (settings_load(&err) < 0)
		log_fatal("%s", err);
	cfg = settings();
	if (opts.print) {
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

	if (!opts.foreground)
		daemon_detach();
	log_init("mxscan-filter", LOG_DEST_SYSLOG | (opts.foreground ? LOG_DEST_STDERR : 0));
	server_open(cfg->listen, cfg->max_connections);
	exporter_open();
	daemon_write_pid(config_str(CONF_FILTER_PID_FILE), "filter_pid_file");
	if (privs_drop(config_str(CONF_FILTER_USER), &err) < 0)
		log_fatal("filter_user: %s", err);
	if (body_spool_init(config_str(CONF_FILTER_TEMP_DIR), &err) < 0)
		log_fatal("filter_temp_dir: %s", err);
	if ((cfg->infected == CONF_FILTER_INFECTED_ACTION_QUARANTINE ||
	     cfg->infected == CONF_FILTER_INFECTED_ACTION_STRIP ||
	     cfg->limit == CONF_FILTER_LIMIT_ACTION_QUARANTINE) &&
	    qstore_init_dir(cfg->quarantine_dir, &err) < 0)
		log_fatal("filter_quarantine_dir: %s", err);
	strip_init();
	exporter_start();
	log_info("mxscan-filter %s started: %s -> %s, %s, infected: %s, scan failure: %s",
		 PACKAGE_VERSION, cfg->listen, cfg->forward, config_str(CONF_FILTER_MODE),
		 config_str(CONF_FILTER_INFECTED_ACTION), config_str(CONF_FILTER_FAILURE_ACTION));

	server_run();

	server_close();
	exporter_stop();
	body_spool_cleanup();
	strip_shutdown();
	config_free();
	daemon_options_free();
	log_info("stopped");
	return 0;
}
