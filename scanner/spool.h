/*
 * spool.h - mxscand's private spool directory: created 0700 after
 * privileges are dropped, it holds the unlinked files of streams too
 * large for memory and libclamav's temporary files.
 */
#ifndef MX_SPOOL_H
#define MX_SPOOL_H

/* spool_open - create the directory under scand_temp_dir (fatal on failure). */
void spool_open(void);

/* spool_dir - its path ("" before spool_open). */
const char *spool_dir(void);

/* spool_file - a new unlinked 0600 file in it, open for reading and
 * writing; -1 with *error_r set. */
int spool_file(const char **error_r);

/* spool_close - remove the (by then empty) directory. */
void spool_close(void);

#endif
