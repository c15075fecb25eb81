/*
 * headers.c - our X-Virus-* fields replace the message's (see headers.h).
 */
#include "auto-config.h"

#include <stdio.h>
#include <strings.h>

#include "wrappers/milter/headers.h"

#define HEADERS_SCANNED "X-Virus-Scanned"
#define HEADERS_STATUS "X-Virus-Status"

void headers_note(struct headers *h, const char *name)
{
	if (strcasecmp(name, HEADERS_SCANNED) == 0)
		h->scanned++;
	else if (strcasecmp(name, HEADERS_STATUS) == 0)
		h->status++;
}

/* headers_replace - delete the COUNT fields NAME (last first), insert VALUE on top. */
static int headers_replace(SMFICTX *ctx, const char *name, int count, const char *value,
			   int leadspc, const char **error_r)
{
	char field[400];
	int i;

	for (i = count; i >= 1; i--)
		if (smfi_chgheader(ctx, (char *)name, i, NULL) != MI_SUCCESS) {
			*error_r = "the MTA refused to delete a header field";
			return -1;
		}
	snprintf(field, sizeof(field), "%s%s", leadspc ? " " : "", value);
	if (smfi_insheader(ctx, 0, (char *)name, field) != MI_SUCCESS) {
		*error_r = "the MTA refused to insert a header field";
		return -1;
	}
	return 0;
}

int headers_apply(SMFICTX *ctx, const struct headers *h, const struct action *a,
		  const char *host, int leadspc, const char **error_r)
{
	char scanned[300];

	/* inserted at the top: the status first, so X-Virus-Scanned ends up above it */
	if (a->status[0] != '\0' &&
	    headers_replace(ctx, HEADERS_STATUS, h->status, a->status, leadspc, error_r) < 0)
		return -1;
	if (a->scanned_header) {
		snprintf(scanned, sizeof(scanned), "mxscan-milter %s on %s", PACKAGE_VERSION, host);
		if (headers_replace(ctx, HEADERS_SCANNED, h->scanned, scanned, leadspc, error_r) < 0)
			return -1;
	}
	return 0;
}
