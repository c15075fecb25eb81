/*
 * prune.h - remove old versions: keep the newest update_keep_versions,
 * and always the current one and the previous one.
 */
#ifndef MX_UPDATE_PRUNE_H
#define MX_UPDATE_PRUNE_H

/* prune_versions - prune ROOT/versions; CURRENT may be NULL.  Returns
 * the number removed; failures are logged, never fatal. */
int prune_versions(const char *root, const char *current, int keep);

#endif
