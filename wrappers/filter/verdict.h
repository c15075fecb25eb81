/*
 * verdict.h - what the scanner says about one message: a MIMESCAN
 * through scanner_endpoints (common/client.h, failover within one
 * deadline) and, for filter_infected_action = strip, the loop that
 * replaces each infected part and scans the result again until it is
 * clean.
 */
#ifndef MX_FILTER_VERDICT_H
#define MX_FILTER_VERDICT_H

#include "common/client.h"
#include "wrappers/filter/body.h"

/* At most this many parts are stripped from one message. */
#define VERDICT_STRIP_MAX 16

struct verdict {
	enum client_status status;	/* of the first scan */
	char sig[256];		/* signature (printable), or the failure reason */
	char endpoint[256];	/* the scanner that answered */
	long long ms;		/* scanning time, all rounds */
	int stripped;		/* parts replaced (strip) */
	int strip_failed;	/* strip was asked for but the result is not clean */
	char strip_error[256];
};

/*
 * verdict_scan - scan B before DEADLINE.  With STRIP, an infected message
 * has its infected parts replaced in B (notices naming HOSTNAME) and is
 * scanned again; v->strip_failed says B could not be made clean (B may
 * then be partly rewritten: the caller keeps the original elsewhere).
 */
void verdict_scan(struct body *b, long long deadline, int strip, const char *hostname,
		  struct verdict *v);

/* verdict_printable - copy a scanner-supplied name with only safe header bytes. */
void verdict_printable(char *dst, size_t size, const char *src);

#endif
