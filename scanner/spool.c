/*
 * spool.c - the private spool directory and its unlinked files (see spool.h).
 */
#include "auto-config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "scanner/spool.h"

static char spool_path[PATH_MAX];

void spool_open(void)
{
	snprintf(spool_path, sizeof(spool_path), "%s/mxscand.XXXXXX",
		 config_str(CONF_SCAND_TEMP_DIR));
	if (mkdtemp(spool_path) == NULL)
		log_fatal("scand_temp_dir: cannot create a private directory in %s: %m",
			  config_str(CONF_SCAND_TEMP_DIR));
	chmod(spool_path, 0700);
}

const char *spool_dir(void)
{
	return spool_path;
}

int spool_file(const char **error_r)
{
	int fd = open(spool_path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {	/* a file system without O_TMPFILE */
		char tmpl[PATH_MAX + 16];

		snprintf(tmpl, sizeof(tmpl), "%s/stream.XXXXXX", spool_path);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
	}
	if (fd < 0) {
		log_error("cannot create a spool file in %s: %m", spool_path);
		*error_r = "Can't create temporary file";
	}
	return fd;
}

void spool_close(void)
{
	if (*spool_path != '\0' && rmdir(spool_path) < 0)
		log_warn("cannot remove %s: %m", spool_path);
}
