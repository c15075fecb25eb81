/*
 * pause.c - test-only pause points (see pause.h).
 */
#include "auto-config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "updater/pause.h"

void pause_point(const char *stage)
{
	const char *at = getenv("MXSCAN_UPDATE_PAUSE_AT");

	if (at == NULL || strcmp(at, stage) != 0)
		return;
	fprintf(stderr, "mxscan-update: paused at %s pid %ld\n", stage, (long)getpid());
	fflush(stderr);
	raise(SIGSTOP);
}
