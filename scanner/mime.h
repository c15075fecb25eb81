/*
 * mime.h - MIMESCAN: a whole RFC 5322 message, scanned as every reader
 * would see it.
 *
 * GMime 3 splits the message; every leaf part is scanned decoded, text
 * parts are searched for uuencoded files, a part whose body looks like
 * base64 under another declared encoding is also scanned decoded; then
 * the lenient reading (lenient.h) scans what a mail client could open
 * that those readings did not decode (bytes already scanned in the
 * message are not scanned again); last, libclamav reads the raw message:
 * with its own mail parser when the readings disagree or the MIME is
 * defective (or HTML, TNEF, BinHex need its checks), otherwise as flat
 * text (signatures on mail text) without decoding the parts again.  Any
 * reading that
 * finds malware makes the message infected.  Per-part verdicts go through
 * the verdict cache, and the first infected part decides the message; a
 * copy of an attachment already known infected is found by the storm
 * pre-pass (storm.c) before GMime parses anything, so a storm of one
 * attachment costs a hash per copy.  Parts are numbered by
 * common/mimewalk.h and the reply written by common/mimescan.h, the
 * same code the clients read it with.
 */
#ifndef MX_MIME_H
#define MX_MIME_H

#include <stddef.h>

#include "common/engine.h"
#include "common/proto.h"
#include "scanner/generation.h"

/* mime_init, mime_shutdown - GMime's global state (once per process). */
void mime_init(void);
void mime_shutdown(void);

struct mime_result {
	char *reply;		/* part lines and the final line, framed
				 * (common/mimescan.h) */
	size_t len;
	enum proto_verdict verdict;	/* the message's verdict */
	char sig[256];		/* first signature, or the error reason */
	int lookups;		/* readings looked up in the verdict cache */
	int hits;		/* of those answered by it */
	int storm;		/* decided by the storm pre-pass, unparsed */
};

/*
 * mime_scan - scan the message BUF/LEN with generation GEN; CTX stops
 * the engine (deadline, client gone).  ID (0 outside a session) prefixes
 * every line, TERM ends the reply.  With FACTS (MIMEFACTS) every part
 * is read whatever an earlier one held, with all its matches, and the
 * fact lines of scanner/facts.h come with the part lines; the raw
 * message is read as without FACTS (flat or full); neither the
 * verdict cache nor the storm pre-pass answers then.  The caller frees
 * r->reply.
 */
void mime_scan(const char *buf, size_t len, struct generation *gen, struct engine_scan_ctx *ctx,
	       unsigned id, char term, int facts, struct mime_result *r);

/*
 * mime_quick - on the loop thread, answer BUF/LEN without a scan when a
 * top-level attachment is a body kept as known infected for generation
 * GEN (bodies.h): returns 1 with r filled as mime_scan() would (the
 * caller frees r->reply), or 0 when the message needs mime_scan().
 */
int mime_quick(const char *buf, size_t len, unsigned long long gen, unsigned id, char term,
	       struct mime_result *r);

#endif
