/*
 * facts.h - what a mail policy needs to know about a part, for MIMEFACTS
 * (common/mimescan.h has the lines, common/policy.h what is made of
 * them): every name a client could show for it, the type libclamav
 * detects, the members of archives (names and types, nested), and every
 * signature that matches, not only the first.
 *
 * Names come from GMime's parameter parsing (RFC 2231 continuations and
 * charsets, RFC 2047 encoded words), of every Content-Disposition and
 * Content-Type header of the part (a duplicated header or parameter
 * gives every value); the undecoded text of a parameter with encoded
 * words is reported beside it.  Types and members come from libclamav
 * itself, as it reads the part (common/engine.h, ENGINE_FACTS: every
 * object with its detected type, name and depth): the archive formats
 * it reads are the ones reported, nested.  An object libclamav answers
 * from its clean cache hides its members, so such a part is read once
 * more past that cache.
 */
#ifndef MX_FACTS_H
#define MX_FACTS_H

#include <gmime/gmime.h>
#include <stddef.h>

#include "common/buffer.h"
#include "common/engine.h"

/* The most members reported for one reading (a bound on the reply). */
#define FACTS_MEMBERS_MAX 1000

/*
 * facts_names - the NAME lines of the part OBJ at PATH, for a reply to
 * the request with id ID, appended to OUT.
 */
void facts_names(struct buffer *out, unsigned id, const char *path, GMimeObject *obj);

/*
 * facts_scan - scan LEN bytes at BUF with DB (engine generation GEN) for
 * all matches, stopping when CTX says so (ctx->stopped is set as
 * engine_scan_mem would).  FLAGS: ENGINE_FACTS also collects the type of
 * the part and its members; ENGINE_FLAT reads the bytes with libclamav's
 * mail parser off (the raw message's flat pass, see mime.h; not with
 * ENGINE_FACTS).  Appends the TYPE and MEMBER lines (ENGINE_FACTS) and a
 * SIG line for each match after the first to OUT, and returns what
 * engine_scan_mem returns (*virname_r the first match, valid until the
 * thread's next call).  With ENGINE_FACTS the lines and the verdict are
 * kept in the verdict cache (scanner/cache.h) for the same bytes and
 * GEN: a part seen before costs no scan, and *HIT_R (when HIT_R is not
 * NULL) is set to 1 for it, else to 0.  PART_KEY, when not NULL, is the
 * SHA-256 of BUF (engine_hash_mem), so the bytes are not hashed again.
 */
enum engine_result facts_scan(const struct engine_db *db, unsigned long long gen,
			      struct engine_scan_ctx *ctx, int flags, const unsigned char *part_key,
			      struct buffer *out, unsigned id, const char *path, const void *buf,
			      size_t len, const char **virname_r, const char **error_r, int *hit_r);

/* facts_heuristic - 1 for a Heuristics.* or PUA.* signature, which a
 * real one outranks (as in libclamav and common/policy.h). */
int facts_heuristic(const char *sig);

#endif
