/*
 * ignore.h - the site's signature allow list: update_ignore_signatures
 * written by the updater as IGNORE_FILE (ClamAV's .ign2 format, one
 * signature name a line) into every version it builds, so a false
 * positive is silenced at the next run and stays silenced across feed
 * and database updates.
 */
#ifndef MX_UPDATE_IGNORE_H
#define MX_UPDATE_IGNORE_H

#define IGNORE_FILE "mxscan-local.ign2"

/* ignore_name_ok - a signature name fit for an .ign2 line: printable
 * ASCII without blanks or ':'. */
int ignore_name_ok(const char *name);

/* ignore_text - the IGNORE_FILE contents for the N names at NAMES (a new
 * string; "" when N is 0). */
char *ignore_text(const char *const *names, int n);

/* ignore_changed - whether DIR's IGNORE_FILE (missing: no names) differs
 * from what NAMES give. */
int ignore_changed(const char *dir, const char *const *names, int n);

/* ignore_write - DIR/IGNORE_FILE for NAMES (none written when N is 0).
 * Returns 0, or -1 with *error_r (see reason.h). */
int ignore_write(const char *dir, const char *const *names, int n, const char **error_r);

#endif
