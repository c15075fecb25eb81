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

/*
 * scratch_init - recycle directories made directly in ROOT (the engine's
 * temporary directory, private to the daemon), keeping at most SPARES.
 * Call once, before any scan.
 */
void scratch_init(const char *root, unsigned spares);

/* scratch_close - stop recycling and remove the spares (at shutdown). */
void scratch_close(void);

#endif
