/*
 * strip.h - replace infected leaf parts of a message by text/plain
 * notices with GMime 3, keeping every other part as it was.
 *
 * Parts are named by the part lines of mxscand's MIMESCAN reply, read
 * with common/mimescan.h, and found by the walk that numbered them there
 * (common/mimewalk.h).
 */
#ifndef MX_FILTER_STRIP_H
#define MX_FILTER_STRIP_H

#include "common/mimescan.h"
#include "wrappers/filter/body.h"

/* strip_init / strip_shutdown - GMime's global set-up (main thread only). */
void strip_init(void);
void strip_shutdown(void);

/*
 * strip_part - replace the leaf part that the part line P reads (a
 * reading such as ".uu1" or ".b64" names its part) of the message in B
 * by a notice naming SIG and HOSTNAME; the rewritten message replaces
 * B's contents.  Returns 0, or -1 with *error_r when the message cannot
 * be parsed or P names no leaf part (for example "raw", a finding in the
 * message as a whole).
 */
int strip_part(struct body *b, const struct mimescan_part *p, const char *sig,
	       const char *hostname, const char **error_r);

#endif
