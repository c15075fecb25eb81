/*
 * headers.h - the X-Virus-Scanned and X-Virus-Status fields: the ones a
 * message arrives with are counted while its header passes, and at the
 * end of the message they are removed (smfi_chgheader) before ours are
 * inserted at the top, so a forged "Clean" never survives next to our
 * verdict.  Nothing is touched when the action puts no header on.
 */
#ifndef MX_MILTER_HEADERS_H
#define MX_MILTER_HEADERS_H

#include <libmilter/mfapi.h>

#include "wrappers/milter/action.h"

struct headers {
	int scanned;		/* X-Virus-Scanned fields seen */
	int status;		/* X-Virus-Status fields seen */
};

/* headers_note - count the header field NAME if it is one of ours. */
void headers_note(struct headers *h, const char *name);

/*
 * headers_apply - carry out A's headers on the message of CTX: with
 * a->status, every X-Virus-Status seen goes and ours is inserted; with
 * a->scanned_header the same for X-Virus-Scanned ("mxscan-milter VERSION
 * on HOST").  LEADSPC: the MTA agreed to SMFIP_HDR_LEADSPC, so values
 * carry their leading space.  Returns 0, or -1 with *error_r when
 * libmilter refused a change.
 */
int headers_apply(SMFICTX *ctx, const struct headers *h, const struct action *a,
		  const char *host, int leadspc, const char **error_r);

#endif
