/*
 * outputs.h - what mxscan-conversion writes back to the channel:
 * OUTPUT_FILE (a byte-exact copy, or a text notice) and OUTPUT_OPTIONS
 * (relabelling options and the STATUS directive).
 */
#ifndef MX_OUTPUTS_H
#define MX_OUTPUTS_H

#include "wrappers/conversion/part.h"

/* PMDF status codes the channel understands in OUTPUT_OPTIONS. */
#define OUTPUTS_STATUS_AGN 178028698		/* PMDF__AGN: requeue, retry later */
#define OUTPUTS_STATUS_FORCERETURN 178029946	/* bounce to the sender */
#define OUTPUTS_STATUS_FORCEDELETE 178030178	/* delete this part */
#define OUTPUTS_STATUS_FORCEHOLD 178030250	/* hold the message */
#define OUTPUTS_STATUS_FORCEDISCARD 178030259	/* discard the message */

/* outputs_copy - OUTPUT_FILE becomes a byte-exact copy of INPUT_FD. */
int outputs_copy(int input_fd, const char *output_file, const char **error_r);

/*
 * outputs_notice - OUTPUT_FILE becomes a text notice naming VIRNAME; with
 * a RULE (not NULL or ""), the notice of a part the mail policy removed,
 * naming VIRNAME (a signature or Banned.* label) and the rule.
 */
int outputs_notice(const struct part *p, const char *virname, const char *rule,
		   const char *output_file, const char **error_r);

/*
 * outputs_options - write OUTPUT_OPTIONS once and atomically (a private
 * temporary file in the same directory, renamed over the target).  TEXT
 * holds complete "NAME=value\n" lines.
 */
int outputs_options(const char *path, const char *text, const char **error_r);

#endif
