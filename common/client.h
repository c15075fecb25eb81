/*
 * client.h - the scanner client every wrapper uses.
 *
 * It talks clamd's protocol to any endpoint of scanner_endpoints (mxscand
 * or a stock clamd), trying them in order: a connect failure or time-out
 * moves on to the next endpoint, a verdict or an error reply from a
 * scanner does not.  Results keep "temporary" (scanner unreachable, time-
 * out, protocol trouble: retry later) apart from a scanner's own ERROR,
 * and that apart from a "permanent" ERROR: input over the scanner's
 * limits, which no retry will get scanned.
 */
#ifndef MX_CLIENT_H
#define MX_CLIENT_H

#include <stddef.h>

#include "common/stream.h"

enum client_status {
	CLIENT_CLEAN,
	CLIENT_INFECTED,
	CLIENT_SCAN_ERROR,	/* the scanner answered "... ERROR" */
	CLIENT_TEMPFAIL,	/* no scanner reachable, time-out, bad reply */
	CLIENT_LIMIT,		/* an ERROR refusing the input as over one of the
				 * scanner's limits (proto_reason_is_limit):
				 * the same input will never be scanned */
};

enum client_mode {
	CLIENT_MODE_AUTO,	/* FILDES on UNIX sockets, INSTREAM on TCP */
	CLIENT_MODE_STREAM,	/* always INSTREAM */
	CLIENT_MODE_FDPASS,	/* FILDES; fails on TCP */
	CLIENT_MODE_PATH,	/* SCAN <absolute path> */
};

struct client_result {
	enum client_status status;
	char detail[512];	/* signature name, or the reason */
	char endpoint[256];	/* the endpoint that answered (or last tried) */
	long long ms;		/* wall time of the request */
};

struct client_options {
	const char *const *endpoints;	/* NULL-terminated */
	int connect_timeout_ms;
	int timeout_ms;			/* whole request */
	enum client_mode mode;
};

/* client_options_from_config - endpoints and time-outs from mxscan.conf. */
void client_options_from_config(struct client_options *opts);

/*
 * client_scan_fd - scan the open file FD; PATH is needed for
 * CLIENT_MODE_PATH and only used for messages otherwise.  Returns the
 * status (also in result->status).
 */
enum client_status client_scan_fd(const struct client_options *opts, int fd, const char *path,
				  struct client_result *result);

/* client_scan_buffer - INSTREAM of LEN bytes from memory. */
enum client_status client_scan_buffer(const struct client_options *opts, const void *buf,
				      size_t len, struct client_result *result);

/*
 * client_scan_mime - MIMESCAN of the message in FD (streamed); REPLY gets
 * the whole reply (part lines, then the verdict line).
 */
enum client_status client_scan_mime(const struct client_options *opts, int fd, char *reply,
				    size_t size, struct client_result *result);

/*
 * client_scan_facts - as client_scan_mime, with MIMEFACTS: the reply has
 * the fact lines a mail policy reads (common/policy.h).  A scanner
 * without MIMEFACTS (a stock clamd) answers it as an unknown command.
 */
enum client_status client_scan_facts(const struct client_options *opts, int fd, char *reply,
				     size_t size, struct client_result *result);

/*
 * client_scan_part_facts - as client_scan_facts for one object that is
 * no message (a MIME part's decoded body), with PARTFACTS: its TYPE,
 * MEMBER and SIG fact lines (path "1"), then INSTREAM's verdict line.
 */
enum client_status client_scan_part_facts(const struct client_options *opts, int fd, char *reply,
					  size_t size, struct client_result *result);

/*
 * client_command - send COMMAND (e.g. "PING", "HEALTH"), z-framed, with no payload (PING, RELOAD,
 * HEALTH, ...) to the first reachable endpoint and read the whole reply
 * into REPLY (NUL-terminated).  Returns 0 or -1 with result->detail set.
 */
int client_command(const struct client_options *opts, const char *command, char *reply,
		   size_t size, struct client_result *result);

/*
 * The pieces common/client_mime.c (an incremental MIMESCAN) builds on.
 *
 * client_scan_mime_from - client_scan_mime's failover loop, starting at
 * endpoint index FIRST (0: the first) and ending at the absolute
 * DEADLINE (sock_now_ms clock): the message is FD (seekable, read from
 * its start) or, when FD < 0, LEN bytes at BUF.  FACTS: MIMEFACTS
 * instead of MIMESCAN.  REPLY as for client_scan_mime.  Returns the
 * status (also in result->status).
 */
enum client_status client_scan_mime_from(const struct client_options *opts, int first,
					 long long deadline, int fd, const void *buf, size_t len,
					 int facts, char *reply, size_t size,
					 struct client_result *result);

/*
 * client_reply_read - a scanner's reply on ST up to its NUL terminator
 * into REPLY (SIZE bytes, NUL-terminated).  Returns its length, or -1
 * with *error_r (a reply cut short is an error, never parsed).
 */
int client_reply_read(struct stream *st, char *reply, size_t size, const char **error_r);

/*
 * client_reply_mime - the status of the MIMESCAN reply in REPLY (as
 * client_reply_read left it; the newlines before its terminator are cut
 * off), with result->detail set; an unreadable reply is CLIENT_TEMPFAIL.
 */
enum client_status client_reply_mime(char *reply, struct client_result *result);

#endif
