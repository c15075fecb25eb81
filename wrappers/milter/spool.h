/*
 * spool.h - the milter's private spool directory: a 0700 directory made
 * once at start (after privileges are dropped) under milter_temp_dir,
 * where a message's failover copy goes when it outgrows
 * milter_memory_max (0600 files, unlinked as soon as they are made, so
 * the directory stays empty and a crash leaves nothing behind).
 */
#ifndef MX_MILTER_SPOOL_H
#define MX_MILTER_SPOOL_H

/*
 * spool_init - create the directory under PARENT.  Returns 0, or -1
 * with *error_r.
 */
int spool_init(const char *parent, const char **error_r);

/* spool_dir - its path (NULL before spool_init). */
const char *spool_dir(void);

/* spool_cleanup - remove it (at exit). */
void spool_cleanup(void);

#endif
