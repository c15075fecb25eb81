/*
 * main.c - mxscand: wire the pieces together (init, run, shutdown).
 */
#include "auto-config.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clamdconf.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/engine.h"
#include "common/log.h"
#include "common/privs.h"
#include "common/xalloc.h"
#include "scanner/bodies.h"
#include "scanner/cache.h"
#include "scanner/dbfile.h"
#include "scanner/exporter.h"
#include "scanner/generation.h"
#include "scanner/mime.h"
#include "scanner/pool.h"
#include "scanner/scratch.h"
#include "scanner/server.h"
#include "scanner/spool.h"
#include "scanner/stats.h"

int main(int argc, char **argv)
{
	struct daemon_options opts;
	const char *err = NULL;
	struct engine_settings settings;
	sigset_t sigs;
	int rc;

	log_init("mxscand", LOG_DEST_STDERR);
	daemon_clamd_config(clamdconf_apply);
	rc = daemon_options(argc, argv, "mxscand",
			    "Scanning daemon speaking clamd's protocol with a shared libclamav engine.",
			    &opts);
	if (rc >= 0)
		return rc;
	if (opts.print) {
		clamdconf_print(stdout);
		config_print_nondefaults(stdout);
		return 0;
	}

	/* Signals come through the I/O loop's signalfd; block them before
	 * any thread starts so every thread inherits the mask. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR2);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	if (!opts.foreground)
		daemon_detach();
	log_init("mxscand", LOG_DEST_SYSLOG | (opts.foreground ? LOG_DEST_STDERR : 0));
	server_open();
	exporter_open();
	daemon_write_pid(config_str(CONF_SCAND_PID_FILE), "scand_pid_file");
	if (privs_drop(config_str(CONF_SCAND_USER), &err) < 0)
		log_fatal("scand_user: %s", err);
	spool_open();
	if (config_num(CONF_SCAND_SCRATCH_RECYCLE))
		scratch_init(spool_dir(), (unsigned)config_num(CONF_SCAND_THREADS) + 2);
	if (engine_init(&err) < 0)
		log_fatal("%s", err);

	engine_settings_from_config(&settings, spool_dir());
	scratch_selfcheck(&settings);
	dbfile_init((int)config_num(CONF_SCAND_DB_UNLOCKED_READS), &settings);
	if (config_num(CONF_SCAND_STREAM_MAX_LENGTH) > config_num(CONF_SCAND_MAX_FILESIZE) &&
	    !settings.alert_exceeds_max)
		log_warn("scand_stream_max_length exceeds scand_max_filesize and "
			 "scand_alert_exceeds_max is off: streams over the file size limit "
			 "would be reported clean");
	stats_init();
#ifdef HAVE_MALLOC_TRIM
	/* Requests allocate and free buffers of megabytes each: take them
	 * from the heap instead of a fresh zeroed mmap per request, and
	 * keep up to 32 MB free there rather than trimming it after each. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 32 << 20);
#endif
	cache_init((size_t)config_num(CONF_SCAND_CACHE_SIZE));
	bodies_init((size_t)config_num(CONF_SCAND_STORM_MEMORY));
	mime_init();
	pool_start((int)config_num(CONF_SCAND_THREADS), (int)config_num(CONF_SCAND_QUEUE_MAX));
	generation_start(&settings);
	exporter_start();
	log_info("mxscand %s started (libclamav %s), %lld scan threads", PACKAGE_VERSION,
		 engine_version(), config_num(CONF_SCAND_THREADS));

	server_run();

	log_info("stopping");
	exporter_stop();
	pool_stop();
	scratch_close();
	server_close();
	spool_close();
	generation_stop();
	cache_free();
	bodies_free();
	mime_shutdown();
	config_free();
	clamdconf_free();
	daemon_options_free();
	log_info("stopped");
	return 0;
}
