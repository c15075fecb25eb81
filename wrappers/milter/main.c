/*
 * main.c - mxscan-milter: wire the pieces together (init, run, shutdown).
 *
 * A Sendmail milter (libmilter) for Postfix, Sendmail and Messaging
 * Server: each message is streamed to mxscand as a MIMESCAN while it
 * arrives, and refused, quarantined, discarded, tagged or accepted at
 * end-of-message inside the SMTP dialogue.
 */
#include "auto-config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <libmilter/mfapi.h>

#include "common/config.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/privs.h"
#include "wrappers/milter/exporter.h"
#include "wrappers/milter/listener.h"
#include "wrappers/milter/session.h"
#include "wrappers/milter/settings.h"
#include "wrappers/milter/spool.h"

int main(int argc, char **argv)
{
	struct daemon_options opts;
	const char *err = NULL;
	const struct settings *cfg;
	int rc;

	log_init("mxscan-milter", LOG_DEST_STDERR);
	rc = daemon_options(argc, argv, "mxscan-milter",
			    "Milter (Postfix, Sendmail, Messaging Server) scanning mail with mxscand.",
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

	/* smfi_main handles SIGTERM, SIGINT and SIGHUP on its own thread */
	signal(SIGPIPE, SIG_IGN);
	if (!opts.foreground)
		daemon_detach();
	log_init("mxscan-milter", LOG_DEST_SYSLOG | (opts.foreground ? LOG_DEST_STDERR : 0));
	listener_open(session_filter(), cfg->socket, (unsigned)config_num(CONF_MILTER_SOCKET_MODE),
		      config_str(CONF_MILTER_SOCKET_GROUP), cfg->mta_timeout_s);
	exporter_open();
	daemon_write_pid(config_str(CONF_MILTER_PID_FILE), "milter_pid_file");
	if (privs_drop(config_str(CONF_MILTER_USER), &err) < 0)
		log_fatal("milter_user: %s", err);
	if (spool_init(config_str(CONF_MILTER_TEMP_DIR), &err) < 0)
		log_fatal("milter_temp_dir: %s", err);
	exporter_start();
	log_info("mxscan-milter %s started on %s, infected: %s, scan failure: %s, over limits: %s",
		 PACKAGE_VERSION, cfg->socket, config_str(CONF_MILTER_INFECTED_ACTION),
		 config_str(CONF_MILTER_FAILURE_ACTION), config_str(CONF_MILTER_LIMIT_ACTION));

	rc = smfi_main() == MI_SUCCESS ? 0 : 1;

	exporter_stop();
	spool_cleanup();
	config_free();
	daemon_options_free();
	log_info("stopped");
	return rc;
}
