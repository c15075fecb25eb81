/*
 * prune.h - remove old versions: keep the newest update_keep_versions,
 * and always the current one and the previous one.
 */
#ifndef MX_UPDATE_PRUNE_H
#define MX_UPDATE_PRUNE_H

/* prune_versions - prune ROOT/versions; CURRENT may be NULL.  Each
 * removal and each failure is logged; a failure is never fatal. */
void prune_versions(const char *root, const char *current, int keep);

#endif
