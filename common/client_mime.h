/*
 * client_mime.h - an incremental MIMESCAN: a message is sent to the
 * scanner while it arrives (the milter hands it over in pieces), and its
 * verdict is read at the end without a second pass.
 *
 * client_mime_open connects to the first reachable endpoint of
 * scanner_endpoints and starts a MIMESCAN; client_mime_write sends each
 * piece as INSTREAM chunks; client_mime_finish sends the terminator and
 * reads the reply.  A copy of the message is kept only as far as
 * failover needs it: when an endpoint after the streaming one exists, or
 * no endpoint was reachable at the start.  The copy stays in memory up
 * to a size, then moves to a 0600 file (unlinked at once) in a private
 * spool directory.  When the streaming scanner dies, hangs or answers
 * with a temporary failure, client_mime_finish replays the copy to the
 * next endpoints, all within one deadline (scanner timeout_ms from the
 * end of the message; when there is a copy to replay, the streaming
 * scanner gets half of it for its verdict).  A scanner that refuses the stream early (over
 * its size limit) answers while we still write: that answer is the
 * verdict, and the rest of the message is neither sent nor kept.
 *
 * One thread owns a handle.  Results are those of client.h.
 */
#ifndef MX_CLIENT_MIME_H
#define MX_CLIENT_MIME_H

#include <stddef.h>

#include "common/client.h"

struct client_mime;

/*
 * client_mime_open - start a MIMESCAN through OPTS (copied; its endpoint
 * array must outlive the handle), a MIMEFACTS when FACTS (the reply then
 * has the fact lines a mail policy needs, common/policy.h).  MEMORY_MAX bytes of a kept copy stay in
 * memory; beyond that it moves to a file in SPOOL_DIR (NULL: no file, a
 * larger copy is dropped and failover is no longer possible).  Never
 * fails: without a reachable scanner the bytes are kept and
 * client_mime_finish tries again.  Free with client_mime_free.
 */
struct client_mime *client_mime_open(const struct client_options *opts, int facts,
				     size_t memory_max, const char *spool_dir);

/*
 * client_mime_write - send LEN bytes of the message.  Returns 0, or -1
 * with *error_r when the request can no longer get a verdict (no live
 * scanner and no usable copy): the caller may stop sending, and
 * client_mime_finish then says CLIENT_TEMPFAIL.
 */
int client_mime_write(struct client_mime *cm, const void *buf, size_t len,
		      const char **error_r);

/*
 * client_mime_finish - end the message and get its verdict into RESULT
 * (endpoint: the scanner that answered; ms: from open to verdict), the
 * whole reply into REPLY (SIZE bytes, as client_scan_mime leaves it).
 * Call once.  Returns the status.
 */
enum client_status client_mime_finish(struct client_mime *cm, char *reply, size_t size,
				      struct client_result *result);

/* client_mime_bytes - bytes of the message written so far. */
size_t client_mime_bytes(const struct client_mime *cm);

/* client_mime_free - close the connection, drop the copy, free *CM; NULL is a no-op. */
void client_mime_free(struct client_mime **cm);

#endif
