/*
 * strip.h - replace infected leaf parts of a message by text/plain
 * notices with GMime 3, keeping every other part as it was.
 *
 * Parts are named by the paths of mxscand's MIMESCAN reply (1, 2, 2.1,
 * ...; see mxscand(8)), and the walk here numbers them the same way.
 */
#ifndef MX_FILTER_STRIP_H
#define MX_FILTER_STRIP_H

#include "wrappers/filter/body.h"

/* strip_init / strip_shutdown - GMime's global set-up (main thread only). */
void strip_init(void);
void strip_shutdown(void);

/*
 * strip_part - replace the leaf part at PATH of the message in B by a
 * notice naming SIG and HOSTNAME; the rewritten message replaces B's
 * contents.  A reading's suffix (".uu1", ".b64") names its part.  Returns
 * 0, or -1 with *error_r when the message cannot be parsed or PATH is no
 * leaf part (for example "raw", a finding in the message as a whole).
 */
int strip_part(struct body *b, const char *path, const char *sig, const char *hostname,
	       const char **error_r);

#endif
