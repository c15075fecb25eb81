/*
 * install.h - the versions/ directory and the current link: new version
 * ids, durable commit (fsync, rename), the atomic swap of current, and
 * listing.  Ids are UTC times YYYYMMDDThhmmssZ (with -N when taken), so
 * they sort by age.
 */
#ifndef MX_UPDATE_INSTALL_H
#define MX_UPDATE_INSTALL_H

#include <stddef.h>

#define INSTALL_ID_MAX 64

/* install_new_id - a fresh id (neither ID nor ID.tmp exists) into BUF. */
void install_new_id(const char *root, char buf[INSTALL_ID_MAX]);

/* install_current - the id current points at into BUF; -1 when there is
 * no current link, or it does not name versions/<id>. */
int install_current(const char *root, char buf[INSTALL_ID_MAX]);

/*
 * install_commit - make versions/ID.tmp durable and live: fsync its
 * tree, rename it to versions/ID, fsync versions/, then install_point().
 */
int install_commit(const char *root, const char *id, const char **error_r);

/* install_point - replace current by a link to versions/ID (rename(2)
 * of a new link) and fsync ROOT. */
int install_point(const char *root, const char *id, const char **error_r);

/* install_list - the ids under versions/ (no .tmp), oldest first, in a
 * new NULL-terminated array (free with install_list_free). */
char **install_list(const char *root, size_t *n_r);
void install_list_free(char **ids);

/* install_previous - the newest id older than CUR into BUF; -1 if none. */
int install_previous(const char *root, const char *cur, char buf[INSTALL_ID_MAX]);

/* install_clean_tmp - remove versions/<id>.tmp left by killed runs. */
void install_clean_tmp(const char *root);

/* install_id_ok - 0 when ID looks like a version id (no / or ..). */
int install_id_ok(const char *id);

#endif
