/*
 * spool.c - the milter's private spool directory (see spool.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wrappers/milter/spool.h"

static char spool_path[4096];
static int spool_made;

int spool_init(const char *parent, const char **error_r)
{
	if (snprintf(spool_path, sizeof(spool_path), "%s/mxscan-milter.XXXXXX", parent) >=
	    (int)sizeof(spool_path)) {
		*error_r = "path too long";
		return -1;
	}
	if (mkdtemp(spool_path) == NULL) {	/* 0700 */
		*error_r = "cannot create the private spool directory";
		return -1;
	}
	spool_made = 1;
	return 0;
}

const char *spool_dir(void)
{
	return spool_made ? spool_path : NULL;
}

void spool_cleanup(void)
{
	if (spool_made && rmdir(spool_path) == 0)
		spool_made = 0;
}
