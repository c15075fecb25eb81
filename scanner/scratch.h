/*
 * scratch.h - libclamav's per-scan scratch directories, recycled.
 *
 * libclamav makes a directory in its temporary directory at the start of
 * every scan and removes it at the end, even when it extracts nothing.
 * scratch_* keeps a few such directories, empty, as spares in that
 * temporary directory and renames one into place instead (see scratch.c).
 */
#ifndef MX_SCRATCH_H
#define MX_SCRATCH_H

#include "common/engine.h"

/*
 * scratch_init - recycle directories made directly in ROOT (the engine's
 * temporary directory, private to the daemon), keeping at most SPARES.
 * Call once, before any scan.
 */
void scratch_init(const char *root, unsigned spares);

/*
 * scratch_selfcheck - with recycling on, scan a probe twice with a fresh
 * engine of SETTINGS (whose tmpdir is the root) and check that each scan
 * made one directory of mode 0700 directly in the root with mkdir and
 * removed it with rmdir, that it was kept as a spare and the second scan
 * reused it, and that both scans found the probe.  If not, log a warning
 * saying what was expected and what was seen, and stop recycling
 * (scratch_close).  Call once, after scratch_init and engine_init, before
 * any scan and any other thread.  Returns 1 when recycling stays on.
 */
int scratch_selfcheck(const struct engine_settings *settings);

/* scratch_close - stop recycling and remove the spares (at shutdown). */
void scratch_close(void);

#endif
