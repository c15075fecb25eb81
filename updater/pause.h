/*
 * pause.h - test-only pause points.  When MXSCAN_UPDATE_PAUSE_AT names
 * STAGE, pause_point() prints "mxscan-update: paused at STAGE pid PID" to
 * stderr and stops the process with SIGSTOP (a test then kills it there,
 * or continues it with SIGCONT).  Harmless when the variable is unset.
 */
#ifndef MX_UPDATE_PAUSE_H
#define MX_UPDATE_PAUSE_H

void pause_point(const char *stage);

#endif
